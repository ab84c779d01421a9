import {
  AapError,
  AapNotFoundError,
  AuthenticationError,
  MethodNotAllowedError,
  RateLimitedError,
} from './errors';
import { parseRetryAfterMs } from './retryAfter';

const MAX_DETAIL_CHARS = 500;

/**
 * What AAP said, in a form fit for an error message: DRF's `{"detail": ...}`, or field errors such as
 * `{"extra_vars": ["..."]}`, or a short plain-text body. HTML error pages from proxies are dropped.
 */
export function extractDetail(body: string): string {
  const text = body.trim();
  if (!text) return '';
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const record = parsed as Record<string, unknown>;
      if (typeof record.detail === 'string') return truncate(record.detail);
      const fields = Object.entries(record).map(
        ([key, value]) =>
          `${key}: ${Array.isArray(value) ? value.join(' ') : JSON.stringify(value)}`,
      );
      return truncate(fields.join('; '));
    }
    return truncate(JSON.stringify(parsed));
  } catch {
    return /^\s*</.test(text) ? '' : truncate(text);
  }
}

function truncate(text: string): string {
  return text.length > MAX_DETAIL_CHARS
    ? `${text.slice(0, MAX_DETAIL_CHARS)}…`
    : text;
}

export interface FailedRequest {
  /** e.g. "launch job template 7" */
  what: string;
  method: string;
  url: URL;
  status: number;
  headers: Headers;
  body: string;
}

/**
 * Maps a non-2xx answer that must not be retried inside the client to the typed error the
 * reconciler branches on. 5xx other than 503 is handled by the retry loop, not here.
 */
export function errorForStatus(req: FailedRequest): AapError {
  const { status, url } = req;
  const detail = extractDetail(req.body);
  const said = detail ? ` AAP said: ${detail}` : '';
  const where = `${req.method} ${url.origin}${url.pathname}`;
  switch (status) {
    case 401:
      return new AuthenticationError(
        `AAP at ${url.host} rejected the credentials for ${req.what} (HTTP 401): the AAP token is missing, invalid or expired; check vmLifecycle.provider.aap.token.${said}`,
        status,
      );
    case 403:
      return new AuthenticationError(
        `AAP at ${url.host} refused ${req.what} (HTTP 403): the AAP token lacks permission (it needs execute on the job templates and read on their jobs).${said}`,
        status,
      );
    case 404:
      return new AapNotFoundError(
        `AAP has no such resource for ${req.what} (${where} answered 404).${said}`,
      );
    case 405:
      return new MethodNotAllowedError(
        `AAP does not allow ${req.what} now (${where} answered 405).${said}`,
      );
    case 429:
    case 503: {
      const retryAfterMs = parseRetryAfterMs(req.headers.get('retry-after'));
      return new RateLimitedError(
        `AAP at ${url.host} asked us to back off for ${req.what} (HTTP ${status}); retry after ${Math.ceil(retryAfterMs / 1000)} s.${said}`,
        status,
        retryAfterMs,
      );
    }
    default:
      return new AapError(
        `AAP rejected ${req.what} (${where} answered ${status})${detail ? `: ${detail}` : ''}`,
        status,
      );
  }
}
