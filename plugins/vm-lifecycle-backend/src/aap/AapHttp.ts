import { readFileSync } from 'node:fs';
import {
  AapError,
  CancelOutcomeUnknownError,
  ConfigurationError,
  LaunchOutcomeUnknownError,
  OutcomeUnknownError,
  TransientAapError,
} from './errors';
import { errorForStatus } from './httpErrors';
import {
  classifyFetchFailure,
  createNodeFetch,
  FetchFailure,
  FetchLike,
} from './transport';
import { AapRequestKind, AapRequestStats } from './types';

export interface AapHttpOptions {
  /** Controller API root, e.g. https://aap.example.com/api/controller/v2 or http://localhost:7007/api/aap-simulator/api/v2. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; never logged and scrubbed from every error message. */
  token: string;
  /** Per attempt, body included. Default 30 s. */
  timeoutMs?: number;
  /** Extra attempts after a retryable failure (5xx, timeout, dropped connection). Default 3. */
  maxRetries?: number;
  /** First backoff delay; doubles per attempt, with jitter. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** PEM CA bundle that signed AAP's certificate. */
  caFile?: string;
  /** Skip TLS certificate verification. Only when explicitly true. */
  insecureSkipTlsVerify?: boolean;
  /** For tests; wins over the TLS options. */
  fetchImpl?: FetchLike;
  logger?: { warn(message: string): void };
}

const MAX_BACKOFF_MS = 10_000;

/**
 * `launch` and `cancel` change something in AAP and are repeated here only when AAP provably did
 * not act: the connection was never established, or AWX answered 500 (it rolls back the request's
 * transaction on an error). Any other failure after the request was sent (time-out, reset, a
 * gateway's 502/503/504) is an unknown outcome, thrown for the controller to resolve: a blind repeat
 * of a launch is a second job. Everything else (`idempotent`) is retried with backoff.
 */
export type RetryPolicy = 'idempotent' | 'launch' | 'cancel';

export interface RequestSpec {
  kind: AapRequestKind;
  /** For messages, e.g. "launch of job template 7". */
  what: string;
  method: 'GET' | 'POST';
  url: URL;
  body?: unknown;
  retry: RetryPolicy;
  accept: 'json' | 'text';
  /** The launch's template id, for LaunchOutcomeUnknownError. */
  templateId?: number;
  /**
   * The caller's abort (the controller's term of leadership): an aborted request is abandoned at
   * once and rejects with the signal's reason, never retried and never classified as a time-out.
   */
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * HTTP to the AAP controller API: auth header, per-attempt timeout, TLS options, retries with
 * backoff for what is safe to repeat, status codes mapped to the typed errors, request counters.
 * Knows nothing about AWX resources; AapClient builds on it.
 */
export class AapHttp {
  readonly base: URL;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly fetchImpl: FetchLike;
  private readonly logger?: { warn(message: string): void };
  private readonly counters: AapRequestStats = {
    lookups: 0,
    jobLookups: 0,
    launches: 0,
    statusPolls: 0,
    batchPolls: 0,
    cancels: 0,
    stdout: 0,
    events: 0,
    retries: 0,
    total: 0,
  };

  constructor(options: AapHttpOptions) {
    this.base = parseBaseUrl(options.baseUrl);
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
    this.logger = options.logger;
    this.fetchImpl = options.fetchImpl ?? this.defaultFetch(options);
  }

  /** Requests sent so far by purpose (every attempt counts). A copy. */
  stats(): AapRequestStats {
    return { ...this.counters };
  }

  url(path: string, query?: Record<string, string>): URL {
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(query ?? {}))
      url.searchParams.set(key, value);
    return url;
  }

  /** `next` links are server-relative; refuse to send the token anywhere but AAP itself. */
  followLink(next: string): URL {
    const url = new URL(next, this.base);
    if (url.origin !== this.base.origin) {
      throw new AapError(
        'AAP returned a pagination link to another host; not following it',
      ).withDetail(`link to ${url.host}`);
    }
    return url;
  }

  async json<T>(spec: RequestSpec): Promise<T> {
    const answer = await this.send(spec);
    try {
      return JSON.parse(answer.body) as T;
    } catch {
      // Typically an HTML page from a gateway or SSO proxy in front of AAP: a wrong baseUrl.
      throw new AapError(
        `AAP answered ${spec.what} with HTTP ${answer.status} but not JSON; check that baseUrl points at the controller API (/api/v2 or /api/controller/v2)`,
        answer.status,
      ).withDetail(`${spec.url.origin}${spec.url.pathname}`);
    }
  }

  async send(spec: RequestSpec): Promise<HttpAnswer> {
    for (let attempt = 0; ; attempt++) {
      spec.signal?.throwIfAborted();
      this.count(spec.kind, attempt > 0);
      const outcome = await this.attempt(spec);
      let reason: string;
      let status: number | undefined;
      if ('failure' in outcome) {
        reason = this.checkFetchFailure(spec, outcome.failure);
      } else {
        if (outcome.status >= 200 && outcome.status < 300) return outcome;
        status = outcome.status;
        reason = this.checkServerError(spec, outcome);
      }
      if (attempt >= this.maxRetries) {
        throw new TransientAapError(
          `AAP ${spec.what} failed after ${attempt + 1} attempts: ${reason}`,
          status,
        ).withDetail(this.where(spec));
      }
      const delay = this.backoff(attempt);
      this.logger?.warn(
        this.redact(
          `AAP ${spec.what} (${spec.method} ${spec.url.origin}${spec.url.pathname}) failed: ${reason}; retry ${attempt + 1}/${this.maxRetries} in ${delay} ms`,
        ),
      );
      await sleep(delay, spec.signal);
    }
  }

