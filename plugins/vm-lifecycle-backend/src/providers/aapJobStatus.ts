import { jobStateFromAapStatus } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { JobStatus } from './types';
import { AapJobRef, aapJobLabel } from './aapJobId';

/** Status messages land in the resource's status; keep a traceback's tail, where the cause is. */
const MAX_DETAIL_CHARS = 2000;

export interface AapStatusFields {
  status: string;
  result_traceback?: string;
  job_explanation?: string;
}

export function jobStatusFromAap(
  ref: AapJobRef,
  job: AapStatusFields,
): JobStatus {
  const state = jobStateFromAapStatus(job.status);
  const label = aapJobLabel(ref);
  const detail = tail(
    job.result_traceback?.trim() || job.job_explanation?.trim() || '',
  );
  switch (state) {
    case 'Pending':
      return { state, message: `${label} is pending` };
    case 'Waiting':
      return { state, message: `${label} is waiting for capacity` };
    case 'Running':
      return { state, message: `${label} is running` };
    case 'Succeeded':
      return { state, message: `${label} succeeded` };
    case 'Failed':
      return {
        state,
        message: `${label} failed: ${detail || 'no traceback; see the job output for the failed task'}`,
      };
    case 'Canceled':
      return {
        state,
        message: `${label} was canceled${detail ? `: ${detail}` : ''}`,
      };
    default:
      return {
        state,
        message: `${label} has status "${job.status}", which is not understood yet; polling again`,
      };
  }
}

/**
 * AAP answers 404 for a job that was purged (cleanup_jobs, or a reset AAP). Per DOMAIN.md that is
 * terminal, and we report it as Failed rather than Succeeded or Unknown:
 * - Unknown is non-terminal, so the controller would poll a job that can never answer again;
 * - for a provision job, "Failed" lets the normal retry path re-run an idempotent provision if the
 *   config was never confirmed applied, and is enough for the delete flow (it only needs terminal);
 * - for a deprovision job we cannot know whether the VM is gone. Failed together with
 *   blockDeletionOnFailure makes the controller run a new deprovision instead of dropping the
 *   finalizer, so a VM is never orphaned; a second delete of an absent VM is harmless.
 */
export function purgedJobStatus(ref: AapJobRef): JobStatus {
  return {
    state: 'Failed',
    message: `${aapJobLabel(ref)} no longer exists in AAP (purged); treating it as failed so the outcome is re-established`,
  };
}

/**
 * A job id AAP Direct did not issue (e.g. `eda-webhook-3` after switching from the EDA provider).
 * It cannot be polled here; Failed (terminal) lets the controller move on with a job of its own
 * instead of polling forever, for the same reasons as a purged job.
 */
export function foreignJobStatus(jobID: string): JobStatus {
  return {
    state: 'Failed',
    message: `Job "${jobID}" was not launched through AAP Direct and cannot be tracked by it; treating it as failed`,
  };
}

function tail(text: string): string {
  return text.length > MAX_DETAIL_CHARS
    ? `…${text.slice(-MAX_DETAIL_CHARS)}`
    : text;
}
