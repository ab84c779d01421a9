import {
  ComputeInstance,
  JobType,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  AapNotFoundError,
  errorLogText,
  AuthenticationError,
  ConfigurationError,
  RateLimitedError,
  TemplateNotFoundError,
} from '../aap/errors';
import {
  errorMessage,
  ReconcileContext,
  StatusFailure,
} from './reconcileContext';
import { keyOf } from './statusWriter';
import { ReconcileResult } from './workQueue';

export interface LaunchError extends StatusFailure {
  requeueAfterMs: number;
  fatal: boolean;
  /** The error as the log shows it, with what users are not shown (AapError.detail). */
  log: string;
}

/** A definite refusal of a launch (AAP created no job), as the condition and requeue it leads to. */
export function classifyLaunchError(
  ctx: ReconcileContext,
  type: JobType,
  e: unknown,
): LaunchError {
  const what = `Could not launch the ${type} job`;
  const log = `${what}: ${errorLogText(e)}`;
  if (e instanceof RateLimitedError) {
    return {
      log,
      reason: 'LaunchRateLimited',
      message: `${what}: AAP is rate limiting (HTTP ${e.status}); retrying in ${Math.ceil(e.retryAfterMs / 1000)} s`,
      requeueAfterMs: e.retryAfterMs,
      fatal: false,
    };
  }
  const configRetry = ctx.o.configErrorRetryMs ?? 60_000;
  const configError = (reason: string): LaunchError => ({
    log,
    reason,
    message: `${what}: ${errorMessage(e)}`,
    requeueAfterMs: configRetry,
    fatal: true,
  });
  if (e instanceof TemplateNotFoundError)
    return configError('TemplateNotFound');
  if (e instanceof AuthenticationError)
    return configError('AapAuthenticationFailed');
  if (e instanceof ConfigurationError) return configError('ConfigurationError');
  if (e instanceof AapNotFoundError) {
    // The template id was stale (deleted and recreated): the provider dropped its cache entry.
    return {
      log,
      reason: 'TemplateLookupStale',
      message: `${what}: ${e.message}; looking the template up again`,
      requeueAfterMs: Math.min(1000, ctx.o.pollIntervalMs),
      fatal: false,
    };
  }
  return {
    log,
    reason: 'LaunchFailed',
    message: `${what}: ${errorMessage(e)}`,
    requeueAfterMs: ctx.o.pollIntervalMs * 2,
    fatal: false,
  };
}

/** Logs the refusal and records the event once per distinct message (the condition carries it). */
export async function reportLaunchFailure(
  ctx: ReconcileContext,
  instance: ComputeInstance,
  failure: LaunchError,
): Promise<ReconcileResult> {
  ctx.o.logger.warn(`ComputeInstance ${keyOf(instance)}: ${failure.log}`);
  ctx.memory.noteAapTrouble(instance.metadata.uid, failure.message, ctx.now());
  const shown = instance.status.conditions?.find(
    c => c.type === 'ConfigurationApplied',
  )?.message;
  if (shown !== failure.message) {
    await ctx.event(instance, 'Warning', failure.reason, failure.message);
  }
  return { requeueAfterMs: failure.requeueAfterMs };
}