  private async attempt(
    spec: RequestSpec,
  ): Promise<HttpAnswer | { failure: FetchFailure }> {
    const headers: Record<string, string> = {
      Accept: spec.accept === 'json' ? 'application/json' : 'text/plain',
    };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (spec.body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      // One signal for headers and body: a server that stalls mid-body is a timeout too.
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const signal = spec.signal
        ? AbortSignal.any([timeout, spec.signal])
        : timeout;
      const res = await this.fetchImpl(spec.url.toString(), {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal,
      });
      const body = await res.text();
      return { status: res.status, headers: res.headers, body };
    } catch (err) {
      // Abandoned by the caller: whatever AAP did with it, this request's answer no longer matters.
      if (spec.signal?.aborted) throw spec.signal.reason;
      return { failure: classifyFetchFailure(err, this.timeoutMs) };
    }
  }

  /** Returns a description when the failure may be retried; throws when it must not be. */
  private checkFetchFailure(spec: RequestSpec, failure: FetchFailure): string {
    if (failure.kind === 'tls') {
      throw new ConfigurationError(
        `TLS verification of AAP failed (${failure.detail}); set vmLifecycle.provider.aap.caFile to the CA that signed its certificate`,
      ).withDetail(this.where(spec));
    }
    const reason =
      failure.kind === 'timeout'
        ? failure.detail
        : `connection to AAP failed (${failure.detail})`;
    if (spec.retry !== 'idempotent' && failure.kind !== 'notSent') {
      throw this.outcomeUnknown(spec, reason);
    }
    return reason;
  }

  /** Same contract as checkFetchFailure for HTTP answers that are not 2xx. */
  private checkServerError(spec: RequestSpec, answer: HttpAnswer): string {
    const unsafe = spec.retry !== 'idempotent';
    if (unsafe && answer.status >= 500 && answer.status !== 500) {
      // A 503 here may come from a gateway that passed the request on before giving up.
      throw this.outcomeUnknown(spec, `HTTP ${answer.status}`, answer.status);
    }
    const retryable = answer.status >= 500 && answer.status !== 503;
    if (!retryable) {
      const err = errorForStatus({
        ...answer,
        what: spec.what,
        method: spec.method,
        url: spec.url,
      });
      throw err.withDetail(err.detail && this.redact(err.detail));
    }
    return `HTTP ${answer.status}`;
  }

  private outcomeUnknown(
    spec: RequestSpec,
    reason: string,
    status?: number,
  ): OutcomeUnknownError {
    if (spec.retry === 'cancel') {
      return new CancelOutcomeUnknownError(
        `AAP ${spec.what} got no usable answer (${reason}); AAP may or may not have taken the cancel`,
        status,
      ).withDetail(this.where(spec));
    }
    return new LaunchOutcomeUnknownError(
      `AAP ${spec.what} got no usable answer (${reason}); AAP may or may not have started a job, so the launch was not repeated`,
      spec.templateId,
      status,
    ).withDetail(this.where(spec));
  }

  /** Where a request went, for the log only (see AapError.detail). */
  private where(spec: RequestSpec): string {
    return this.redact(`${spec.method} ${spec.url.origin}${spec.url.pathname}`);
  }

  private backoff(attempt: number): number {
    const exp = Math.min(this.retryBaseDelayMs * 2 ** attempt, MAX_BACKOFF_MS);
    // Jitter keeps many workers that failed together from retrying in lockstep.
    return Math.round(exp / 2 + (Math.random() * exp) / 2);
  }

  private count(kind: AapRequestKind, isRetry: boolean): void {
    this.counters[kind]++;
    this.counters.total++;
    if (isRetry) this.counters.retries++;
  }

  /** Defence in depth: no message we build should contain the token, but an echoing proxy might. */
  redact(text: string): string {
    return this.token.length >= 4
      ? text.split(this.token).join('[redacted]')
      : text;
  }

  private defaultFetch(options: AapHttpOptions): FetchLike {
    if (!options.caFile && options.insecureSkipTlsVerify !== true) {
      return (url, init) => fetch(url, init);
    }
    let ca: Buffer | undefined;
    if (options.caFile) {
      try {
        ca = readFileSync(options.caFile);
      } catch (err) {
        throw new ConfigurationError(
          `Cannot read the AAP CA file ${options.caFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        );
      }
    }
    const rejectUnauthorized = options.insecureSkipTlsVerify !== true;
    if (!rejectUnauthorized) {
      this.logger?.warn(
        `TLS certificate verification is disabled for AAP at ${this.base.host} (insecureSkipTlsVerify)`,
      );
    }
    return createNodeFetch({ ca, rejectUnauthorized });
  }
}

function parseBaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigurationError(`AAP baseUrl "${raw}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError(`AAP baseUrl "${raw}" must use http or https`);
  }
  // Relative paths resolve against the last "/"; without it "jobs/1/" would replace the "v2" segment.
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/`;
  url.search = '';
  url.hash = '';
  return url;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}
