import { randomBytes } from 'node:crypto';
import {
  ApiGroupNames,
  ComputeInstance,
  ComputeInstanceStatus,
  isTerminalJobState,
  JobType,
  latestJob,
  launchIdOf,
  launchIntentJobId,
  LifecycleEvent,
  ProvisioningJob,
  sameLaunch,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AapNotFoundError,
  AuthenticationError,
  CancelOutcomeUnknownError,
  ConfigurationError,
  LaunchOutcomeUnknownError,
  RateLimitedError,
  TemplateNotFoundError,
} from '../aap/errors';
import {
  CancelResult,
  LaunchedJob,
  LaunchLookup,
  LaunchRequest,
  JobStatus,
  ProvisioningProvider,
} from '../providers/types';
import { ComputeInstanceStore } from '../store/types';
import { isStaleResourceVersionError } from '../store/errors';
import {
  BackoffPolicy,
  decideDeprovision,
  decideLaunchResolution,
  decideProvision,
  DEFAULT_RETRY_BACKOFF,
} from './decide';
import { JobTracker } from './jobTracker';
import {
  deriveConditions,
  desiredConfigVersion,
  nextJobTimestamp,
  pendingRestart,
  phaseFor,
  setCondition,
  upsertJob,
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
  now?: () => number;
}

