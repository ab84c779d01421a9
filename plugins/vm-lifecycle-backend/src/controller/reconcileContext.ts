import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ApiGroupNames,
  ComputeInstance,
  ComputeInstanceStatus,
  LifecycleEvent,
  ProvisioningJob,
  sameLaunch,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { ProvisioningProvider } from '../providers/types';
import { ComputeInstanceStore } from '../store/types';
import { BackoffPolicy, DEFAULT_RETRY_BACKOFF } from './decide';
import { ControllerMemory } from './controllerMemory';
import { DEFAULT_DELETION_STUCK_AFTER_MS } from './deletionBlock';
import { JobTracker } from './jobTracker';
import { LaunchResolver } from './launchResolver';
import { isLeadershipLostError, LeadershipLostError } from './leaderElection';
import { isFencedWriteError } from '../store/fencing';
import {
  deriveConditions,
  desiredConfigVersion,
  phaseFor,
  setCondition,
} from './status';
import { keyOf, StatusWriter } from './statusWriter';

export type EventSink = (
  instance: ComputeInstance,
  event: Omit<LifecycleEvent, 'timestamp'>,
) => Promise<void>;

export interface ReconcilerOptions {
  store: ComputeInstanceStore;
  provider: ProvisioningProvider;
  tracker: JobTracker;
  names: ApiGroupNames;
  recordEvent: EventSink;
  logger: LoggerService;
  pollIntervalMs: number;
  maxJobHistory: number;
  retryBackoff?: BackoffPolicy;
  /** Wait after a configuration error (template missing, bad credentials) before trying again. */
  configErrorRetryMs?: number;
  /**
   * After a launch whose outcome is unknown, how long AAP may still create the job from the lost
   * request: only a look-up that starts this long after finds "no such job" conclusively. Must
   * exceed the AAP client's request time-out. Default 60 s.
   */
  unknownOutcomeSettleMs?: number;
  /**
   * The settle time counts from when this controller learnt of the unknown outcome, but at the
   * latest from the intent's timestamp plus this allowance: otherwise every restart or leader
   * change would start the wait anew, and an intent AAP never saw could wait forever. The
   * timestamp is another replica's clock, so this is how far ahead of ours that clock may be.
   * Default 30 s.
   */
  maxClockSkewMs?: number;
  /**
   * A deletion that waits this long (on a job, on AAP, on an unknown outcome) gets the
   * DeletionBlocked condition and event; a failed blocking deprovision gets it at once. Default 15 min.
   */
  deletionStuckAfterMs?: number;
  /** Wakes an instance whose launch look-up outlasted the reconcile that asked for it. */
  onLaunchResolved?: (instanceKey: string) => void;
  /** See LaunchResolverOptions.waitMs. */
  lookupWaitMs?: number;
  now?: () => number;
  /**
   * The controller's leadership: asked again, against the lease's authority, right before every
   * AAP launch or cancel; the signal aborts the request when the term of leadership ends.
   * Without it (single-replica tests) there is nothing to check.
   */
  leadership?: {
    confirm(): Promise<boolean>;
    signal(): AbortSignal;
  };
}

/** What a status write may add: a launch error shown in the ConfigurationApplied condition. */
export interface StatusFailure {
  reason: string;
  message: string;
  /** Errors that only configuration can fix put a Starting instance in phase Failed. */
  fatal?: boolean;
}

/**
 * What every reconcile step shares: the ports, the status writer, the controller's memory, and the
 * small writes every step makes (status, one job's state, an event).
 */
export class ReconcileContext {
  readonly writer: StatusWriter;
  readonly memory = new ControllerMemory();
  readonly now: () => number;
  readonly backoff: BackoffPolicy;
  readonly settleMs: number;
  readonly maxClockSkewMs: number;
  readonly deletionStuckAfterMs: number;
  readonly resolver: LaunchResolver;

