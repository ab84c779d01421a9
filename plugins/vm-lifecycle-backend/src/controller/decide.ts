import {
  isLaunchIntent,
  isTerminalJobState,
  JobState,
  latestJob,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { CancelResult, LaunchLookup } from '../providers/types';

/*
 * The controller's decisions as pure functions of the job history (as the OSAC operator's
 * provisioning package does): no I/O here, so every scenario is a one-line table test.
 */

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** 2 min base, doubling, 30 min cap (DOMAIN.md section 4). */
export const DEFAULT_RETRY_BACKOFF: BackoffPolicy = {
  baseMs: 2 * 60_000,
  maxMs: 30 * 60_000,
};

export type ProvisionDecision =
  | {
      action: 'trigger';
      reason: 'NoJob' | 'ConfigChanged' | 'RetryAfterFailure';
    }
  /** The latest job is a launch intent without an AAP job id: find out what became of it. */
  | { action: 'resolveLaunch'; job: ProvisioningJob }
  | { action: 'poll'; job: ProvisioningJob }
  | { action: 'skip'; job: ProvisioningJob }
  | { action: 'backoff'; job: ProvisioningJob; retryInMs: number };

export type DeprovisionDecision =
  /** A launch intent (provision or deprovision) is unresolved: find out what became of it first. */
  | { action: 'resolveLaunch'; job: ProvisioningJob }
  /** The provision job may still be running: read its live state, cancel it if it runs. */
  | { action: 'stopProvision'; job: ProvisioningJob }
  | {
      action: 'trigger';
      reason: 'NoJob' | 'RetryAfterFailure' | 'RetryRequested';
    }
  | { action: 'poll'; job: ProvisioningJob }
  | { action: 'backoff'; job: ProvisioningJob; retryInMs: number }
  | {
      action: 'removeFinalizer';
      job?: ProvisioningJob;
      reason: 'Succeeded' | 'FailedWithoutBlock';
    };

/** Delay before the n-th retry (n >= 1) of the same work. */
export function retryDelayMs(failures: number, policy: BackoffPolicy): number {
  const exp = Math.max(0, failures - 1);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(exp, 30));
}

/** Failed or canceled jobs of this type (and version, when given) since the last success. */
function consecutiveFailures(
  jobs: readonly ProvisioningJob[],
  type: ProvisioningJob['type'],
  configVersion?: string,
): number {
  const sorted = jobs
    .filter(
      j =>
        j.type === type &&
        (configVersion === undefined || j.configVersion === configVersion),
    )
    .sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp));
  let n = 0;
  for (const job of sorted) {
    if (job.state === 'Failed' || job.state === 'Canceled') n++;
    else break;
  }
  return n;
}

function backoffOrTrigger<T extends { action: string }>(
  jobs: readonly ProvisioningJob[],
  job: ProvisioningJob,
  nowMs: number,
  policy: BackoffPolicy,
  configVersion: string | undefined,
  trigger: T,
): T | { action: 'backoff'; job: ProvisioningJob; retryInMs: number } {
  const failures = consecutiveFailures(jobs, job.type, configVersion);
  const retryAt = Date.parse(job.timestamp) + retryDelayMs(failures, policy);
  if (nowMs >= retryAt) return trigger;
  return { action: 'backoff', job, retryInMs: retryAt - nowMs };
}

export function decideProvision(
  jobs: readonly ProvisioningJob[] | undefined,
  desiredConfigVersion: string,
  nowMs: number,
  policy: BackoffPolicy = DEFAULT_RETRY_BACKOFF,
): ProvisionDecision {
  const history = jobs ?? [];
  const latest = latestJob(history, 'provision');
  if (!latest) return { action: 'trigger', reason: 'NoJob' };
  if (unresolvedIntent(latest)) return { action: 'resolveLaunch', job: latest };
  if (!isTerminalJobState(latest.state)) return { action: 'poll', job: latest };
  if (latest.configVersion !== desiredConfigVersion) {
    return { action: 'trigger', reason: 'ConfigChanged' };
  }
  if (latest.state === 'Succeeded') return { action: 'skip', job: latest };
  return backoffOrTrigger(
    history,
    latest,
    nowMs,
    policy,
    desiredConfigVersion,
    {
      action: 'trigger' as const,
      reason: 'RetryAfterFailure' as const,
    },
  );
}

/**
 * `retryRequestedAtMs`: an admin's "retry now" (the deletion-retry annotation). A request made
 * after the latest deprovision job skips its backoff once; the job it leads to is newer than the
 * request, so the backoff applies again after that.
 */
export function decideDeprovision(
  jobs: readonly ProvisioningJob[] | undefined,
  nowMs: number,
  policy: BackoffPolicy = DEFAULT_RETRY_BACKOFF,
  retryRequestedAtMs?: number,
): DeprovisionDecision {
  const history = jobs ?? [];
  const provision = latestJob(history, 'provision');
  if (provision && unresolvedIntent(provision)) {
    return { action: 'resolveLaunch', job: provision };
  }
  if (provision && !isTerminalJobState(provision.state)) {
    return { action: 'stopProvision', job: provision };
  }
  const latest = latestJob(history, 'deprovision');
  if (!latest) return { action: 'trigger', reason: 'NoJob' };
  if (unresolvedIntent(latest)) return { action: 'resolveLaunch', job: latest };
  if (!isTerminalJobState(latest.state)) return { action: 'poll', job: latest };
  if (latest.state === 'Succeeded') {
    return { action: 'removeFinalizer', job: latest, reason: 'Succeeded' };
  }
  if (!latest.blockDeletionOnFailure) {
    return {
      action: 'removeFinalizer',
      job: latest,
      reason: 'FailedWithoutBlock',
    };
  }
  // Blocking: a failed deprovision may have left the VM behind, so keep the record and retry.
  if (
    retryRequestedAtMs !== undefined &&
    retryRequestedAtMs > Date.parse(latest.timestamp)
  ) {
    return { action: 'trigger', reason: 'RetryRequested' };
  }
  return backoffOrTrigger(history, latest, nowMs, policy, undefined, {
    action: 'trigger' as const,
    reason: 'RetryAfterFailure' as const,
  });
}