/** Wait after an unknown outcome before the first look-up: long enough for AAP to list the job. */
const FIRST_LOOKUP_DELAY_MS = 500;

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
  /** Launch ids whose outcome is unknown, with the instance key and when this controller learned it. */
  private readonly unknownSince = new Map<
    string,
    { key: string; sinceMs: number }
  >();
  private readonly settleMs: number;
  /**
   * After a refused launch, no new attempt before this time (by instance key and job type). The
   * intent and its removal are two writes whose watch events would otherwise wake the instance at
   * once and defeat the backoff the refusal asked for.
   */
  private readonly launchNotBefore = new Map<string, number>();

  constructor(private readonly o: ReconcilerOptions) {
    this.writer = new StatusWriter(o.store, { maxJobHistory: o.maxJobHistory });
    this.now = o.now ?? Date.now;
    this.backoff = o.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
    this.settleMs = o.unknownOutcomeSettleMs ?? 60_000;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const stored = await this.o.store.get(namespace, name);
    if (!stored) {
      this.o.tracker.forgetInstance(key);
      for (const [launchID, entry] of this.unknownSince) {
        if (entry.key === key) this.unknownSince.delete(launchID);
      }
      this.launchNotBefore.delete(`${key} provision`);
      this.launchNotBefore.delete(`${key} deprovision`);
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
      case 'resolveLaunch':
        return this.resolveLaunch(key, instance, decision.job);
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
      case 'resolveLaunch':
        return this.resolveLaunch(key, instance, decision.job);
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
    let result: CancelResult;
    try {
      result = await this.o.provider.cancelJob(instance, job);
    } catch (e) {
      return this.cancelFailed(instance, job, e);
    }
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
      case 'notFound':
        return this.afterCancelRefused(key, instance, job, result);
      case 'notSupported':
        // Nothing to cancel (EDA): wait until the provision job ends by itself.
        this.o.tracker.track(key, instance, job);
        return { requeueAfterMs: this.o.pollIntervalMs };
      default:
        return assertNever(result);
    }
  }

  /**
   * The cancel may or may not have reached AAP (a lost answer), or AAP could not be asked. Nothing is
   * assumed: the next pass reads the job's live state again and asks again only if it still runs.
   */
  private async cancelFailed(
    instance: ComputeInstance,
    job: ProvisioningJob,
    e: unknown,
  ): Promise<ReconcileResult> {
    const message =
      e instanceof CancelOutcomeUnknownError
        ? `The answer to the cancel of provision job ${job.jobID} was lost (${e.message}); reading its live state before asking again`
        : `Could not cancel provision job ${job.jobID}: ${errorMessage(e)}; reading its live state before trying again`;
    this.o.logger.warn(`ComputeInstance ${keyOf(instance)}: ${message}`);
    await this.event(
      instance,
      'Warning',
      e instanceof CancelOutcomeUnknownError
        ? 'CancelOutcomeUnknown'
        : 'CancelFailed',
      message,
      job.jobID,
    );
    return {
      requeueAfterMs:
        e instanceof RateLimitedError ? e.retryAfterMs : this.o.pollIntervalMs,
    };
  }

  /**
   * AAP says the job can no longer be canceled: it finished (405) or is gone (404). Deprovisioning
   * starts only once a live read shows the job terminal (a purged job reads as such); a failed or
   * non-terminal read means wait and ask again, never an invented state.
   */
  private async afterCancelRefused(
    key: string,
    instance: ComputeInstance,
    job: ProvisioningJob,
    result: 'alreadyFinished' | 'notFound',
  ): Promise<ReconcileResult> {
    const refused = `AAP refused to cancel provision job ${job.jobID} (${result === 'notFound' ? '404: no such job' : '405: already finished'})`;
    let final: JobStatus;
    try {
      final = await this.o.tracker.freshStatus(instance, job);
    } catch (e) {
      return this.waitForTerminal(
        instance,
        job,
        `${refused}, but its state could not be read (${errorMessage(e)}); waiting for AAP to show it ended before deprovisioning`,
      );
    }
    if (!isTerminalJobState(final.state)) {
      return this.waitForTerminal(
        instance,
        job,
        `${refused}, but AAP still shows it ${final.state}; waiting for it to end before deprovisioning`,
      );
    }
    await this.recordJobState(key, instance, job, final);
    return { requeueAfterMs: 0 };
  }

  private async waitForTerminal(
    instance: ComputeInstance,
    job: ProvisioningJob,
    message: string,
  ): Promise<ReconcileResult> {
    if (job.message !== message) {
      await this.updateJob(instance, job, { message });
      await this.event(
        instance,
        'Warning',
        'WaitingForJobEnd',
        message,
        job.jobID,
      );
    }
    return { requeueAfterMs: this.o.pollIntervalMs };
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

  /**
   * A launch is an intent first (DOMAIN.md, "Lost answers"): the intent, with a launch id unique to
   * this attempt, is persisted before the request, so that whatever becomes of the answer the job
   * can be found again and no second one is launched for the same intent.
   */
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
    const notBefore = this.launchNotBefore.get(`${key} ${type}`) ?? 0;
    if (this.now() < notBefore)
      return { requeueAfterMs: notBefore - this.now() };

    const launchID = newLaunchId(fresh.metadata.uid, type);
    const intent: ProvisioningJob = {
      jobID: launchIntentJobId(launchID),
      launchID,
      type,
      timestamp: nextJobTimestamp(fresh.status.provisioningJobs, this.now()),
      state: 'Pending',
      message: `Launching the ${type} job (launch id ${launchID})`,
      configVersion,
      blockDeletionOnFailure: type === 'deprovision',
    };
    const written = await this.writer.write(fresh, current => {
      const other = latestJob(current.status.provisioningJobs, type);
      // Re-applied on a conflict: if another writer recorded a job of this type meanwhile, stop.
      if (other && !isTerminalJobState(other.state)) return undefined;
      return this.compose(current, {
        ...current.status,
        provisioningJobs: upsertJob(
          current.status.provisioningJobs,
          intent,
          this.o.maxJobHistory,
        ),
      });
    });
    if (!written || !findLaunch(written, intent)) return { requeueAfterMs: 0 };
    return this.sendLaunch(key, written, intent);
  }

  /** Sends the launch of a persisted intent (the first time, or again once AAP provably has no job for it). */
  private async sendLaunch(
    key: string,
    instance: ComputeInstance,
    intent: ProvisioningJob,
  ): Promise<ReconcileResult> {
    const { type, configVersion } = intent;
    const request = launchRequestOf(intent);
    const payload: ComputeInstance = {
      ...instance,
      status: { ...instance.status, desiredConfigVersion: configVersion },
    };
    let launched: LaunchedJob;
    try {
      if (type === 'provision') {
        launched = await this.o.provider.triggerProvision(payload, request);
      } else {
        const trigger = await this.o.provider.triggerDeprovision(
          payload,
          request,
        );
        if (trigger.action === 'skipped') {
          const cleared = await this.dropIntent(instance, intent);
          await this.event(
            instance,
            'Normal',
            'DeprovisionSkipped',
            trigger.message,
          );
          await this.removeFinalizer(
            key,
            cleared ?? instance,
            `Deprovisioning skipped: ${trigger.message}`,
          );
          return {};
        }
        if (trigger.action === 'waiting') {
          await this.dropIntent(instance, intent, {
            reason: 'DeprovisionWaiting',
            message: trigger.message,
          });
          return { requeueAfterMs: this.o.pollIntervalMs };
        }
        launched = trigger.job;
      }
    } catch (e) {
      if (e instanceof LaunchOutcomeUnknownError) {
        return this.launchOutcomeUnknown(key, instance, intent, e);
      }
      // A definite answer: AAP created no job, so the intent goes and a later attempt is a new one.
      const failure = this.classifyLaunchError(type, e);
      this.launchNotBefore.set(
        `${key} ${type}`,
        this.now() + failure.requeueAfterMs,
      );
      await this.dropIntent(instance, intent, failure);
      return this.launchFailed(instance, failure);
    }
    return this.recordLaunched(key, instance, intent, launched, 'launched');
  }

  /** Replaces the intent with the job AAP has for it, persisted before anything else can fail. */
  private async recordLaunched(
    key: string,
    instance: ComputeInstance,
    intent: ProvisioningJob,
    launched: LaunchedJob,
    how: 'launched' | 'adopted',
  ): Promise<ReconcileResult> {
    const job: ProvisioningJob = {
      ...intent,
      jobID: launched.jobID,
      state: launched.state,
      message: launched.message,
    };
    // An id only in memory is a duplicate job waiting to happen.
    const written = await this.writer.persistLaunchedJob(
      instance,
      job,
      (current, status) => this.compose(current, status),
    );
    const launchID = launchIdOf(intent);
    if (launchID) this.unknownSince.delete(launchID);
    this.launchNotBefore.delete(`${key} ${job.type}`);
    const label = job.type === 'provision' ? 'Provision' : 'Deprovision';
    await this.event(
      written ?? instance,
      'Normal',
      how === 'launched' ? `${label}JobLaunched` : `${label}JobAdopted`,
      how === 'launched'
        ? `Launched AAP ${job.type} job ${job.jobID} (config version ${job.configVersion}, launch id ${launchID})`
        : `Adopted AAP ${job.type} job ${job.jobID}: its launch answer was lost, and AAP has it under launch id ${launchID}`,
      job.jobID,
    );
    if (written) {
      this.o.tracker.track(key, written, job);
      // AAP's answer is a fresh observation: the next reconcile need not ask again.
      this.o.tracker.seed(key, job, { state: job.state, message: job.message });
    }
    return { requeueAfterMs: this.safetyPollMs() };
  }

  /** The request may or may not have created a job: keep the intent and find out, never relaunch blindly. */
  private async launchOutcomeUnknown(
    key: string,
    instance: ComputeInstance,
    intent: ProvisioningJob,
    e: LaunchOutcomeUnknownError,
  ): Promise<ReconcileResult> {
    const launchID = launchIdOf(intent)!;
    this.unknownSince.set(launchID, { key, sinceMs: this.now() });
    const message = `The answer to the ${intent.type} launch was lost (${e.message}); looking for the job by launch id ${launchID} before launching anything again`;
    this.o.logger.warn(`ComputeInstance ${keyOf(instance)}: ${message}`);
    const written = await this.updateJob(instance, intent, {
      state: 'Unknown',
      message,
    });
    await this.event(
      written ?? instance,
      'Warning',
      'LaunchOutcomeUnknown',
      message,
    );
    return {
      requeueAfterMs: Math.min(FIRST_LOOKUP_DELAY_MS, this.o.pollIntervalMs),
    };
  }

  /**
   * An intent without a job id: the launch answer was lost, or the controller stopped between
   * recording the intent and recording the job. Find the job in AAP by the launch id and adopt
   * it; launch again (same launch id) only when AAP provably has none.
   */
  private async resolveLaunch(
    key: string,
    instance: ComputeInstance,
    intent: ProvisioningJob,
  ): Promise<ReconcileResult> {
    const launchID = launchIdOf(intent)!;
    let known = this.unknownSince.get(launchID);
    if (!known) {
      // Found after a restart or a leader change: the request may have been sent just now.
      known = { key, sinceMs: this.now() };
      this.unknownSince.set(launchID, known);
    }
    let lookup: LaunchLookup;
    try {
      lookup = await this.o.provider.findLaunch(
        instance,
        intent.type,
        launchRequestOf(intent),
      );
    } catch (e) {
      const message = `Could not look for the ${intent.type} job of launch id ${launchID} in AAP: ${errorMessage(e)}; the intent stays, nothing is launched until AAP answers`;
      if (intent.message !== message) {
        await this.updateJob(instance, intent, { message });
        await this.event(instance, 'Warning', 'LaunchLookupFailed', message);
      }
      return {
        requeueAfterMs:
          e instanceof RateLimitedError
            ? e.retryAfterMs
            : this.o.pollIntervalMs * 2,
      };
    }
    const deleting = Boolean(instance.metadata.deletionTimestamp);
    const intendedAt = Date.parse(intent.timestamp);
    const resolution = decideLaunchResolution({
      intent,
      lookup,
      unknownSinceMs: Number.isNaN(intendedAt)
        ? known.sinceMs
        : Math.min(
            known.sinceMs,
            intendedAt + (this.o.maxClockSkewMs ?? 30_000),
          ),
      settleMs: this.settleMs,
      nowMs: this.now(),
      deleting,
      desiredConfigVersion: desiredConfigVersion(instance),
    });
    switch (resolution.action) {
      case 'adopt': {
        if (lookup.outcome !== 'found') return {};
        if (lookup.duplicates.length > 0) {
          await this.event(
            instance,
            'Warning',
            'DuplicateJobsForLaunch',
            `AAP holds several jobs with launch id ${launchID}: adopted ${lookup.job.jobID}, not ${lookup.duplicates.join(', ')}`,
          );
        }
        return this.recordLaunched(
          key,
          instance,
          intent,
          lookup.job,
          'adopted',
        );
      }
      case 'wait': {
        const message = `The ${intent.type} launch with launch id ${launchID} is not in AAP (yet): waiting ${Math.ceil(resolution.retryInMs / 1000)} s for a request still on its way before deciding`;
        if (
          intent.state !== 'Unknown' ||
          !intent.message.startsWith(message.slice(0, 40))
        ) {
          await this.updateJob(instance, intent, { state: 'Unknown', message });
        }
        return { requeueAfterMs: Math.max(resolution.retryInMs, 100) };
      }
      case 'abandon': {
        const message = `Not launched: ${lookup.outcome === 'unsearchable' ? 'the outcome of the event could not be learned' : `AAP has no job with launch id ${launchID}`}, and ${resolution.reason}`;
        this.unknownSince.delete(launchID);
        await this.updateJob(instance, intent, { state: 'Canceled', message });
        await this.event(instance, 'Normal', 'LaunchAbandoned', message);
        return { requeueAfterMs: 0 };
      }
      case 'relaunch': {
        const again =
          lookup.outcome === 'unsearchable'
            ? `Sending the ${intent.type} event again with the same event id ${launchID}: ${lookup.reason}`
            : `AAP has no job with launch id ${launchID}: launching the ${intent.type} job again with the same launch id`;
        const written = await this.updateJob(instance, intent, {
          state: 'Pending',
          message: again,
        });
        if (!written) return { requeueAfterMs: 0 };
        await this.event(written, 'Normal', 'LaunchRepeated', again);
        const current = findLaunch(written, intent);
        if (!current) return { requeueAfterMs: 0 };
        return this.sendLaunch(key, written, current);
      }
      default:
        return assertNever(resolution);
    }
  }

  /** Writes new state/message on one entry of the history (found by id or launch id). */
  private updateJob(
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

  /** Removes an intent AAP provably never acted on (a definite refusal of the launch). */
  private dropIntent(
    instance: ComputeInstance,
    intent: ProvisioningJob,
    failure?: Pick<LaunchError, 'reason' | 'message'> & { fatal?: boolean },
  ): Promise<ComputeInstance | undefined> {
    const launchID = launchIdOf(intent);
    if (launchID) this.unknownSince.delete(launchID);
    return this.writeStatus(
      instance,
      s => ({
        ...s,
        provisioningJobs: (s.provisioningJobs ?? []).filter(
          j => j.jobID !== intent.jobID,
        ),
      }),
      failure,
    );
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
    failure: LaunchError,
  ): Promise<ReconcileResult> {
    this.o.logger.warn(
      `ComputeInstance ${keyOf(instance)}: ${failure.message}`,
    );
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

/** `<uid>-<type>-<random>`: unique per attempt, and it names the instance it is for. */
function newLaunchId(uid: string, type: JobType): string {
  return `${uid}-${type}-${randomBytes(4).toString('hex')}`;
}

function launchRequestOf(intent: ProvisioningJob): LaunchRequest {
  return { launchID: launchIdOf(intent)!, intendedAt: intent.timestamp };
}

/** The entry for this launch in a stored instance (the intent, or the job it became). */
function findLaunch(
  instance: ComputeInstance,
  job: ProvisioningJob,
): ProvisioningJob | undefined {
  return instance.status.provisioningJobs?.find(j => sameLaunch(j, job));
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
