import {
  ApiGroupNames,
  ComputeInstance,
  ComputeInstanceStatus,
  isTerminalJobState,
  JobType,
  latestJob,
  LifecycleEvent,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AapNotFoundError,
  AuthenticationError,
  ConfigurationError,
  RateLimitedError,
  TemplateNotFoundError,
} from '../aap/errors';
import {
  LaunchedJob,
  JobStatus,
  ProvisioningProvider,
} from '../providers/types';
import { ComputeInstanceStore } from '../store/types';
import { isStaleResourceVersionError } from '../store/errors';
import {
  BackoffPolicy,
  decideDeprovision,
  decideProvision,
  DEFAULT_RETRY_BACKOFF,
} from './decide';
import { JobTracker } from './jobTracker';
import {
  deriveConditions,
  desiredConfigVersion,
  pendingRestart,
  phaseFor,
  setCondition,
} from './status';
import { keyOf, splitKey, StatusWriter } from './statusWriter';
import { ReconcileResult } from './workQueue';

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
  now?: () => number;
}

interface LaunchError {
  reason: string;
  message: string;
  requeueAfterMs: number;
  /** Errors that only configuration can fix put the instance in phase Failed. */
  fatal: boolean;
}

/**
 * Moves one ComputeInstance one step toward its desired state (DOMAIN.md section 4). Level
 * triggered: every call reads the instance fresh from the store and decides from its status alone,
 * so a restarted controller resumes where the status says it was.
 */
export class Reconciler {
  private readonly writer: StatusWriter;
  private readonly now: () => number;
  private readonly backoff: BackoffPolicy;
  /** Provision jobs we already asked AAP to cancel (to record the event once). */
  private readonly cancelRequested = new Set<string>();

  constructor(private readonly o: ReconcilerOptions) {
    this.writer = new StatusWriter(o.store, { maxJobHistory: o.maxJobHistory });
    this.now = o.now ?? Date.now;
    this.backoff = o.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const stored = await this.o.store.get(namespace, name);
    if (!stored) {
      this.o.tracker.forgetInstance(key);
      return {};
    }
    let instance = stored;
    if (this.writer.pendingJobs(stored).length > 0) {
      // A launched job id could not be persisted earlier: persist it before deciding anything.
      instance = (await this.writeStatus(stored, s => s)) ?? stored;
    }
    if (instance.metadata.deletionTimestamp) {
      return this.reconcileDelete(key, instance);
    }
    return this.reconcileProvision(key, instance);
  }

  // ---- create / update -------------------------------------------------------------------

  private async reconcileProvision(
    key: string,
    initial: ComputeInstance,
  ): Promise<ReconcileResult> {
    let instance = initial;
    if (!instance.metadata.finalizers.includes(this.o.names.finalizer)) {
      // The finalizer goes on before anything is launched, so a delete can never skip deprovisioning.
      const updated = await this.addFinalizer(instance);
      if (!updated) return {};
      instance = updated;
    }
    const desired = desiredConfigVersion(instance);
    const decision = decideProvision(
      instance.status.provisioningJobs,
      desired,
      this.now(),
      this.backoff,
    );
    switch (decision.action) {
      case 'trigger':
        return this.launch(key, instance, 'provision', desired);
      case 'poll':
        return this.poll(key, instance, decision.job);
      case 'skip':
        await this.writeStatus(instance, s => s);
        return {};
      case 'backoff':
        await this.writeStatus(instance, s => s);
        return { requeueAfterMs: decision.retryInMs };
      default:
        return assertNever(decision);
    }
  }

  // ---- delete ------------------------------------------------------------------------------

