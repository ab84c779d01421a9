import {
  ComputeInstance,
  latestJob,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  CancelOutcomeUnknownError,
  errorLogText,
  RateLimitedError,
} from '../aap/errors';
import { CancelResult, JobStatus } from '../providers/types';
import {
  decideAfterCancel,
  decideAfterRefusedCancel,
  decideStopProvision,
} from './decide';
import { recordJobState, statusReadFailed } from './jobSteps';
import {
  assertNever,
  errorMessage,
  isLeadershipEnd,
  ReconcileContext,
} from './reconcileContext';
import { keyOf } from './statusWriter';
import { ReconcileResult } from './workQueue';

/**
 * Delete while provisioning: the provision job must be terminal before the deprovision job starts.
 * Its stored state may be stale, so it is read live from AAP; if it still runs it is canceled and
 * waited for (AAP cancels asynchronously: the task already sent to the host finishes first).
 */
export async function stopProvisionJob(
  ctx: ReconcileContext,
  key: string,
  stored: ComputeInstance,
  storedJob: ProvisioningJob,
): Promise<ReconcileResult> {
  let instance = stored;
  let job = storedJob;
  const { uid } = instance.metadata;
  const accepted = ctx.memory.cancelRequested(uid, job.jobID);
  let live: JobStatus;
  try {
    // The decision to cancel needs the live state; once a cancel is accepted, the tracker's
    // observation (at most two poll intervals old) is enough to see the job end.
    live = accepted
      ? await ctx.o.tracker.currentStatus(instance, job)
      : await ctx.o.tracker.freshStatus(instance, job);
  } catch (e) {
    return statusReadFailed(ctx, instance, job, e);
  }
  const decision = decideStopProvision(live.state, accepted);
  if (decision.action === 'recordEnded') {
    await recordJobState(ctx, key, instance, job, live);
    return { requeueAfterMs: 0 };
  }
  if (live.state !== job.state) {
    const written = await recordJobState(ctx, key, instance, job, live);
    if (!written) return {};
    instance = written;
    job = latestJob(instance.status.provisioningJobs, 'provision') ?? job;
  }
  if (decision.action === 'waitForCancel') {
    ctx.o.tracker.track(key, instance, job);
    return { requeueAfterMs: ctx.o.pollIntervalMs };
  }

  let answer: CancelResult | 'failed';
  let error: unknown;
  const signal = await ctx.beforeSideEffect(
    `cancel of provision job ${job.jobID} of ${key}`,
  );
  try {
    answer = await ctx.o.provider.cancelJob(instance, job, { signal });
  } catch (e) {
    if (isLeadershipEnd(e)) throw e;
    answer = 'failed';
    error = e;
  }
  const next = decideAfterCancel(answer);
  switch (next.action) {
    case 'waitForCancel':
      ctx.memory.rememberCancel(uid, job.jobID);
      await ctx.event(
        instance,
        'Normal',
        'CancelRequested',
        `Provision job ${job.jobID} is ${live.state}: asked AAP to cancel it before deprovisioning`,
        job.jobID,
      );
      ctx.o.tracker.track(key, instance, job);
      return { requeueAfterMs: ctx.o.pollIntervalMs };
    case 'confirmEnded':
      return confirmEnded(
        ctx,
        key,
        instance,
        job,
        answer === 'notFound' ? '404: no such job' : '405: already finished',
      );
    case 'waitForEnd':
      ctx.o.tracker.track(key, instance, job);
      return { requeueAfterMs: ctx.o.pollIntervalMs };
    case 'readAgain':
      return cancelFailed(ctx, instance, job, error);
    default:
      return assertNever(next);
  }
}

/**
 * The cancel may or may not have reached AAP (a lost answer), or AAP could not be asked. Nothing is
 * assumed: the next pass reads the job's live state again and asks again only if it still runs.
 */
async function cancelFailed(
  ctx: ReconcileContext,
  instance: ComputeInstance,
  job: ProvisioningJob,
  e: unknown,
): Promise<ReconcileResult> {
  const lost = e instanceof CancelOutcomeUnknownError;
  const message = lost
    ? `The answer to the cancel of provision job ${job.jobID} was lost (${errorMessage(e)}); reading its live state before asking again`
    : `Could not cancel provision job ${job.jobID}: ${errorMessage(e)}; reading its live state before trying again`;
  ctx.o.logger.warn(
    `ComputeInstance ${keyOf(instance)}: ${message} [${errorLogText(e)}]`,
  );
  ctx.memory.noteAapTrouble(instance.metadata.uid, message, ctx.now());
  await ctx.event(
    instance,
    'Warning',
    lost ? 'CancelOutcomeUnknown' : 'CancelFailed',
    message,
    job.jobID,
  );
  return {
    requeueAfterMs:
      e instanceof RateLimitedError ? e.retryAfterMs : ctx.o.pollIntervalMs,
  };
}

/** After a refused cancel: deletion goes on only once a live read shows the job ended. */
async function confirmEnded(
  ctx: ReconcileContext,
  key: string,
  instance: ComputeInstance,
  job: ProvisioningJob,
  refusal: string,
): Promise<ReconcileResult> {
  const refused = `AAP refused to cancel provision job ${job.jobID} (${refusal})`;
  let read: JobStatus | undefined;
  let readError: unknown;
  try {
    read = await ctx.o.tracker.freshStatus(instance, job);
  } catch (e) {
    readError = e;
  }
  const decision = decideAfterRefusedCancel(read?.state ?? 'unreadable');
  if (decision.action === 'recordEnded') {
    await recordJobState(ctx, key, instance, job, read!);
    return { requeueAfterMs: 0 };
  }
  if (decision.because === 'unreadable') {
    ctx.memory.noteAapTrouble(
      instance.metadata.uid,
      `${refused}; its state could not be read (${errorMessage(readError)})`,
      ctx.now(),
    );
  }
  const message =
    decision.because === 'unreadable'
      ? `${refused}, but its state could not be read (${errorMessage(readError)}); waiting for AAP to show it ended before deprovisioning`
      : `${refused}, but AAP still shows it ${read!.state}; waiting for it to end before deprovisioning`;
  if (job.message !== message) {
    await ctx.updateJob(instance, job, { message });
    await ctx.event(
      instance,
      'Warning',
      'WaitingForJobEnd',
      message,
      job.jobID,
    );
  }
  return { requeueAfterMs: ctx.o.pollIntervalMs };
}
