import { ProvisioningJob } from './types';

/*
 * A launch is an intent first (DOMAIN.md, "Lost answers"): before the launch request the controller
 * records a job entry whose jobID is `intent:<launchID>`, and replaces it with AAP's job id once it
 * knows it (from the launch answer, or by finding the job in AAP by its launch id when the answer
 * was lost). The launch id rides in the jobID itself, not only in `launchID`, because OSAC's own
 * CRD requires jobID and prunes fields it does not know: an intent must survive a cluster that runs it.
 */

export const LAUNCH_INTENT_PREFIX = 'intent:';

export function launchIntentJobId(launchID: string): string {
  return `${LAUNCH_INTENT_PREFIX}${launchID}`;
}

/** True for an entry that has no AAP job (yet): its launch was, or is about to be, sent. */
export function isLaunchIntent(job: Pick<ProvisioningJob, 'jobID'>): boolean {
  return job.jobID.startsWith(LAUNCH_INTENT_PREFIX);
}

/** The launch id of an entry: the field, or the one an intent's jobID carries. */
export function launchIdOf(
  job: Pick<ProvisioningJob, 'jobID' | 'launchID'>,
): string | undefined {
  if (job.launchID) return job.launchID;
  return isLaunchIntent(job)
    ? job.jobID.slice(LAUNCH_INTENT_PREFIX.length)
    : undefined;
}

/** Whether two entries stand for the same launch (an intent and the job it became, say). */
export function sameLaunch(
  a: Pick<ProvisioningJob, 'jobID' | 'launchID' | 'type'>,
  b: Pick<ProvisioningJob, 'jobID' | 'launchID' | 'type'>,
): boolean {
  if (a.type !== b.type) return false;
  if (a.jobID === b.jobID) return true;
  const la = launchIdOf(a);
  return la !== undefined && la === launchIdOf(b);
}