  private async reconcileDelete(
    key: string,
    initial: ComputeInstance,
  ): Promise<ReconcileResult> {
    let instance = initial;
    if (!instance.metadata.finalizers.includes(this.o.names.finalizer))
      return {};
    if (instance.status.phase !== 'Deleting') {
      const written = await this.writeStatus(instance, s => s);
      if (!written) return {};
      await this.event(
        instance,
        'Normal',
        'DeletionStarted',
        'Deletion requested: the VM will be deprovisioned before the record is removed',
      );
      instance = written;
    }
    const decision = decideDeprovision(
      instance.status.provisioningJobs,
      this.now(),
      this.backoff,
    );
    switch (decision.action) {
      case 'stopProvision':
        return this.stopProvisionJob(key, instance, decision.job);
      case 'trigger':
        return this.launch(
          key,
          instance,
          'deprovision',
          instance.status.desiredConfigVersion ??
            desiredConfigVersion(instance),
        );
      case 'poll':
        return this.poll(key, instance, decision.job);
      case 'backoff':
        return { requeueAfterMs: decision.retryInMs };
      case 'removeFinalizer':
        await this.removeFinalizer(
          key,
          instance,
          decision.reason === 'Succeeded'
            ? `Deprovision job ${decision.job?.jobID} succeeded; the record is released`
            : `Deprovision job ${decision.job?.jobID} ended ${decision.job?.state} and does not block deletion; the record is released`,
        );
        return {};
      default:
        return assertNever(decision);
    }
  }

  /**
   * The provision job must be terminal before the deprovision job starts. Its stored state may be
   * stale, so read it live from AAP; if it still runs, cancel it and wait.
   */
  private async stopProvisionJob(
    key: string,
    stored: ComputeInstance,
    storedJob: ProvisioningJob,
  ): Promise<ReconcileResult> {
    let instance = stored;
    let job = storedJob;
    const waitingForCancel = this.cancelRequested.has(cancelKey(key, job));
    let live: JobStatus;
    try {
      // The decision to cancel needs the live state; once the cancel is requested, the tracker's
      // observation (at most two poll intervals old) is enough to see the job end.
      live = waitingForCancel
        ? await this.o.tracker.currentStatus(instance, job)
        : await this.o.tracker.freshStatus(instance, job);
    } catch (e) {
      return this.statusReadFailed(instance, job, e);
    }
    if (isTerminalJobState(live.state)) {
      await this.recordJobState(key, instance, job, live);
      return { requeueAfterMs: 0 };
    }
    if (live.state !== job.state) {
      const written = await this.recordJobState(key, instance, job, live);
      if (!written) return {};
      instance = written;
      job = latestJob(instance.status.provisioningJobs, 'provision') ?? job;
    }
    if (this.cancelRequested.has(cancelKey(key, job))) {
      // Cancel is asynchronous in AAP (the running task finishes first): wait, do not ask again.
      this.o.tracker.track(key, instance, job);
      return { requeueAfterMs: this.o.pollIntervalMs };
    }
    const result = await this.o.provider.cancelJob(instance, job);
    switch (result) {
      case 'cancelRequested':
        this.cancelRequested.add(cancelKey(key, job));
        await this.event(
          instance,
          'Normal',
          'CancelRequested',
          `Provision job ${job.jobID} is ${live.state}: asked AAP to cancel it before deprovisioning`,
          job.jobID,
        );
        this.o.tracker.track(key, instance, job);
        return { requeueAfterMs: this.o.pollIntervalMs };
      case 'alreadyFinished':
      case 'notFound': {
        // AAP says the job can no longer be canceled: it finished (405) or was purged (404).
        let final: JobStatus;
        try {
          final = await this.o.tracker.freshStatus(instance, job);
        } catch {
          final = { state: job.state, message: job.message };
        }
        if (!isTerminalJobState(final.state)) {
          final = {
            state: 'Failed',
            message: `AAP refused to cancel job ${job.jobID} (${result === 'notFound' ? 'job no longer exists' : 'already finished'}) but reported it as ${final.state}; treating it as ended so deprovisioning can start`,
          };
        }
        await this.recordJobState(key, instance, job, final);
        return { requeueAfterMs: 0 };
      }
      case 'notSupported':
        // Nothing to cancel (EDA): wait until the provision job ends by itself.
        this.o.tracker.track(key, instance, job);
        return { requeueAfterMs: this.o.pollIntervalMs };
      default:
        return assertNever(result);
    }
  }

