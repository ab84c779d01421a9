import { ProvisioningJob } from '@vm-selfservice/plugin-vm-lifecycle-common';

/**
 * EDA event streams answer an accepted event with an empty 200: no job id ever reaches the sender.
 * The history still needs an id per event, so the EDA provider records `eda-webhook-N` (the OSAC
 * operator's convention). N is per instance, so the same id appears on many instances: anything
 * that indexes jobs across instances must key them by instance as well.
 */
export const EDA_JOB_PREFIX = 'eda-webhook-';

const EDA_JOB_ID = /^eda-webhook-([1-9]\d{0,15})$/;

export function isEdaJobId(jobID: string): boolean {
  return EDA_JOB_ID.test(jobID);
}

/** The number of an `eda-webhook-N` id, undefined for any other id. */
export function edaJobNumber(jobID: string): number | undefined {
  const match = EDA_JOB_ID.exec(jobID);
  if (!match) return undefined;
  const n = Number(match[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Highest existing number + 1 over the whole (capped) history. The history keeps the newest
 * entries, so the highest number survives the cap and a new id never repeats a recorded one.
 */
export function nextEdaJobId(
  jobs: readonly ProvisioningJob[] | undefined,
): string {
  let highest = 0;
  for (const job of jobs ?? []) {
    highest = Math.max(highest, edaJobNumber(job.jobID) ?? 0);
  }
  return `${EDA_JOB_PREFIX}${highest + 1}`;
}
