import { stripAnsi } from '../aap/ansi';
import {
  BackstageCredentials,
  BackstageUserPrincipal,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ApiGroupNames,
  ComputeInstance,
  ComputeInstanceList,
  computeInstanceSpecSchema,
  createInstanceRequestSchema,
  DeletionReleaseRequest,
  deletionReleaseRequestSchema,
  formatPath,
  formatValidationError,
  DEFAULT_PAGE_SIZE,
  expiryBounds,
  expiryProblem,
  extendExpiryRequestSchema,
  immutableFieldsInPatch,
  InstanceListQuery,
  JobOutput,
  ListQueryError,
  NO_PHASE,
  LifecycleEvent,
  lockedFieldChanges,
  patchInstanceRequestSchema,
  safeApplyTemplateDefaults,
  VmTemplate,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { LifecycleEventStore } from '../events/types';
import { ProvisioningProvider } from '../providers/types';
import { isStaleResourceVersionError } from '../store/errors';
import { ListAccess } from '../permissions/listAccess';
import { sortKeyLength, sortKeyOf } from '../store/pageOrder';
import {
  ComputeInstanceStore,
  ListPageRequest,
  PageFilter,
} from '../store/types';
import { AapNotFoundError } from '../aap/errors';
import { ImmutableFieldError, ReservedFieldError } from './errors';
import { capOutput, JobOutputCache } from './JobOutputCache';
import { ContinueTokens, queryFingerprint } from './continueToken';
import { QuotaService } from '../quota/QuotaService';
import { OwnerCheck } from './OwnerCheck';

export interface InstanceServiceOptions {
  store: ComputeInstanceStore;
  events: LifecycleEventStore;
  /** For job output; absent when no AAP is configured. */
  provider?: ProvisioningProvider;
  templates: VmTemplate[];
  names: ApiGroupNames;
  defaultNamespace: string;
  /** Called after every accepted write, so the controller reconciles at once. */
  onWrite?: (instance: ComputeInstance) => void;
  jobOutput?: JobOutputSettings;
  /** Issues and checks the continue tokens of paged lists; a built-in key and 10 minutes by default. */
  continueTokens?: ContinueTokens;
  /** Quotas checked at create; absent: none. */
  quota?: QuotaService;
  /** Checks the owner a request names against the catalog (see createCatalogOwnerCheck). */
  ownerCheck?: OwnerCheck;
  now?: () => Date;
}

export interface JobOutputSettings {
  /** AAP is asked for a job's output at most once per this time, however many pages watch it. */
  cacheTtlMs: number;
  /** Characters of output one answer carries; the rest is behind the full download. */
  maxChars: number;
}

export const DEFAULT_JOB_OUTPUT_SETTINGS: JobOutputSettings = {
  cacheTtlMs: 3000,
  maxChars: 256 * 1024,
};

/**
 * What the REST API can do with ComputeInstances, independent of HTTP and permissions: validation,
 * template defaults, immutability, and writes that retry on a concurrent change.
 */
export class InstanceService {
  private readonly jobOutputSettings: JobOutputSettings;
  private readonly outputCache?: JobOutputCache;
  private readonly continueTokens: ContinueTokens;

  constructor(private readonly o: InstanceServiceOptions) {
    this.jobOutputSettings = o.jobOutput ?? DEFAULT_JOB_OUTPUT_SETTINGS;
    this.continueTokens = o.continueTokens ?? new ContinueTokens();
    const provider = o.provider;
    if (provider?.getJobOutput) {
      this.outputCache = new JobOutputCache({
        fetch: jobID => provider.getJobOutput!(jobID),
        ttlMs: this.jobOutputSettings.cacheTtlMs,
      });
    }
  }

  listTemplates(): VmTemplate[] {
    return this.o.templates;
  }

  /** Validates a request body completely before anything is written. */
  async create(
    body: unknown,
    requestedBy: string,
    credentials?: BackstageCredentials<BackstageUserPrincipal>,
  ): Promise<ComputeInstance> {
    const parsed = createInstanceRequestSchema.safeParse(body);
    if (!parsed.success)
      throw new InputError(formatValidationError(parsed.error));
    const { metadata, spec: partialSpec } = parsed.data;
    const { expiresAtAnnotation } = this.o.names;
    this.refuseReservedAnnotations(metadata.annotations ?? {}, [
      expiresAtAnnotation,
    ]);
    const template = this.o.templates.find(
      t => t.id === partialSpec.templateID,
    );
    if (!template) {
      const known =
        this.o.templates.map(t => t.id).join(', ') || 'none configured';
      throw new InputError(
        `spec.templateID: unknown template "${partialSpec.templateID}" (available: ${known})`,
      );
    }
    const locked = lockedFieldChanges(template, partialSpec);
    if (locked.length > 0) {
      throw new InputError(
        `${locked.join(', ')}: fixed by template "${template.id}" and cannot be changed`,
      );
    }
    const applied = safeApplyTemplateDefaults(template, partialSpec);
    if (!applied.success)
      throw new InputError(formatValidationError(applied.error));
    const checked = computeInstanceSpecSchema.safeParse(applied.data);
    if (!checked.success) {
      throw new InputError(
        `Template "${template.id}" does not yield a valid spec: ${formatValidationError(checked.error)}`,
      );
    }

    const annotations = { ...(metadata.annotations ?? {}) };
    const { ownerAnnotation, componentAnnotation } = this.o.names;
    const owner = annotations[ownerAnnotation];
    if (owner !== undefined) {
      const field = formatPath(['metadata', 'annotations', ownerAnnotation]);
      const ownerRef = normalizeEntityRef(owner, field);
      annotations[ownerAnnotation] = ownerRef;
      if (this.o.ownerCheck) {
        if (!credentials) {
          throw new Error('The owner check needs the caller credentials');
        }
        await this.o.ownerCheck(ownerRef, field, credentials);
      }
    }
    const component = annotations[componentAnnotation];
    if (component !== undefined) {
      annotations[componentAnnotation] = normalizeEntityRef(
        component,
        formatPath(['metadata', 'annotations', componentAnnotation]),
        'component',
      );
    }
    annotations[this.o.names.requestedByAnnotation] = requestedBy;
    const expiresAt = this.expiryAtCreate(
      template,
      annotations[expiresAtAnnotation],
    );
    if (expiresAt) annotations[expiresAtAnnotation] = expiresAt;

    const namespace = metadata.namespace ?? this.o.defaultNamespace;
    // Charged before the write, so that nothing is stored when the quota refuses (422).
    const admission = await this.o.quota?.admit(annotations, checked.data, {
      namespace,
      name: metadata.name,
    });
    let created: ComputeInstance;
    try {
      created = await this.o.store.create({
        metadata: { name: metadata.name, namespace, annotations },
        spec: checked.data,
      });
    } catch (e) {
      await this.o.quota?.cancel(admission);
      throw e;
    }
    // A failure here leaves a charge without uid; the ledger's recount ties it to the VM.
    await this.o.quota
      ?.created(admission, created.metadata.uid)
      .catch(() => {});
    this.o.onWrite?.(created);
    return created;
  }

  /** The expiry a new VM gets: the requested one within the template's lifetime, or its default. */
  private expiryAtCreate(
    template: VmTemplate,
    requested: string | undefined,
  ): string | undefined {
    const field = formatPath([
      'metadata',
      'annotations',
      this.o.names.expiresAtAnnotation,
    ]);
    const now = this.now();
    if (!template.lifetime) {
      if (requested === undefined) return undefined;
      throw new InputError(
        `${field}: template "${template.id}" sets no lifetime, so its VMs do not expire`,
      );
    }
    if (requested === undefined)
      return expiryBounds(template.lifetime, now).defaultExpiresAt;
    const problem = expiryProblem(requested, template.lifetime, now, now);
    if (problem) throw new InputError(`${field}: ${problem}`);
    return new Date(requested).toISOString();
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  /**
   * Moves a VM's expiry later, within its template's maximum counted from its creation. Reminders
   * already sent belong to the old expiry and are forgotten, so the new one gets its own.
   */
  async extendExpiry(
    namespace: string,
    name: string,
    body: unknown,
    by: string,
  ): Promise<ComputeInstance> {
    const parsed = extendExpiryRequestSchema.safeParse(body);
    if (!parsed.success)
      throw new InputError(formatValidationError(parsed.error));
    const requested = new Date(parsed.data.expiresAt).toISOString();
    const {
      expiresAtAnnotation,
      expiryRemindersAnnotation,
      expiredAtAnnotation,
    } = this.o.names;
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(namespace, name);
      const annotations = current.metadata.annotations ?? {};
      if (
        current.metadata.deletionTimestamp ||
        annotations[expiredAtAnnotation]
      ) {
        throw new ConflictError(
          `ComputeInstance ${namespace}/${name} is being deleted; its expiry can no longer be changed`,
        );
      }
      const template = this.o.templates.find(
        t => t.id === current.spec.templateID,
      );
      const previous = annotations[expiresAtAnnotation];
      if (!template?.lifetime || !previous) {
        throw new ConflictError(
          `ComputeInstance ${namespace}/${name} does not expire (its template sets no lifetime)`,
        );
      }
      const problem = expiryProblem(
        requested,
        template.lifetime,
        current.metadata.creationTimestamp,
        this.now(),
      );
      if (problem) throw new InputError(`expiresAt: ${problem}`);
      if (Date.parse(requested) <= Date.parse(previous))
        throw new InputError(
          `expiresAt: must be later than the current expiry ${previous}`,
        );
      const next = { ...annotations, [expiresAtAnnotation]: requested };
      delete next[expiryRemindersAnnotation];
      try {
        const updated = await this.o.store.update({
          ...current,
          metadata: { ...current.metadata, annotations: next },
        });
        if (!updated) throw instanceNotFound(namespace, name);
        await this.o.events.record(updated.metadata, {
          type: 'Normal',
          reason: 'ExpiryExtended',
          message: `${by} extended the expiry from ${previous} to ${requested}`,
        });
        this.o.onWrite?.(updated);
        return updated;
      } catch (e) {
        if (!isStaleResourceVersionError(e) || attempt >= 5) throw e;
      }
    }
  }

  /**
   * Every annotation in the API group is the system's to write, but the owner, the component it
   * belongs to (checked against the catalog with the owner) and those `allowed` here, which the
   * caller validates (see ReservedFieldError).
   */
  private refuseReservedAnnotations(
    annotations: Record<string, string>,
    allowed: string[] = [],
  ) {
    const { group, ownerAnnotation, componentAnnotation } = this.o.names;
    const reserved = Object.keys(annotations).filter(
      key =>
        key.startsWith(`${group}/`) &&
        key !== ownerAnnotation &&
        key !== componentAnnotation &&
        !allowed.includes(key),
    );
    if (reserved.length > 0) {
      throw new ReservedFieldError(
        reserved.map(key => formatPath(['metadata', 'annotations', key])),
        group,
        [ownerAnnotation, componentAnnotation, ...allowed],
      );
    }
  }

  /**
   * One page of GET /instances. `access` comes from the caller's read decision: the store applies
   * it with the filters, and a caller who may read nothing costs no store query at all.
   */
  async listPage(
    query: InstanceListQuery,
    access: ListAccess,
  ): Promise<ComputeInstanceList> {
    const filter: PageFilter = {};
    if (query.namespace) filter.namespace = query.namespace;
    if (query.owner) filter.owner = normalizeEntityRef(query.owner, 'owner');
    if (query.requestedBy)
      filter.requestedBy = normalizeEntityRef(
        query.requestedBy,
        'requestedBy',
        'user',
      );
    if (query.phase) filter.phase = query.phase === NO_PHASE ? '' : query.phase;
    if (query.failedJobs !== undefined) filter.failedJobs = query.failedJobs;
    if (query.search) filter.nameContains = query.search;
    if (query.component) {
      filter.component = {
        annotation: this.o.names.componentAnnotation,
        entityRef: normalizeEntityRef(
          query.component,
          'component',
          'component',
        ),
      };
    }
    const sort = {
      field: query.sort ?? 'namespace',
      order: query.order ?? 'asc',
    } as const;
    // The cut-off is relative, so it is not part of the fingerprint: the query stays the same one.
    const fingerprint = queryFingerprint({
      ...filter,
      stuckDeletingMinutes: query.stuckDeletingMinutes,
      sort,
    });
    if (query.stuckDeletingMinutes !== undefined) {
      const now = (this.o.now?.() ?? new Date()).getTime();
      filter.deletionBefore = new Date(
        now - query.stuckDeletingMinutes * 60_000,
      ).toISOString();
    }
    let after: string[] | undefined;
    try {
      if (query.continue)
        after = this.continueTokens.read(
          query.continue,
          fingerprint,
          sortKeyLength(sort.field),
        );
    } catch (e) {
      if (e instanceof ListQueryError) throw new InputError(e.message);
      throw e;
    }
    if (access.kind === 'none') {
      return {
        kind: 'ComputeInstanceList',
        metadata: { remainingItemCount: 0 },
        items: [],
      };
    }
    const request: ListPageRequest = {
      filter,
      sort,
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      after,
    };
    if (access.kind === 'filtered') request.permission = access.filter;
    const page = await this.o.store.listPage(request);
    const last = page.items[page.items.length - 1];
    return {
      kind: 'ComputeInstanceList',
      metadata: {
        ...(page.remainingItemCount > 0 && last
          ? {
              continue: this.continueTokens.issue(
                fingerprint,
                sortKeyOf(last, sort.field),
              ),
            }
          : {}),
        remainingItemCount: page.remainingItemCount,
      },
      items: page.items,
    };
  }

  async get(namespace: string, name: string): Promise<ComputeInstance> {
    const instance = await this.o.store.get(namespace, name);
    if (!instance) throw instanceNotFound(namespace, name);
    return instance;
  }

  /** JSON merge patch of the mutable fields. */
  async patch(
    namespace: string,
    name: string,
    body: unknown,
  ): Promise<ComputeInstance> {
    const immutable = immutableFieldsInPatch(body);
    if (immutable.length > 0) throw new ImmutableFieldError(immutable);
    const parsed = patchInstanceRequestSchema.safeParse(body);
    if (!parsed.success)
      throw new InputError(formatValidationError(parsed.error));
    const runStrategy = parsed.data.spec?.runStrategy;
    return this.updateSpec(namespace, name, spec =>
      runStrategy ? { ...spec, runStrategy } : spec,
    );
  }

  async restart(namespace: string, name: string): Promise<ComputeInstance> {
    const requestedAt = (this.o.now?.() ?? new Date()).toISOString();
    return this.updateSpec(namespace, name, spec => ({
      ...spec,
      restartRequestedAt: requestedAt,
    }));
  }

  /** Starts deletion; idempotent. Returns the object while it is being deleted, undefined once it is gone. */
  async delete(
    namespace: string,
    name: string,
  ): Promise<ComputeInstance | undefined> {
    const result = await this.o.store.delete(namespace, name);
    if (result) this.o.onWrite?.(result);
    return result;
  }

  /**
   * "Retry now" on a stuck deletion: stamps the deletion-retry annotation; the controller then
   * skips the backoff of a failed deprovision and reads a stuck job's live state again. The rules
   * that keep exactly one job and no orphan still hold: this only shortens a wait.
   */
  async requestDeletionRetry(
    namespace: string,
    name: string,
    by: string,
  ): Promise<ComputeInstance> {
    const requestedAt = (this.o.now?.() ?? new Date()).toISOString();
    const updated = await this.updateDeleting(namespace, name, current => ({
      ...current.metadata,
      annotations: {
        ...current.metadata.annotations,
        [this.o.names.deletionRetryAnnotation]: requestedAt,
      },
    }));
    await this.o.events.record(updated.metadata, {
      type: 'Normal',
      reason: 'DeletionRetryRequested',
      message: `${by} asked to retry the deletion now`,
    });
    this.o.onWrite?.(updated);
    return updated;
  }

  /**
   * "Release" a stuck deletion: removes the controller's finalizer and the EDA playbooks' one
   * without a successful deprovision, so the record goes. Only on the admin's word that the VM is
   * gone or that an orphan is accepted; recorded with who and why before the record goes.
   */
  async releaseDeletion(
    namespace: string,
    name: string,
    body: unknown,
    by: string,
  ): Promise<DeletionReleaseRequest> {
    const parsed = deletionReleaseRequestSchema.safeParse(body);
    if (!parsed.success)
      throw new InputError(formatValidationError(parsed.error));
    const request = parsed.data;
    const ours = [this.o.names.finalizer, this.o.names.aapFinalizer];
    const current = await this.get(namespace, name);
    if (!current.metadata.deletionTimestamp) throw notDeleting(namespace, name);
    const stated =
      request.confirm === 'vm-gone'
        ? 'confirmed that the VM no longer exists'
        : 'accepted that the VM may still exist (orphan risk)';
    await this.o.events.record(current.metadata, {
      type: 'Warning',
      reason: 'DeletionReleased',
      message: `${by} released the deletion without a successful deprovision and ${stated}: ${request.reason}`,
    });
    await this.updateDeleting(namespace, name, c => ({
      ...c.metadata,
      finalizers: c.metadata.finalizers.filter(f => !ours.includes(f)),
    })).catch(e => {
      // Gone meanwhile (the deprovision finished just now): the release is moot, not an error.
      if (e instanceof NotFoundError) return undefined;
      throw e;
    });
    return request;
  }

  /** Writes metadata of an instance that is being deleted, re-reading on a concurrent change. */
  private async updateDeleting(
    namespace: string,
    name: string,
    change: (current: ComputeInstance) => ComputeInstance['metadata'],
  ): Promise<ComputeInstance> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(namespace, name);
      if (!current.metadata.deletionTimestamp)
        throw notDeleting(namespace, name);
      try {
        const updated = await this.o.store.update({
          ...current,
          metadata: change(current),
        });
        // Removing the last finalizer removes the record: answer with its last state.
        return updated ?? current;
      } catch (e) {
        if (!isStaleResourceVersionError(e) || attempt >= 5) throw e;
      }
    }
  }

  async events(namespace: string, name: string): Promise<LifecycleEvent[]> {
    const instance = await this.get(namespace, name);
    return this.o.events.list(instance.metadata);
  }

  /**
   * The job's output from AAP, only for jobs that belong to this instance: its end when it is
   * longer than the configured maximum, or all of it with `full`.
   */
  async jobOutput(
    namespace: string,
    name: string,
    jobID: string,
    options: {
      full?: boolean;
      /** Without Ansible's colour codes (a download, a plain-text client); lengths count the plain text. */
      plain?: boolean;
    } = {},
  ): Promise<JobOutput> {
    const instance = await this.get(namespace, name);
    const job = instance.status.provisioningJobs?.find(j => j.jobID === jobID);
    if (!job)
      throw new NotFoundError(
        `ComputeInstance ${namespace}/${name} has no job ${jobID}`,
      );
    if (!this.outputCache) {
      throw new NotFoundError(
        `The ${this.o.provider?.name ?? 'configured'} provider keeps no job output`,
      );
    }
    let text: string;
    try {
      text = await this.outputCache.get(jobID);
    } catch (e) {
      if (e instanceof AapNotFoundError) {
        throw new NotFoundError(
          `AAP has no output for job ${jobID} of ComputeInstance ${namespace}/${name} (it may not have started yet, or it was purged)`,
        );
      }
      throw e;
    }
    if (options.plain) text = stripAnsi(text);
    return options.full
      ? { text, totalChars: text.length, truncated: false }
      : capOutput(text, this.jobOutputSettings.maxChars);
  }

  private async updateSpec(
    namespace: string,
    name: string,
    change: (spec: ComputeInstance['spec']) => ComputeInstance['spec'],
  ): Promise<ComputeInstance> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(namespace, name);
      if (current.metadata.deletionTimestamp) {
        throw new InputError(
          `ComputeInstance ${namespace}/${name} is being deleted and can no longer be changed`,
        );
      }
      const spec = change(current.spec);
      try {
        const updated = await this.o.store.update({ ...current, spec });
        if (!updated) throw instanceNotFound(namespace, name);
        this.o.onWrite?.(updated);
        return updated;
      } catch (e) {
        // The controller writes metadata too (finalizers); re-apply the change to a fresh copy.
        if (!isStaleResourceVersionError(e) || attempt >= 5) throw e;
      }
    }
  }
}

function notDeleting(namespace: string, name: string): Error {
  return new ConflictError(
    `ComputeInstance ${namespace}/${name} is not being deleted; delete it first`,
  );
}

/** The one answer for an instance that does not exist, or that the caller may not know exists. */
export function instanceNotFound(namespace: string, name: string): Error {
  return new NotFoundError(`ComputeInstance ${namespace}/${name} not found`);
}

function normalizeEntityRef(
  ref: string,
  field: string,
  defaultKind?: string,
): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, { defaultKind, defaultNamespace: 'default' }),
    );
  } catch {
    throw new InputError(
      `${field}: "${ref}" is not an entity ref such as group:default/team-a`,
    );
  }
}