  private async removeFinalizer(
    key: string,
    instance: ComputeInstance,
    message: string,
  ): Promise<void> {
    await this.event(instance, 'Normal', 'FinalizerRemoved', message);
    let current: ComputeInstance | undefined = instance;
    for (let attempt = 0; attempt < 10 && current; attempt++) {
      try {
        await this.o.store.update({
          ...current,
          metadata: {
            ...current.metadata,
            finalizers: current.metadata.finalizers.filter(
              f => f !== this.o.names.finalizer,
            ),
          },
        });
        break;
      } catch (e) {
        if (!isStaleResourceVersionError(e)) throw e;
        current = await this.o.store.get(
          instance.metadata.namespace,
          instance.metadata.name,
        );
      }
    }
    this.o.tracker.forgetInstance(key);
  }

  // ---- shared steps ------------------------------------------------------------------------

  private async launch(
    key: string,
    instance: ComputeInstance,
    type: JobType,
    configVersion: string,
  ): Promise<ReconcileResult> {
    // Re-read uncached: two reconciles on a stale view must not launch two jobs.
    const stored = await this.o.store.get(
      instance.metadata.namespace,
      instance.metadata.name,
    );
    if (!stored || stored.metadata.uid !== instance.metadata.uid) return {};
    const fresh = this.writer.withPendingJobs(stored);
    if (fresh.metadata.resourceVersion !== instance.metadata.resourceVersion) {
      return { requeueAfterMs: 0 };
    }
    const active = latestJob(fresh.status.provisioningJobs, type);
    if (active && !isTerminalJobState(active.state)) {
      return { requeueAfterMs: this.o.pollIntervalMs };
    }

    const payload: ComputeInstance = {
      ...fresh,
      status: { ...fresh.status, desiredConfigVersion: configVersion },
    };
    let launched: LaunchedJob;
    try {
      if (type === 'provision') {
        launched = await this.o.provider.triggerProvision(payload);
      } else {
        const trigger = await this.o.provider.triggerDeprovision(payload);
        if (trigger.action === 'skipped') {
          await this.event(
            fresh,
            'Normal',
            'DeprovisionSkipped',
            trigger.message,
          );
          await this.removeFinalizer(
            key,
            fresh,
            `Deprovisioning skipped: ${trigger.message}`,
          );
          return {};
        }
        if (trigger.action === 'waiting') {
          await this.writeStatus(fresh, s => s, {
            reason: 'DeprovisionWaiting',
            message: trigger.message,
          });
          return { requeueAfterMs: this.o.pollIntervalMs };
        }
        launched = trigger.job;
      }
    } catch (e) {
      return this.launchFailed(fresh, type, e);
    }

    const job: ProvisioningJob = {
      jobID: launched.jobID,
      type,
      timestamp: new Date(this.now()).toISOString(),
      state: launched.state,
      message: launched.message,
      configVersion,
      blockDeletionOnFailure: type === 'deprovision',
    };
    // Persist the id before anything else can fail: an id only in memory is a duplicate job waiting to happen.
    const written = await this.writer.persistLaunchedJob(
      fresh,
      job,
      (current, status) => this.compose(current, status),
    );
    await this.event(
      written ?? fresh,
      'Normal',
      type === 'provision' ? 'ProvisionJobLaunched' : 'DeprovisionJobLaunched',
      `Launched AAP ${type} job ${job.jobID} (config version ${configVersion})`,
      job.jobID,
    );
    if (written) {
      this.o.tracker.track(key, written, job);
      // AAP's launch answer is a fresh observation: the next reconcile need not ask again.
      this.o.tracker.seed(key, job, { state: job.state, message: job.message });
    }
    return { requeueAfterMs: this.safetyPollMs() };
  }

