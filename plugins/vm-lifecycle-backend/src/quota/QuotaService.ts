import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ApiGroupNames,
  ComputeInstanceSpec,
  QuotaAmounts,
  QuotaLimits,
  QuotaStatus,
  ZERO_QUOTA_AMOUNTS,
  formatQuotaRefusal,
  quotaAmountsOfSpec,
  quotaExcesses,
  quotaSubjectOf,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { UnprocessableRequestError } from '../service/errors';
import { ComputeInstanceStore } from '../store/types';
import { QuotaLedger } from './QuotaLedger';
import { QuotaSettings } from './quotaConfig';

/** A request that would take its quota subject over a limit: 422, nothing stored. */
export class QuotaExceededError extends UnprocessableRequestError {
  constructor(message: string) {
    super(message);
    this.name = 'QuotaExceededError';
  }
}

/** An admitted request's charge, to attach to the created VM or cancel if the create fails. */
export interface QuotaAdmission {
  chargeId: string;
}

/** A charge younger than this without a VM may still see its VM created (see QuotaLedger.heal). */
export const QUOTA_HEAL_GRACE_MS = 10 * 60_000;

/**
 * Quotas of the REST API: which subject a VM counts against, its limits from config, admission
 * through the ledger, the release of a removed VM's charge, and what GET /quotas shows.
 */
export class QuotaService {
  constructor(
    private readonly o: {
      ledger: QuotaLedger;
      settings: QuotaSettings;
      names: ApiGroupNames;
      logger?: LoggerService;
    },
  ) {}

  subjectOf(annotations: Record<string, string> | undefined) {
    return quotaSubjectOf(
      annotations?.[this.o.names.ownerAnnotation],
      annotations?.[this.o.names.requestedByAnnotation],
    );
  }

  /** A user subject gets the default user quota; a group its entry, else the default group quota. */
  limitsFor(subject: string): {
    kind: QuotaStatus['kind'];
    limits: QuotaLimits;
    source: QuotaStatus['source'];
  } {
    const { settings } = this.o;
    if (subject.startsWith('user:')) {
      return settings.defaultUser
        ? { kind: 'user', limits: settings.defaultUser, source: 'default' }
        : { kind: 'user', limits: {}, source: 'none' };
    }
    const configured = settings.groups.get(subject);
    if (configured)
      return { kind: 'group', limits: configured, source: 'configured' };
    return settings.defaultGroup
      ? { kind: 'group', limits: settings.defaultGroup, source: 'default' }
      : { kind: 'group', limits: {}, source: 'none' };
  }

  /** Charges a VM about to be created, or throws QuotaExceededError naming limit, use and request. */
  async admit(
    annotations: Record<string, string>,
    spec: ComputeInstanceSpec,
    target: { namespace: string; name: string },
  ): Promise<QuotaAdmission | undefined> {
    const subject = this.subjectOf(annotations);
    if (!subject) return undefined;
    const amounts = quotaAmountsOfSpec(spec);
    const { limits } = this.limitsFor(subject);
    const excessAlone = quotaExcesses(limits, ZERO_QUOTA_AMOUNTS, amounts);
    const result = await this.o.ledger.admit(subject, limits, amounts, target);
    if (result.admitted) return { chargeId: result.chargeId };
    const excesses = quotaExcesses(limits, result.used, amounts);
    if (excesses.length === 0 && excessAlone.length === 0) {
      // Refused by the database, but the use read after it fits: it changed in between.
      throw new QuotaExceededError(
        `quota of ${subject}: this request did not fit the use at the moment it was checked; try again`,
      );
    }
    throw new QuotaExceededError(
      formatQuotaRefusal(subject, excesses.length > 0 ? excesses : excessAlone),
    );
  }

  async created(admission: QuotaAdmission | undefined, uid: string) {
    if (admission) await this.o.ledger.attach(admission.chargeId, uid);
  }

  async cancel(admission: QuotaAdmission | undefined) {
    if (admission) await this.o.ledger.cancel(admission.chargeId);
  }

  /** Gives a VM's charge back when the store reports it finally removed. */
  watchReleases(store: ComputeInstanceStore): () => void {
    return store.watch(event => {
      if (event.type !== 'DELETED') return;
      const { uid, namespace, name } = event.object.metadata;
      this.o.ledger
        .release(uid)
        .catch(error =>
          this.o.logger?.warn(
            `Could not release the quota charge of ComputeInstance ${namespace}/${name} (the next recount will): ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
    });
  }

  /** Recounts the ledger from the VMs in `store` (at start, and periodically). */
  async heal(store: ComputeInstanceStore, graceMs = QUOTA_HEAL_GRACE_MS) {
    const instances = await store.list();
    return this.o.ledger.heal(
      instances.flatMap(i => {
        const subject = this.subjectOf(i.metadata.annotations);
        return subject
          ? [
              {
                uid: i.metadata.uid,
                namespace: i.metadata.namespace,
                name: i.metadata.name,
                subject,
                amounts: quotaAmountsOfSpec(i.spec),
              },
            ]
          : [];
      }),
      { graceMs },
    );
  }

  /** The quotas of these subjects (a caller's user ref and groups), with their usage. */
  async statusOf(subjects: string[]): Promise<QuotaStatus[]> {
    const usage = await this.o.ledger.usage(subjects);
    return subjects.map(subject => this.status(subject, usage.get(subject)));
  }

  /** Every subject that has a configured quota or uses something (the admin view). */
  async statusOfAll(): Promise<QuotaStatus[]> {
    const usage = await this.o.ledger.usage();
    const subjects = new Set([
      ...this.o.settings.groups.keys(),
      ...usage.keys(),
    ]);
    return [...subjects]
      .sort()
      .map(subject => this.status(subject, usage.get(subject)));
  }

  private status(subject: string, used: QuotaAmounts | undefined): QuotaStatus {
    const { kind, limits, source } = this.limitsFor(subject);
    return {
      subject,
      kind,
      source,
      limits,
      used: used ?? { ...ZERO_QUOTA_AMOUNTS },
    };
  }
}
