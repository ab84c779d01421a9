import { randomBytes } from 'node:crypto';
import {
  ComputeInstance,
  isTerminalJobState,
  JobType,
  latestJob,
  launchIdOf,
  launchIntentJobId,
  ProvisioningJob,
  sameLaunch,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  errorLogText,
  LaunchOutcomeUnknownError,
  RateLimitedError,
} from '../aap/errors';
import { LaunchedJob, LaunchLookup, LaunchRequest } from '../providers/types';
import { decideLaunchResolution } from './decide';
import { removeFinalizer } from './finalizers';
import { classifyLaunchError, reportLaunchFailure } from './launchErrors';
import {
  assertNever,
  errorMessage,
  isLeadershipEnd,
  ReconcileContext,
  StatusFailure,
} from './reconcileContext';
import { desiredConfigVersion, nextJobTimestamp, upsertJob } from './status';
import { keyOf } from './statusWriter';
import { ReconcileResult } from './workQueue';

/*
 * A launch is an intent first (DOMAIN.md, "Lost answers"): the intent, with a launch id unique to
 * the attempt, is persisted before the request, so that whatever becomes of the answer the job can
 * be found again and no second job is launched for the same intent.
 */

/** Wait after an unknown outcome before the first look-up: long enough for AAP to list the job. */
const FIRST_LOOKUP_DELAY_MS = 500;

/** Records the intent of a new job of `type` and sends its launch. */
export async function launch(
  ctx: ReconcileContext,
  key: string,
  instance: ComputeInstance,
  type: JobType,
  configVersion: string,
): Promise<ReconcileResult> {
  const { uid } = instance.metadata;
  // Re-read uncached: two reconciles on a stale view must not launch two jobs.
  const stored = await ctx.o.store.get(
    instance.metadata.namespace,
    instance.metadata.name,
  );
  if (!stored || stored.metadata.uid !== uid) return {};
  const fresh = ctx.writer.withPendingJobs(stored);
  if (fresh.metadata.resourceVersion !== instance.metadata.resourceVersion) {
    return { requeueAfterMs: 0 };
  }
  const active = latestJob(fresh.status.provisioningJobs, type);
  if (active && !isTerminalJobState(active.state)) {
    return { requeueAfterMs: ctx.o.pollIntervalMs };
  }
  // After a refused launch the own writes wake the instance at once; the refusal's backoff holds.
  const notBefore = ctx.memory.launchNotBefore(uid, type);
  if (ctx.now() < notBefore) return { requeueAfterMs: notBefore - ctx.now() };

  const launchID = newLaunchId(uid, type);
  const intent: ProvisioningJob = {
    jobID: launchIntentJobId(launchID),
    launchID,
    type,
    timestamp: nextJobTimestamp(fresh.status.provisioningJobs, ctx.now()),
    state: 'Pending',
    message: `Launching the ${type} job (launch id ${launchID})`,
    configVersion,
    blockDeletionOnFailure: type === 'deprovision',
  };
  const written = await ctx.writer.write(fresh, current => {
    const other = latestJob(current.status.provisioningJobs, type);
    // Re-applied on a conflict: if another writer recorded a job of this type meanwhile, stop.
    if (other && !isTerminalJobState(other.state)) return undefined;
    return ctx.compose(current, {
      ...current.status,
      provisioningJobs: upsertJob(
        current.status.provisioningJobs,
        intent,
        ctx.o.maxJobHistory,
      ),
    });
  });
  if (!written || !findLaunch(written, intent)) return { requeueAfterMs: 0 };
  return sendLaunch(ctx, key, written, intent);
}

/**
 * An intent without a job id: the launch answer was lost, or the controller stopped between
 * recording the intent and recording the job. Finds the job in AAP by the launch id and adopts it;
 * launches again (same launch id) only when AAP provably has none.
 */