  private async poll(
    key: string,
    instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<ReconcileResult> {
    this.o.tracker.track(key, instance, job);
    let status: JobStatus;
    try {
      status = await this.o.tracker.currentStatus(instance, job);
    } catch (e) {
      return this.statusReadFailed(instance, job, e);
    }
    if (status.state === job.state && status.message === job.message) {
      // Nothing new from AAP, but the spec may have changed meanwhile (desired version, phase).
      await this.writeStatus(instance, s => s);
      return { requeueAfterMs: this.safetyPollMs() };
    }
    const written = await this.recordJobState(key, instance, job, status);
    if (isTerminalJobState(status.state)) {
      return { requeueAfterMs: 0 };
    }
    if (written) this.o.tracker.track(key, written, { ...job, ...status });
    return { requeueAfterMs: this.safetyPollMs() };
  }

  /** Writes a job's new state (and everything that follows from it) and records the event. */
  private async recordJobState(
    key: string,
    instance: ComputeInstance,
    job: ProvisioningJob,
    status: JobStatus,
  ): Promise<ComputeInstance | undefined> {
    const restartBefore = pendingRestart(instance);
    const written = await this.writeStatus(instance, s => {
      const jobs = (s.provisioningJobs ?? []).map(j =>
        j.jobID === job.jobID && j.type === job.type
          ? { ...j, state: status.state, message: status.message }
          : j,
      );
      const next: ComputeInstanceStatus = { ...s, provisioningJobs: jobs };
      if (
        job.type === 'provision' &&
        status.state === 'Succeeded' &&
        restartBefore &&
        job.configVersion === desiredConfigVersion(instance)
      ) {
        next.lastRestartedAt = restartBefore;
      }
      return next;
    });
    if (status.state !== job.state) {
      const terminal = isTerminalJobState(status.state);
      if (terminal) {
        this.o.tracker.untrack(key, job);
        this.cancelRequested.delete(cancelKey(key, job));
      }
      const label = job.type === 'provision' ? 'Provision' : 'Deprovision';
      const reason = terminal
        ? `${label}Job${status.state}`
        : 'JobStateChanged';
      await this.event(
        written ?? instance,
        status.state === 'Failed' ? 'Warning' : 'Normal',
        reason,
        terminal
          ? `${label} job ${job.jobID} ${status.state.toLowerCase()}: ${status.message}`
          : `${label} job ${job.jobID} is ${status.state}`,
        job.jobID,
      );
      if (written && restartBefore && !pendingRestart(written)) {
        await this.event(
          written,
          'Normal',
          'RestartApplied',
          `Restart requested at ${restartBefore} was carried out by job ${job.jobID}`,
          job.jobID,
        );
      }
    }
    return written;
  }

  private async statusReadFailed(
    instance: ComputeInstance,
    job: ProvisioningJob,
    e: unknown,
  ): Promise<ReconcileResult> {
    const message = `Could not read the status of AAP job ${job.jobID}: ${errorMessage(e)}`;
    // The state stays as it was: an unreadable status says nothing about the job.
    await this.writeStatus(instance, s => ({
      ...s,
      provisioningJobs: (s.provisioningJobs ?? []).map(j =>
        j.jobID === job.jobID && j.type === job.type ? { ...j, message } : j,
      ),
    }));
    if (job.message !== message) {
      await this.event(
        instance,
        'Warning',
        'StatusPollFailed',
        message,
        job.jobID,
      );
    }
    const retry =
      e instanceof RateLimitedError ? e.retryAfterMs : this.o.pollIntervalMs;
    return { requeueAfterMs: retry };
  }

  private async launchFailed(
    instance: ComputeInstance,
    type: JobType,
    e: unknown,
  ): Promise<ReconcileResult> {
    const failure = this.classifyLaunchError(type, e);
    this.o.logger.warn(
      `ComputeInstance ${keyOf(instance)}: ${failure.message}`,
    );
    await this.writeStatus(instance, s => s, failure);
    if (
      instance.status.conditions?.find(c => c.type === 'ConfigurationApplied')
        ?.message !== failure.message
    ) {
      await this.event(instance, 'Warning', failure.reason, failure.message);
    }
    return { requeueAfterMs: failure.requeueAfterMs };
  }

  private classifyLaunchError(type: JobType, e: unknown): LaunchError {
    const what = `Could not launch the ${type} job`;
    if (e instanceof RateLimitedError) {
      return {
        reason: 'LaunchRateLimited',
        message: `${what}: AAP is rate limiting (HTTP ${e.status}); retrying in ${Math.ceil(e.retryAfterMs / 1000)} s`,
        requeueAfterMs: e.retryAfterMs,
        fatal: false,
      };
    }
    const configRetry = this.o.configErrorRetryMs ?? 60_000;
    if (e instanceof TemplateNotFoundError) {
      return {
        reason: 'TemplateNotFound',
        message: `${what}: ${e.message}`,
        requeueAfterMs: configRetry,
        fatal: true,
      };
    }
    if (e instanceof AuthenticationError) {
      return {
        reason: 'AapAuthenticationFailed',
        message: `${what}: ${e.message}`,
        requeueAfterMs: configRetry,
        fatal: true,
      };
    }
    if (e instanceof ConfigurationError) {
      return {
        reason: 'ConfigurationError',
        message: `${what}: ${e.message}`,
        requeueAfterMs: configRetry,
        fatal: true,
      };
    }
    if (e instanceof AapNotFoundError) {
      // The template id was stale (deleted and recreated): the provider dropped its cache entry.
      return {
        reason: 'TemplateLookupStale',
        message: `${what}: ${e.message}; looking the template up again`,
        requeueAfterMs: Math.min(1000, this.o.pollIntervalMs),
        fatal: false,
      };
    }
    return {
      reason: 'LaunchFailed',
      message: `${what}: ${errorMessage(e)}`,
      requeueAfterMs: this.o.pollIntervalMs * 2,
      fatal: false,
    };
  }

  private async addFinalizer(
    instance: ComputeInstance,
  ): Promise<ComputeInstance | undefined> {
    let current: ComputeInstance | undefined = instance;
    for (let attempt = 0; attempt < 10 && current; attempt++) {
      if (current.metadata.deletionTimestamp) return undefined;
      if (current.metadata.finalizers.includes(this.o.names.finalizer))
        return current;
      try {
        return await this.o.store.update({
          ...current,
          metadata: {
            ...current.metadata,
            finalizers: [
              ...current.metadata.finalizers,
              this.o.names.finalizer,
            ],
          },
        });
      } catch (e) {
        if (!isStaleResourceVersionError(e)) throw e;
        current = await this.o.store.get(
          instance.metadata.namespace,
          instance.metadata.name,
        );
      }
    }
    return current;
  }

  private writeStatus(
    instance: ComputeInstance,
    mutate: (status: ComputeInstanceStatus) => ComputeInstanceStatus,
    failure?: Pick<LaunchError, 'reason' | 'message'> & { fatal?: boolean },
  ): Promise<ComputeInstance | undefined> {
    return this.writer.write(instance, current =>
      this.compose(current, mutate(current.status), failure),
    );
  }

  /** Derives desiredConfigVersion, phase and conditions from the (new) status. */
  private compose(
    instance: ComputeInstance,
    status: ComputeInstanceStatus,
    failure?: Pick<LaunchError, 'reason' | 'message'> & { fatal?: boolean },
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

  private safetyPollMs(): number {
    // The tracker wakes the instance on every change; this only heals a missed wake-up.
    return Math.max(this.o.pollIntervalMs * 5, 10_000);
  }

  private async event(
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

/** Job ids repeat across instances (EDA), so a cancel is remembered per instance. */
function cancelKey(instanceKey: string, job: ProvisioningJob): string {
  return `${instanceKey} ${job.jobID}`;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function assertNever(x: never): never {
  throw new Error(`Unexpected decision ${JSON.stringify(x)}`);
}
