import {
  isLaunchIntent,
  isTerminalJobState,
  LifecycleEvent,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/** Event reasons the controller records when a job reaches a terminal state. */
const JOB_END_REASONS: ReadonlySet<string> = new Set([
  'ProvisionJobSucceeded',
  'ProvisionJobFailed',
  'ProvisionJobCanceled',
  'DeprovisionJobSucceeded',
  'DeprovisionJobFailed',
  'DeprovisionJobCanceled',
]);

/**
 * When a job ended, from the instance's events. Status keeps only the launch time, so the end
 * comes from the event the controller recorded when it saw the terminal state.
 */
export function jobEndTime(
  job: ProvisioningJob,
  events: readonly LifecycleEvent[] | undefined,
): string | undefined {
  if (!isTerminalJobState(job.state)) return undefined;
  const ended = (events ?? []).find(
    e => e.jobID === job.jobID && JOB_END_REASONS.has(e.reason),
  );
  return ended?.timestamp;
}

/**
 * Milliseconds from launch to end, or to `now` while the job still runs; undefined for a
 * finished job whose end was not recorded (we would rather show nothing than a wrong number).
 */
export function jobDurationMs(
  job: ProvisioningJob,
  events: readonly LifecycleEvent[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const start = Date.parse(job.timestamp);
  if (Number.isNaN(start)) return undefined;
  if (!isTerminalJobState(job.state)) return Math.max(0, now - start);
  const end = jobEndTime(job, events);
  return end ? Math.max(0, Date.parse(end) - start) : undefined;
}

/**
 * "Provision job 42"; for a launch intent (the controller has sent, or is about to send, the launch
 * and does not know AAP's job id yet) "Provision job launching…", and once the controller found
 * that AAP never ran it, "Provision job not launched". Never a blank or internal id.
 */
export function jobLabel(
  job: Pick<ProvisioningJob, 'type' | 'jobID' | 'state'>,
): string {
  const kind = job.type === 'provision' ? 'Provision' : 'Deprovision';
  if (isLaunchIntent(job)) {
    return `${kind} job ${isTerminalJobState(job.state) ? 'not launched' : 'launching…'}`;
  }
  return `${kind} job ${job.jobID}`;
}

/** Whether AAP has a job behind this entry (with output to show). */
export function hasAapJob(job: Pick<ProvisioningJob, 'jobID'>): boolean {
  return !isLaunchIntent(job);
}
