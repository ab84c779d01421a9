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
  const said = extractDetail(req.body);
  const detail = `${req.method} ${url.origin}${url.pathname} answered ${status}${said ? `; AAP said: ${said}` : ''}`;
  return messageForStatus(req, status).withDetail(detail);
}

function messageForStatus(req: FailedRequest, status: number): AapError {
  switch (status) {
    case 401:
      return new AuthenticationError(
        `AAP rejected the credentials for ${req.what} (HTTP 401): the AAP token is missing, invalid or expired; check vmLifecycle.provider.aap.token`,
        status,
      );
    case 403:
      return new AuthenticationError(
        `AAP refused ${req.what} (HTTP 403): the AAP token lacks permission (it needs execute on the job templates and read on their jobs)`,
        status,
      );
    case 404:
      return new AapNotFoundError(
        `AAP has no such resource for ${req.what} (HTTP 404)`,
      );
    case 405:
      return new MethodNotAllowedError(
        `AAP does not allow ${req.what} now (HTTP 405)`,
      );
    case 429:
    case 503: {
      const retryAfterMs = parseRetryAfterMs(req.headers.get('retry-after'));
      return new RateLimitedError(
        `AAP asked us to back off for ${req.what} (HTTP ${status}); retry after ${Math.ceil(retryAfterMs / 1000)} s`,
        status,
        retryAfterMs,
      );
    }
    default:
      return new AapError(`AAP rejected ${req.what} (HTTP ${status})`, status);
  }
}
