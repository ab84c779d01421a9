import { HttpAuthService } from '@backstage/backend-plugin-api';
import { RequestHandler } from 'express';
import { answerTooManyRequests, SlidingWindowLimit } from './slidingWindow';

export interface WriteRateLimitSettings {
  /** Writes one caller may send per window; 0 turns the limit off. */
  limit: number;
  windowMs: number;
}

export const DEFAULT_WRITE_RATE_LIMIT: WriteRateLimitSettings = {
  limit: 60,
  windowMs: 60_000,
};

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every write (request, change, restart, delete; refused ones too, since validating them costs as
 * well) counts against its caller's sliding window; past the limit the answer is 429 with
 * Retry-After, before any parsing or store call. Per replica: N replicas allow N times the limit.
 */
export function createWriteRateLimit(options: {
  settings: WriteRateLimitSettings;
  httpAuth: HttpAuthService;
  now?: () => number;
}): RequestHandler {
  const { settings, httpAuth } = options;
  const writes = new SlidingWindowLimit(
    settings.limit,
    settings.windowMs,
    options.now,
  );

  return async (req, res, next) => {
    if (settings.limit <= 0 || READ_METHODS.has(req.method)) {
      next();
      return;
    }
    let caller: string;
    try {
      const { principal } = await httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
      caller =
        principal.type === 'user'
          ? principal.userEntityRef
          : `service:${principal.subject}`;
    } catch {
      // No valid credential: the route itself answers 401.
      next();
      return;
    }
    const waitMs = writes.waitMs(caller);
    if (waitMs > 0) {
      answerTooManyRequests(
        req,
        res,
        waitMs,
        retryAfterS =>
          `Too many changes: at most ${settings.limit} per ${settings.windowMs / 1000} s per user (vmLifecycle.rateLimit.writes); try again in ${retryAfterS} s`,
      );
      return;
    }
    writes.record(caller);
    next();
  };
}
