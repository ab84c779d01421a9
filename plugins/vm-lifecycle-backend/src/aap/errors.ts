/**
 * Typed errors for the AAP protocol cases that change the controller's control flow.
 * The reconciler branches on these classes, never on message text.
 */
export class AapError extends Error {
  /**
   * What only the log may show: the URL asked, the body AAP or a gateway answered. The message
   * itself ends up in status conditions and events that portal users read, so it names no host and
   * quotes no upstream body (issue 13.8).
   */
  detail?: string;

  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AapError';
  }

  /** Sets the log-only detail; returns the error for `throw e.withDetail(...)`. */
  withDetail(detail: string | undefined): this {
    if (detail) this.detail = detail;
    return this;
  }
}

/** An error as the log shows it: the message and, for AAP errors, the detail users do not see. */
export function errorLogText(e: unknown): string {
  if (e instanceof AapError && e.detail) return `${e.message} [${e.detail}]`;
  return e instanceof Error ? e.message : String(e);
}

/** 401/403: the token is missing, wrong or lacks permission. Retrying will not help until config changes. */
export class AuthenticationError extends AapError {
  constructor(message: string, status: number) {
    super(message, status);
    this.name = 'AuthenticationError';
  }
}

/** 404 on a resource (job template, job). For a job this means it was purged. */
export class AapNotFoundError extends AapError {
  constructor(message: string) {
    super(message, 404);
    this.name = 'AapNotFoundError';
  }
}

/** 405: e.g. cancel of a job that already finished. */
export class MethodNotAllowedError extends AapError {
  constructor(message: string) {
    super(message, 405);
    this.name = 'MethodNotAllowedError';
  }
}

/** 429/503: back off for at least retryAfterMs (from Retry-After when AAP sent one). */
export class RateLimitedError extends AapError {
  constructor(
    message: string,
    status: number,
    readonly retryAfterMs: number,
  ) {
    super(message, status);
    this.name = 'RateLimitedError';
  }
}

/** 5xx, timeouts and dropped connections after the client's own retries ran out. */
export class TransientAapError extends AapError {
  constructor(message: string, status?: number) {
    super(message, status);
    this.name = 'TransientAapError';
  }
}

/** Neither a job template nor a workflow job template has this name. */
export class TemplateNotFoundError extends AapError {
  constructor(readonly templateName: string) {
    super(
      `No job template or workflow job template named "${templateName}" exists in AAP; create it or fix vmLifecycle.provider.aap templates config`,
      404,
    );
    this.name = 'TemplateNotFoundError';
  }
}

/** Our configuration or AAP's does not fit (e.g. the template ignores extra_vars). Not retried quickly. */
export class ConfigurationError extends AapError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/**
 * A request that changes something (a launch, a cancel) may have been carried out, but no usable
 * answer came back: the connection dropped or reset after the request was sent, the client timed
 * out, or a gateway in front of AAP answered 502/503/504. The client never repeats such a request
 * itself. It is a TransientAapError, so code that only knows that class backs off and tries later;
 * the controller catches it to resolve the outcome (find the job by its launch id, re-read the job).
 */
export class OutcomeUnknownError extends TransientAapError {
  constructor(message: string, status?: number) {
    super(message, status);
    this.name = 'OutcomeUnknownError';
  }
}

/** A launch whose outcome is unknown: AAP may or may not have created the job. */
export class LaunchOutcomeUnknownError extends OutcomeUnknownError {
  constructor(
    message: string,
    /** The template launched, when known (AAP Direct); undefined for an EDA event. */
    readonly templateId?: number,
    status?: number,
  ) {
    super(message, status);
    this.name = 'LaunchOutcomeUnknownError';
  }
}

/** A cancel whose outcome is unknown: AAP may or may not have taken it. Re-read the job before asking again. */
export class CancelOutcomeUnknownError extends OutcomeUnknownError {
  constructor(message: string, status?: number) {
    super(message, status);
    this.name = 'CancelOutcomeUnknownError';
  }
}
