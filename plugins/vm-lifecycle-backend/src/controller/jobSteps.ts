import {
  ComputeInstance,
  ComputeInstanceStatus,
  isTerminalJobState,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { errorLogText, RateLimitedError } from '../aap/errors';
import { keyOf } from './statusWriter';
import { JobStatus } from '../providers/types';
import { errorMessage, ReconcileContext } from './reconcileContext';
import { desiredConfigVersion, pendingRestart } from './status';
import { ReconcileResult } from './workQueue';

/** A non-terminal job: read its state (from the tracker's recent observation) and record a change. */
export async function pollJob(
  ctx: ReconcileContext,
  key: string,
  instance: ComputeInstance,
  job: ProvisioningJob,
): Promise<ReconcileResult> {
  ctx.o.tracker.track(key, instance, job);
  let status: JobStatus;
  try {
    status = await ctx.o.tracker.currentStatus(instance, job);
  } catch (e) {
    return statusReadFailed(ctx, instance, job, e);
  }
  if (status.state === job.state && status.message === job.message) {
    // Nothing new from AAP, but the spec may have changed meanwhile (desired version, phase).
    await ctx.writeStatus(instance, s => s);
    return { requeueAfterMs: ctx.safetyPollMs() };
  }
  const written = await recordJobState(ctx, key, instance, job, status);
  if (isTerminalJobState(status.state)) return { requeueAfterMs: 0 };
  if (written) ctx.o.tracker.track(key, written, { ...job, ...status });
  return { requeueAfterMs: ctx.safetyPollMs() };
}

/** Writes a job's new state (and everything that follows from it) and records the event. */
export async function recordJobState(
  ctx: ReconcileContext,
  key: string,
  instance: ComputeInstance,
  job: ProvisioningJob,
  status: JobStatus,
): Promise<ComputeInstance | undefined> {
  const restartBefore = pendingRestart(instance);
  const written = await ctx.writeStatus(instance, s => {
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
  if (status.state === job.state) return written;
  const terminal = isTerminalJobState(status.state);
  if (terminal) {
    ctx.o.tracker.untrack(key, job);
    ctx.memory.forgetCancel(instance.metadata.uid, job.jobID);
  }
  const label = job.type === 'provision' ? 'Provision' : 'Deprovision';
  await ctx.event(
    written ?? instance,
    status.state === 'Failed' ? 'Warning' : 'Normal',
    terminal ? `${label}Job${status.state}` : 'JobStateChanged',
    terminal
      ? `${label} job ${job.jobID} ${status.state.toLowerCase()}: ${status.message}`
      : `${label} job ${job.jobID} is ${status.state}`,
    job.jobID,
  );
  if (written && restartBefore && !pendingRestart(written)) {
    await ctx.event(
      written,
      'Normal',
      'RestartApplied',
      `Restart requested at ${restartBefore} was carried out by job ${job.jobID}`,
      job.jobID,
    );
  }
  return written;
}

/** The state stays as it was: an unreadable status says nothing about the job. */
export async function statusReadFailed(
  ctx: ReconcileContext,
  instance: ComputeInstance,
  job: ProvisioningJob,
  e: unknown,
): Promise<ReconcileResult> {
  const message = `Could not read the status of AAP job ${job.jobID}: ${errorMessage(e)}`;
  ctx.memory.noteAapTrouble(instance.metadata.uid, message, ctx.now());
  await ctx.updateJob(instance, job, { message });
  if (job.message !== message) {
    ctx.o.logger.warn(
      `ComputeInstance ${keyOf(instance)}: ${message} [${errorLogText(e)}]`,
    );
    await ctx.event(
      instance,
      'Warning',
      'StatusPollFailed',
      message,
      job.jobID,
    );
  }
  return {
    requeueAfterMs:
      e instanceof RateLimitedError ? e.retryAfterMs : ctx.o.pollIntervalMs,
  };
}
