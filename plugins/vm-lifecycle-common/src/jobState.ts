import { JobState, JobType, ProvisioningJob } from './types';

export const JOB_STATES: readonly JobState[] = [
  'Pending',
  'Waiting',
  'Running',
  'Succeeded',
  'Failed',
  'Canceled',
  'Unknown',
];

const TERMINAL: ReadonlySet<JobState> = new Set(['Succeeded', 'Failed', 'Canceled']);

/** Unknown is deliberately non-terminal: the controller keeps polling until AAP says more. */
export function isTerminalJobState(state: JobState): boolean {
  return TERMINAL.has(state);
}

export function isSuccessfulJobState(state: JobState): boolean {
  return state === 'Succeeded';
}

/** Maps an AWX/AAP job `status` string to a job state. */
export function jobStateFromAapStatus(status: string | undefined | null): JobState {
  switch (status) {
    case 'new':
    case 'pending':
      return 'Pending';
    case 'waiting':
      return 'Waiting';
    case 'running':
      return 'Running';
    case 'successful':
      return 'Succeeded';
    case 'failed':
    case 'error':
      return 'Failed';
    case 'canceled':
      return 'Canceled';
    default:
      return 'Unknown';
  }
}

/**
 * The latest job of a type is the one with the greatest timestamp, not the last array entry:
 * entries can be reordered by a capped history or a merge of concurrent writes.
 */
export function latestJob(
  jobs: readonly ProvisioningJob[] | undefined,
  type: JobType,
): ProvisioningJob | undefined {
  let latest: ProvisioningJob | undefined;
  for (const job of jobs ?? []) {
    if (job.type !== type) continue;
    if (!latest || Date.parse(job.timestamp) >= Date.parse(latest.timestamp)) {
      latest = job;
    }
  }
  return latest;
}