export async function resolveLaunch(
  ctx: ReconcileContext,
  key: string,
  instance: ComputeInstance,
  intent: ProvisioningJob,
): Promise<ReconcileResult> {
  const { uid } = instance.metadata;
  const launchID = launchIdOf(intent)!;
  let since = ctx.memory.unknownSince(uid, launchID);
  if (since === undefined) {
    // Found after a restart or a leader change: the request may have been sent just now.
    since = ctx.now();
    ctx.memory.rememberUnknown(uid, launchID, since);
  }
  const outcome = await ctx.resolver.lookup(key, instance, intent);
  // Still running: the resolver wakes the instance when it ends; this requeue only heals a miss.
  if (!outcome) return { requeueAfterMs: ctx.safetyPollMs() };
  if ('error' in outcome) {
    const e = outcome.error;
    const message = `Could not look for the ${intent.type} job of launch id ${launchID} in AAP: ${errorMessage(e)}; the intent stays, nothing is launched until AAP answers`;
    ctx.memory.noteAapTrouble(uid, message, ctx.now());
    if (intent.message !== message) {
      ctx.o.logger.warn(
        `ComputeInstance ${keyOf(instance)}: ${message} [${errorLogText(e)}]`,
      );
      await ctx.updateJob(instance, intent, { message });
      await ctx.event(instance, 'Warning', 'LaunchLookupFailed', message);
    }
    return {
      requeueAfterMs:
        e instanceof RateLimitedError
          ? e.retryAfterMs
          : ctx.o.pollIntervalMs * 2,
    };
  }
  const lookup: LaunchLookup = outcome.lookup;
  const intendedAt = Date.parse(intent.timestamp);
  const resolution = decideLaunchResolution({
    intent,
    lookup,
    unknownSinceMs: Number.isNaN(intendedAt)
      ? since
      : Math.min(since, intendedAt + ctx.maxClockSkewMs),
    settleMs: ctx.settleMs,
    nowMs: ctx.now(),
    deleting: Boolean(instance.metadata.deletionTimestamp),
    desiredConfigVersion: desiredConfigVersion(instance),
  });
  switch (resolution.action) {
    case 'adopt': {
      if (lookup.outcome !== 'found') return {};
      if (lookup.duplicates.length > 0) {
        await ctx.event(
          instance,
          'Warning',
          'DuplicateJobsForLaunch',
          `AAP holds several jobs with launch id ${launchID}: adopted ${lookup.job.jobID}, not ${lookup.duplicates.join(', ')}`,
        );
      }
      return recordLaunched(ctx, key, instance, intent, lookup.job, 'adopted');
    }
    case 'wait': {
      const message = `The ${intent.type} launch with launch id ${launchID} is not in AAP (yet): waiting ${Math.ceil(resolution.retryInMs / 1000)} s for a request still on its way before deciding`;
      const stable = message.slice(0, message.indexOf(': waiting'));
      if (intent.state !== 'Unknown' || !intent.message.startsWith(stable)) {
        await ctx.updateJob(instance, intent, { state: 'Unknown', message });
      }
      return { requeueAfterMs: Math.max(resolution.retryInMs, 100) };
    }
    case 'abandon': {
      const message = `Not launched: ${lookup.outcome === 'unsearchable' ? 'the outcome of the event could not be learned' : `AAP has no job with launch id ${launchID}`}, and ${resolution.reason}`;
      ctx.memory.forgetUnknown(uid, launchID);
      await ctx.updateJob(instance, intent, { state: 'Canceled', message });
      await ctx.event(instance, 'Normal', 'LaunchAbandoned', message);
      return { requeueAfterMs: 0 };
    }
    case 'relaunch': {
      const again =
        lookup.outcome === 'unsearchable'
          ? `Sending the ${intent.type} event again with the same event id ${launchID}: ${lookup.reason}`
          : `AAP has no job with launch id ${launchID}: launching the ${intent.type} job again with the same launch id`;
      const written = await ctx.updateJob(instance, intent, {
        state: 'Pending',
        message: again,
      });
      if (!written) return { requeueAfterMs: 0 };
      await ctx.event(written, 'Normal', 'LaunchRepeated', again);
      const current = findLaunch(written, intent);
      if (!current) return { requeueAfterMs: 0 };
      return sendLaunch(ctx, key, written, current);
    }
    default:
      return assertNever(resolution);
  }
}

