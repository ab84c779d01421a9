import {
  ComputeInstance,
  JobType,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  AapError,
  AuthenticationError,
  ConfigurationError,
  LaunchOutcomeUnknownError,
  RateLimitedError,
  TransientAapError,
} from '../aap/errors';
import { extractDetail } from '../aap/httpErrors';
import { parseRetryAfterMs } from '../aap/retryAfter';
import { classifyFetchFailure, FetchLike } from '../aap/transport';
import { credentialHeader, EdaAuthConfig, edaAuthHeaders } from './edaAuth';

export interface EdaEventSenderOptions {
  auth: EdaAuthConfig;
  /** Per attempt; default 30 s. */
  timeoutMs?: number;
  /** Attempts when the answer proves the event was not taken (connection refused, 5xx); default 3. */
  maxAttempts?: number;
  /** First retry delay, doubling; default 500 ms. */
  retryBaseDelayMs?: number;
  fetchImpl?: FetchLike;
  /** Where the config lives, for messages that tell the operator what to fix. */
  configKey?: string;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The event id header. EDA passes request headers to the rulebook in `event.meta.headers` when the
 * event stream lists them in its `additional_data_headers`.
 */
export const EVENT_ID_HEADER = 'Idempotency-Key';

interface Target {
  type: JobType;
  url: URL;
  instanceRef: string;
}

/**
 * POSTs one ComputeInstance to an EDA event stream and maps the answer to the typed errors the
 * reconciler branches on (it reports them on the instance and tries again later).
 *
 * Every post carries the launch's event id in `Idempotency-Key`, the same for every repeat of one
 * intent, so the rulebook or playbook can drop a repeat (docs/eda-mode.md). Failures that prove EDA
 * did not take the event (a refused connection, EDA's own 500) are retried here. A timeout, a
 * dropped connection or a gateway's 502/503/504 may hide an accepted event: that is an unknown
 * outcome (LaunchOutcomeUnknownError), and the controller repeats the post, same event id, later.
 * A definite 2xx is never repeated.
 */
export class EdaEventSender {
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly configKey: string;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: EdaEventSenderOptions) {
    this.fetchImpl = options.fetchImpl ?? ((url, init) => fetch(url, init));
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
    this.configKey = options.configKey ?? 'vmLifecycle.provider.eda';
    this.sleep =
      options.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms)));
  }

  async send(
    type: JobType,
    url: string,
    instance: ComputeInstance,
    eventId: string,
  ): Promise<void> {
    const target: Target = {
      type,
      url: new URL(url),
      instanceRef: `${instance.metadata.namespace}/${instance.metadata.name}`,
    };
    // Signed once: the HMAC covers these exact bytes, so every attempt sends the same string.
    const body = JSON.stringify(instance);
    const headers = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      [EVENT_ID_HEADER]: eventId,
      ...edaAuthHeaders(this.options.auth, body),
    };
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(target, body, headers);
      if (outcome === 'accepted') return;
      if (!outcome.retry || attempt >= this.maxAttempts) throw outcome.error;
      await this.sleep(this.retryBaseDelayMs * 2 ** (attempt - 1));
    }
  }

  private async attempt(
    target: Target,
    body: string,
    headers: Record<string, string>,
  ): Promise<'accepted' | { error: AapError; retry: boolean }> {
    let res: Response;
    try {
      res = await this.fetchImpl(target.url.toString(), {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const failed = this.networkFailure(target, err);
      failed.error.withDetail(
        `POST ${target.url.origin}${target.url.pathname}`,
      );
      return failed;
    }
    // The body only adds EDA's words to the log; an unreadable one changes no outcome.
    const text = await res.text().catch(() => '');
    if (res.status >= 200 && res.status < 300) return 'accepted';
    const refused = this.rejected(target, res, text);
    const said = extractDetail(text);
    refused.error.withDetail(
      `POST ${target.url.origin}${target.url.pathname} answered ${res.status}${said ? `; EDA said: ${said}` : ''}`,
    );
    return refused;
  }

  private networkFailure(
    target: Target,
    err: unknown,
  ): { error: AapError; retry: boolean } {
    const failure = classifyFetchFailure(err, this.timeoutMs);
    const what = this.label(target);
    switch (failure.kind) {
      case 'notSent':
        return {
          error: new TransientAapError(
            `Could not reach the EDA event stream for ${what} (${failure.detail}); the event was not sent`,
          ),
          retry: true,
        };
      case 'tls':
        return {
          error: new ConfigurationError(
            `TLS verification of the EDA event stream failed (${failure.detail}); check the CA configured for ${this.configKey}`,
          ),
          retry: false,
        };
      default:
        return {
          error: new LaunchOutcomeUnknownError(
            `No answer from the EDA event stream for ${what} (${failure.detail}); EDA may or may not have taken the event, so it will be sent again with the same event id`,
          ),
          retry: false,
        };
    }
  }

  private rejected(
    target: Target,
    res: Response,
    text: string,
  ): { error: AapError; retry: boolean } {
    const status = res.status;
    const detail = extractDetail(text);
    const what = this.label(target);
    const where = 'the EDA event stream';
    const header = credentialHeader(this.options.auth);
    const authKey = `${this.configKey}.auth`;
    if (
      status === 401 ||
      status === 403 ||
      (status === 400 && /header is missing/i.test(detail))
    ) {
      const problem =
        this.options.auth.type === 'token'
          ? `the token in ${header} was not accepted; check ${authKey}.token and ${authKey}.header against the stream's credential`
          : `the HMAC signature in ${header} was not accepted; check ${authKey}.secret, encoding and prefix against the stream's credential`;
      return {
        error: new AuthenticationError(
          `${where} rejected ${what} (HTTP ${status}): ${problem}`,
          status,
        ),
        retry: false,
      };
    }
    if (status === 429 || (status === 503 && res.headers.has('retry-after'))) {
      const retryAfterMs = parseRetryAfterMs(res.headers.get('retry-after'));
      return {
        error: new RateLimitedError(
          `${where} asked to back off for ${what} (HTTP ${status})`,
          status,
          retryAfterMs,
        ),
        retry: false,
      };
    }
    if (status >= 502 && status <= 504) {
      // A gateway may have passed the event on before failing: unknown, and safe to repeat here
      // because the repeat carries the same event id.
      return {
        error: new LaunchOutcomeUnknownError(
          `${where} answered ${what} with HTTP ${status}; EDA may or may not have taken the event, so it will be sent again with the same event id`,
          undefined,
          status,
        ),
        retry: true,
      };
    }
    if (status >= 500 && status !== 501) {
      return {
        error: new TransientAapError(
          `${where} failed to take ${what} (HTTP ${status})`,
          status,
        ),
        retry: true,
      };
    }
    const hint =
      status === 404 || (status === 400 && /uuid/i.test(detail))
        ? `: no such event stream; check ${this.configKey}.${target.type}Url`
        : '';
    return {
      error: new ConfigurationError(
        `${where} refused ${what} (HTTP ${status})${hint}`,
      ),
      retry: false,
    };
  }

  private label(target: Target): string {
    return `the ${target.type} event for ${target.instanceRef}`;
  }
}
