import {
  DEFAULT_RETRY_AFTER_MS,
  MAX_RETRY_AFTER_MS,
  parseRetryAfterMs,
} from './retryAfter';

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    ['3', 3000],
    ['0', 0],
    ['1.5', 1500],
    [' 7 ', 7000],
  ])('reads delay-seconds %p', (header, expected) => {
    expect(parseRetryAfterMs(header, now)).toBe(expected);
  });

  it('reads an HTTP date relative to now', () => {
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:42 GMT', now)).toBe(
      42_000,
    );
  });

  it('treats a date in the past as "now"', () => {
    expect(parseRetryAfterMs('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it.each([[undefined], [null], [''], ['soon'], ['-5']])(
    'defaults for %p',
    header => {
      expect(parseRetryAfterMs(header, now)).toBe(DEFAULT_RETRY_AFTER_MS);
    },
  );

  it('caps absurd values', () => {
    expect(parseRetryAfterMs('86400', now)).toBe(MAX_RETRY_AFTER_MS);
  });
});