/** Sends the launch of a persisted intent (the first time, or again once AAP provably has no job for it). */
async function sendLaunch(
  ctx: ReconcileContext,
  key: string,
  instance: ComputeInstance,
  intent: ProvisioningJob,
): Promise<ReconcileResult> {
  const { type, configVersion } = intent;
  // The intent is persisted: if leadership ends from here on, the next leader adopts or relaunches it.
  const signal = await ctx.beforeSideEffect(`${type} launch of ${key}`);
  const request: LaunchRequest = { ...launchRequestOf(intent), signal };
  const payload: ComputeInstance = {
    ...instance,
    status: { ...instance.status, desiredConfigVersion: configVersion },
  };
  let launched: LaunchedJob;
  try {
    if (type === 'provision') {
      launched = await ctx.o.provider.triggerProvision(payload, request);
    } else {
      const trigger = await ctx.o.provider.triggerDeprovision(payload, request);
      if (trigger.action === 'skipped') {
        const cleared = await dropIntent(ctx, instance, intent);
        await ctx.event(
          instance,
          'Normal',
          'DeprovisionSkipped',
          trigger.message,
        );
        await removeFinalizer(
          ctx,
          key,
          cleared ?? instance,
          `Deprovisioning skipped: ${trigger.message}`,
        );
        return {};
      }
      if (trigger.action === 'waiting') {
        await dropIntent(ctx, instance, intent, {
          reason: 'DeprovisionWaiting',
          message: trigger.message,
        });
        return { requeueAfterMs: ctx.o.pollIntervalMs };
      }
      launched = trigger.job;
    }
  } catch (e) {
    // Abandoned with the term (or a write refused): nothing may be recorded, the next leader resolves it.
    if (isLeadershipEnd(e)) throw e;
    if (e instanceof LaunchOutcomeUnknownError) {
      return launchOutcomeUnknown(ctx, instance, intent, e);
    }
    // A definite answer: AAP created no job, so the intent goes and a later attempt is a new one.
    const failure = classifyLaunchError(ctx, type, e);
    ctx.memory.holdLaunches(
      instance.metadata.uid,
      type,
      ctx.now() + failure.requeueAfterMs,
    );
    await dropIntent(ctx, instance, intent, failure);
    return reportLaunchFailure(ctx, instance, failure);
  }
  return recordLaunched(ctx, key, instance, intent, launched, 'launched');
}

/** Replaces the intent with the job AAP has for it, persisted before anything else can fail. */
async function recordLaunched(
  ctx: ReconcileContext,
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
  const written = await ctx.writer.persistLaunchedJob(
    instance,
    job,
    (current, status) => ctx.compose(current, status),
  );
  const launchID = launchIdOf(intent);
  const { uid } = instance.metadata;
  if (launchID) ctx.memory.forgetUnknown(uid, launchID);
  ctx.memory.releaseLaunches(uid, job.type);
  const label = job.type === 'provision' ? 'Provision' : 'Deprovision';
  await ctx.event(
    written ?? instance,
    'Normal',
    how === 'launched' ? `${label}JobLaunched` : `${label}JobAdopted`,
    how === 'launched'
      ? `Launched AAP ${job.type} job ${job.jobID} (config version ${job.configVersion}, launch id ${launchID})`
      : `Adopted AAP ${job.type} job ${job.jobID}: its launch answer was lost, and AAP has it under launch id ${launchID}`,
    job.jobID,
  );
  if (written) {
    ctx.o.tracker.track(key, written, job);
    // AAP's answer is a fresh observation: the next reconcile need not ask again.
    ctx.o.tracker.seed(key, job, { state: job.state, message: job.message });
  }
  return { requeueAfterMs: ctx.safetyPollMs() };
}

/** The request may or may not have created a job: keep the intent and find out, never relaunch blindly. */
async function launchOutcomeUnknown(
  ctx: ReconcileContext,
  instance: ComputeInstance,
  intent: ProvisioningJob,
  e: LaunchOutcomeUnknownError,
): Promise<ReconcileResult> {
  const launchID = launchIdOf(intent)!;
  ctx.memory.rememberUnknown(instance.metadata.uid, launchID, ctx.now());
  const message = `The answer to the ${intent.type} launch was lost (${e.message}); looking for the job by launch id ${launchID} before launching anything again`;
  ctx.o.logger.warn(
    `ComputeInstance ${keyOf(instance)}: ${message} [${errorLogText(e)}]`,
  );
  const written = await ctx.updateJob(instance, intent, {
    state: 'Unknown',
    message,
  });
  await ctx.event(
    written ?? instance,
    'Warning',
    'LaunchOutcomeUnknown',
    message,
  );
  return {
    requeueAfterMs: Math.min(FIRST_LOOKUP_DELAY_MS, ctx.o.pollIntervalMs),
  };
}

/** Removes an intent AAP provably never acted on (a definite refusal of the launch). */
function dropIntent(
  ctx: ReconcileContext,
  instance: ComputeInstance,
  intent: ProvisioningJob,
  failure?: StatusFailure,
): Promise<ComputeInstance | undefined> {
  const launchID = launchIdOf(intent);
  if (launchID) ctx.memory.forgetUnknown(instance.metadata.uid, launchID);
  return ctx.writeStatus(
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