/** An intent the controller gave up (AAP provably never ran it) is terminal; any other is unresolved. */
function unresolvedIntent(job: ProvisioningJob): boolean {
  return isLaunchIntent(job) && !isTerminalJobState(job.state);
}

export type LaunchResolution =
  | { action: 'adopt' }
  /** AAP provably has no job for the intent and it still stands: launch again, same launch id. */
  | { action: 'relaunch' }
  /** The intent no longer stands (a delete came, the spec changed) and AAP provably never ran it. */
  | { action: 'abandon'; reason: string }
  /** Not proven absent yet: the lost request may still be on its way into AAP. */
  | { action: 'wait'; retryInMs: number };

export interface LaunchResolutionInput {
  intent: ProvisioningJob;
  lookup: LaunchLookup;
  /** When this controller first knew the outcome was unknown (a lost answer, or an intent found after a restart). */
  unknownSinceMs: number;
  /**
   * How long a lost request may still reach AAP. Absence counts only for a look-up that started
   * this long after the outcome became unknown; it must exceed the AAP client's request time-out.
   */
  settleMs: number;
  nowMs: number;
  deleting: boolean;
  desiredConfigVersion: string;
}

/**
 * What to do with a launch intent whose outcome is unknown (DOMAIN.md, "Lost answers"): adopt the
 * job AAP has; launch again only when AAP provably has none; never while the request may still land.
 */
export function decideLaunchResolution(
  input: LaunchResolutionInput,
): LaunchResolution {
  const { intent, lookup } = input;
  const stillWanted =
    intent.type === 'deprovision'
      ? input.deleting
      : !input.deleting && intent.configVersion === input.desiredConfigVersion;
  if (lookup.outcome === 'found') return { action: 'adopt' };
  const settledAt = input.unknownSinceMs + input.settleMs;
  if (lookup.outcome === 'unsearchable') {
    // The receiver drops a repeat of the same event id, so repeating is safe; giving up is not
    // until a taken event has had time to show its effects (the EDA playbook's finalizer).
    if (stillWanted) return { action: 'relaunch' };
    if (input.nowMs < settledAt)
      return { action: 'wait', retryInMs: settledAt - input.nowMs };
    return { action: 'abandon', reason: abandonReason(intent, input) };
  }
  if (lookup.checkedAt < settledAt) {
    return {
      action: 'wait',
      retryInMs: Math.max(0, settledAt - input.nowMs),
    };
  }
  return stillWanted
    ? { action: 'relaunch' }
    : { action: 'abandon', reason: abandonReason(intent, input) };
}

function abandonReason(
  intent: ProvisioningJob,
  input: LaunchResolutionInput,
): string {
  if (intent.type === 'deprovision')
    return 'the instance is no longer being deleted';
  return input.deleting
    ? 'the instance is being deleted'
    : 'the spec changed since the launch was intended';
}

// ---- delete while provisioning: stopping the provision job ------------------------------------

export type StopProvisionDecision =
  /** AAP shows the job ended: record it; deprovisioning follows. */
  | { action: 'recordEnded' }
  /** A cancel was already accepted; AAP finishes the running task first. Wait, do not ask again. */
  | { action: 'waitForCancel' }
  /** The job still runs and no cancel was accepted yet: ask AAP to cancel it. */
  | { action: 'cancel' };

/** What the live state of a provision job, read before deprovisioning, asks for. */
export function decideStopProvision(
  live: JobState,
  cancelAccepted: boolean,
): StopProvisionDecision {
  if (isTerminalJobState(live)) return { action: 'recordEnded' };
  return cancelAccepted ? { action: 'waitForCancel' } : { action: 'cancel' };
}

export type CancelAnswerDecision =
  /** 202: AAP cancels asynchronously; watch the job end. */
  | { action: 'waitForCancel' }
  /** 405 (finished) or 404 (gone): only a live read that shows the job ended lets deletion go on. */
  | { action: 'confirmEnded' }
  /** Nothing to cancel (EDA): wait for the job to end by itself. */
  | { action: 'waitForEnd' }
  /** The answer was lost, or AAP could not be asked: read the live state again, then decide again. */
  | { action: 'readAgain' };

export function decideAfterCancel(
  answer: CancelResult | 'failed',
): CancelAnswerDecision {
  switch (answer) {
    case 'cancelRequested':
      return { action: 'waitForCancel' };
    case 'alreadyFinished':
    case 'notFound':
      return { action: 'confirmEnded' };
    case 'notSupported':
      return { action: 'waitForEnd' };
    default:
      return { action: 'readAgain' };
  }
}

export type RefusedCancelDecision =
  | { action: 'recordEnded' }
  /** AAP refused the cancel but does not show the job ended (or could not be read): wait, invent nothing. */
  | { action: 'waitForEnd'; because: 'unreadable' | 'stillRunning' };

export function decideAfterRefusedCancel(
  read: JobState | 'unreadable',
): RefusedCancelDecision {
  if (read === 'unreadable')
    return { action: 'waitForEnd', because: 'unreadable' };
  return isTerminalJobState(read)
    ? { action: 'recordEnded' }
    : { action: 'waitForEnd', because: 'stillRunning' };
}
