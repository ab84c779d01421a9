import { Request, Response } from 'express';

/**
 * Counts events per key over a sliding window (the times of the last `limit` events are kept), for
 * limits such as "60 writes per minute per user" or "10 failed logins per minute per client".
 */
export class SlidingWindowLimit {
  private readonly events = new Map<string, number[]>();
  private sinceSweep = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `key` may act again, or 0 when it is under the limit now. */
  waitMs(key: string): number {
    const at = this.now();
    const times = this.recent(key, at);
    return times.length >= this.limit ? times[0] + this.windowMs - at : 0;
  }

  /** Records one event of `key`. */
  record(key: string): void {
    const at = this.now();
    const times = this.recent(key, at);
    times.push(at);
    // Only the last `limit` times can ever decide; older ones would only hold memory.
    this.events.set(key, times.slice(-this.limit));
    if (++this.sinceSweep >= 1000) this.sweep(at);
  }

  private recent(key: string, at: number): number[] {
    return (this.events.get(key) ?? []).filter(t => t > at - this.windowMs);
  }

  /** Forgets keys with no event in the window, so the map holds only recent actors. */
  private sweep(at: number) {
    this.sinceSweep = 0;
    for (const [key, times] of this.events) {
      if (times[times.length - 1] <= at - this.windowMs)
        this.events.delete(key);
    }
  }
}

/**
 * 429 with Retry-After (whole seconds, never 0) and a body shaped like every other error of the
 * API. Backstage's error classes have no 429, so the answer is written here.
 */
export function answerTooManyRequests(
  req: Request,
  res: Response,
  waitMs: number,
  message: (retryAfterS: number) => string,
): void {
  const retryAfterS = Math.max(1, Math.ceil(waitMs / 1000));
  res
    .status(429)
    .set('Retry-After', String(retryAfterS))
    .json({
      error: { name: 'TooManyRequestsError', message: message(retryAfterS) },
      request: { method: req.method, url: req.originalUrl },
      response: { statusCode: 429 },
    });
}
