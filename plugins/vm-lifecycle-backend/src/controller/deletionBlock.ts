import {
  DeletionBlockedReason,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { DeprovisionDecision } from './decide';
import { isEdaJobId } from '../providers/edaJobId';

/** A deletion waiting this long on a job, AAP or an unknown outcome needs an admin's look. */
export const DEFAULT_DELETION_STUCK_AFTER_MS = 15 * 60_000;

export type DeletionBlock =
  | { blocked: false }
  | { blocked: true; reason: DeletionBlockedReason; message: string };

export interface DeletionBlockInput {
  /** The decision this reconcile acted on. */
  decision: DeprovisionDecision;
  /** metadata.deletionTimestamp. */
  deletionRequestedAtMs: number;
  nowMs: number;
  stuckAfterMs: number;
  /** When the controller checks again (the reconcile's requeue). */
  nextCheckInMs?: number;
  /** AAP could not be asked (unreachable, 5xx, refused) since this time, and why. */
  aapTrouble?: { sinceMs: number; message: string };
  /** A provision job the controller already asked AAP to cancel. */
  cancelRequested: boolean;
}

/**
 * Why a deletion waits, as the DeletionBlocked condition says it (issue 18.7). A failed deprovision
 * that blocks deletion is reported at once (it is retried with backoff, and the admin may want to
 * retry now or release); anything else only once the deletion has waited `stuckAfterMs`, since a
 * provision job being canceled or a deprovision job running is the normal course. Messages are
 * stable while nothing changes, so the condition is not rewritten on every pass.
 */
export function assessDeletion(input: DeletionBlockInput): DeletionBlock {
  const { decision } = input;
  if (decision.action === 'backoff') {
    const job = decision.job;
    const retryAt = iso(input.nowMs + decision.retryInMs);
    return {
      blocked: true,
      reason: 'DeprovisionFailed',
      message: `Deprovision job ${job.jobID} ${job.state.toLowerCase()}${job.message ? `: ${job.message}` : ''}. The VM may still exist, so the record is kept; next attempt at ${retryAt} (an admin may retry now, or release the record)`,
    };
  }
  if (decision.action === 'removeFinalizer') return { blocked: false };
  const waited = input.nowMs - input.deletionRequestedAtMs;
  if (waited < input.stuckAfterMs) return { blocked: false };
  const since = `since the deletion was requested at ${iso(input.deletionRequestedAtMs)}`;
  const again =
    input.nextCheckInMs !== undefined && input.nextCheckInMs > 0
      ? `; checking again every ${Math.max(1, Math.round(input.nextCheckInMs / 1000))} s`
      : '';
  if (input.aapTrouble) {
    return {
      blocked: true,
      reason: 'AapUnreachable',
      message: `AAP could not be asked ${since} (failing since ${iso(input.aapTrouble.sinceMs)}): ${input.aapTrouble.message}${again}`,
    };
  }
  switch (decision.action) {
    case 'trigger':
      // Launching now: nothing waits on anything but this launch.
      return { blocked: false };
    case 'resolveLaunch':
      return {
        blocked: true,
        reason: 'LaunchOutcomeUnknown',
        message: `Whether AAP started the ${decision.job.type} job of launch id ${decision.job.launchID ?? '?'} is still unknown ${since}; nothing is launched again until AAP shows it or proves it absent${again}`,
      };
    case 'stopProvision':
      return {
        blocked: true,
        reason: 'ProvisionJobNotTerminal',
        message: `Provision job ${decision.job.jobID} is still ${decision.job.state} ${since}${stopHint(decision.job, input.cancelRequested)}; deprovisioning waits until AAP shows it ended${again}`,
      };
    case 'poll':
      return isEdaJobId(decision.job.jobID)
        ? {
            blocked: true,
            reason: 'PlaybookSilent',
            message: `The EDA delete playbook (${decision.job.jobID}) has not reported back ${since}${again}`,
          }
        : {
            blocked: true,
            reason: 'DeprovisionJobNotTerminal',
            message: `Deprovision job ${decision.job.jobID} is still ${decision.job.state} ${since}${again}`,
          };
    default:
      return { blocked: false };
  }
}

function stopHint(job: ProvisioningJob, cancelRequested: boolean): string {
  if (isEdaJobId(job.jobID))
    return ' (an EDA playbook cannot be canceled; it must end by itself)';
  return cancelRequested
    ? ' (AAP was asked to cancel it)'
    : ' (AAP could not be asked to cancel it yet)';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
