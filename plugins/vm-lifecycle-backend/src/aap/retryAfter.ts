/** Used when AAP (or a proxy) says "back off" without telling us for how long. */
export const DEFAULT_RETRY_AFTER_MS = 5000;

/** A misconfigured proxy sending "Retry-After: 86400" must not park an instance for a day. */
export const MAX_RETRY_AFTER_MS = 15 * 60 * 1000;

/**
 * Parses an HTTP Retry-After header (RFC 9110: delay-seconds or an HTTP-date) into milliseconds.
 * Returns the default when the header is missing or unparsable, and clamps to [0, MAX].
 */
export function parseRetryAfterMs(
  header: string | null | undefined,
  now: number = Date.now(),
): number {
  const value = header?.trim();
  if (!value) return DEFAULT_RETRY_AFTER_MS;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(value)) {
    ms = Math.ceil(Number(value) * 1000);
  } else {
    // HTTP-dates always name a month; without this V8 would read "-5" as a date in year -5.
    const at = /[a-z]{3}/i.test(value) ? Date.parse(value) : NaN;
    if (Number.isNaN(at)) return DEFAULT_RETRY_AFTER_MS;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