  constructor(readonly o: ReconcilerOptions) {
    this.writer = new StatusWriter(o.store, { maxJobHistory: o.maxJobHistory });
    this.now = o.now ?? Date.now;
    this.backoff = o.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
    this.settleMs = o.unknownOutcomeSettleMs ?? 60_000;
    this.maxClockSkewMs = o.maxClockSkewMs ?? 30_000;
    this.deletionStuckAfterMs =
      o.deletionStuckAfterMs ?? DEFAULT_DELETION_STUCK_AFTER_MS;
    this.memory.onForget(uid => this.writer.forget(uid));
    this.resolver = new LaunchResolver({
      provider: o.provider,
      onDone: o.onLaunchResolved,
      waitMs: o.lookupWaitMs,
      now: this.now,
    });
  }

  writeStatus(
    instance: ComputeInstance,
    mutate: (status: ComputeInstanceStatus) => ComputeInstanceStatus,
    failure?: StatusFailure,
  ): Promise<ComputeInstance | undefined> {
    return this.writer.write(instance, current =>
      this.compose(current, mutate(current.status), failure),
    );
  }

  /** Writes a new state or message on one entry of the history (found by id or launch id). */
  updateJob(
    instance: ComputeInstance,
    job: ProvisioningJob,
    change: Partial<Pick<ProvisioningJob, 'state' | 'message'>>,
  ): Promise<ComputeInstance | undefined> {
    return this.writeStatus(instance, s => ({
      ...s,
      provisioningJobs: (s.provisioningJobs ?? []).map(j =>
        sameLaunch(j, job) ? { ...j, ...change } : j,
      ),
    }));
  }

  /** Derives desiredConfigVersion, phase and conditions from the (new) status. */
  compose(
    instance: ComputeInstance,
    status: ComputeInstanceStatus,
    failure?: StatusFailure,
  ): ComputeInstanceStatus {
    const next: ComputeInstance = { ...instance, status };
    const desired = desiredConfigVersion(next);
    let phase = phaseFor(next, desired);
    if (failure?.fatal && phase === 'Starting') phase = 'Failed';
    const nowIso = new Date(this.now()).toISOString();
    let conditions = deriveConditions(next, desired, phase, nowIso);
    if (failure) {
      conditions = setCondition(
        conditions,
        'ConfigurationApplied',
        'False',
        failure.reason,
        failure.message,
        nowIso,
      );
    }
    return { ...status, desiredConfigVersion: desired, phase, conditions };
  }

  /**
   * Right before a side effect in AAP (launch, cancel): the lease is checked again, not the cached
   * flag. Resolves to the signal that abandons the request if leadership ends while it is in flight;
   * throws LeadershipLostError when this replica no longer leads.
   */
  async beforeSideEffect(what: string): Promise<AbortSignal | undefined> {
    const leadership = this.o.leadership;
    if (!leadership) return undefined;
    const signal = leadership.signal();
    signal.throwIfAborted();
    if (!(await leadership.confirm())) {
      throw new LeadershipLostError(
        `Not sending the ${what}: this replica no longer holds the controller lease`,
      );
    }
    signal.throwIfAborted();
    return signal;
  }

  /** The tracker wakes the instance on every change; this requeue only heals a missed wake-up. */
  safetyPollMs(): number {
    return Math.max(this.o.pollIntervalMs * 5, 10_000);
  }

  async event(
    instance: ComputeInstance,
    type: LifecycleEvent['type'],
    reason: string,
    message: string,
    jobID?: string,
  ): Promise<void> {
    try {
      await this.o.recordEvent(instance, {
        type,
        reason,
        message,
        ...(jobID ? { jobID } : {}),
      });
    } catch (e) {
      // Events are for people; a failure to record one must not stop the controller.
      this.o.logger.warn(
        `Could not record event ${reason} for ${keyOf(instance)}: ${errorMessage(e)}`,
      );
    }
  }
}

/** Errors that mean "this replica no longer leads": they end the reconcile, nothing is recorded. */
export function isLeadershipEnd(e: unknown): boolean {
  return isLeadershipLostError(e) || isFencedWriteError(e);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function assertNever(x: never): never {
  throw new Error(`Unexpected decision ${JSON.stringify(x)}`);
}
