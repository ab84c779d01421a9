import { randomBytes } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  isError,
  NotAllowedError,
  NotFoundError,
  NotImplementedError,
  NotModifiedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { ErrorRequestHandler } from 'express';
import { AapError, RateLimitedError } from '../aap/errors';
import { KubernetesTimeoutError } from '../cluster/kubeRequestTimeout';

/**
 * Errors whose message we wrote for the caller, and which Backstage's handler maps to a status;
 * subclasses (the stores' AlreadyExistsError is a ConflictError) included.
 */
const CALLER_ERRORS = [
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  NotImplementedError,
  NotModifiedError,
  ServiceUnavailableError,
];

const CALLER_ERROR_NAMES = new Set(CALLER_ERRORS.map(type => type.name));

function isCallerError(error: unknown): boolean {
  if (error instanceof AapError || !isError(error)) return false;
  // By name too: an app may load a second copy of @backstage/errors, whose classes differ.
  return (
    CALLER_ERRORS.some(type => error instanceof type) ||
    CALLER_ERROR_NAMES.has(error.name)
  );
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && chain.length < 10;) {
    chain.push(e);
    e = isError(e) ? (e as { cause?: unknown }).cause : undefined;
  }
  return chain;
}

/**
 * The last word on what a failed request tells the portal. What AAP, EDA or the Kubernetes API said
 * (their URLs, their error bodies) is logged with a log id and replaced by which system failed and
 * that id; only errors written for the caller pass unchanged. AAP's own AuthenticationError shares
 * a name with Backstage's, so AAP errors are recognised by class, never by name: a revoked AAP
 * token must not read to the portal as "your session expired".
 */
export function createErrorFilter(logger: LoggerService): ErrorRequestHandler {
  return (error, req, res, next) => {
    const chain = causes(error);
    const where = `${req.method} ${req.originalUrl}`;
    const timeout = chain.find(e => e instanceof KubernetesTimeoutError);
    if (timeout instanceof KubernetesTimeoutError) {
      logger.warn(`${where}: ${(error as Error).message}`);
      next(
        new ServiceUnavailableError(`${timeout.message}; try again shortly`),
      );
      return;
    }
    if (isCallerError(error)) {
      next(error);
      return;
    }
    const status = (error as { status?: unknown }).status;
    if (
      !(error instanceof AapError) &&
      typeof status === 'number' &&
      status < 500
    ) {
      // Express's own refusals, such as a path segment that is not valid percent-encoding.
      next(new InputError(`request: ${(error as Error).message}`));
      return;
    }
    const logId = randomBytes(6).toString('hex');
    logger.error(`${where} failed (logId=${logId})`, toLoggable(error));
    if (error instanceof AapError) {
      if (error instanceof RateLimitedError) {
        res.set('Retry-After', String(Math.ceil(error.retryAfterMs / 1000)));
      }
      next(
        new ServiceUnavailableError(
          `Ansible Automation Platform did not answer as expected; try again later (logId=${logId}, the backend log has the details)`,
        ),
      );
      return;
    }
    next(
      new Error(
        `An internal error occurred (logId=${logId}, the backend log has the details)`,
      ),
    );
  };
}

function toLoggable(error: unknown): Error {
  return isError(error) ? (error as Error) : new Error(String(error));
}
