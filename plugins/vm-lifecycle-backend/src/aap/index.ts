export { AapClient, UNIFIED_JOBS_CHUNK } from './AapClient';
export type { AapClientOptions } from './AapClient';
export * from './errors';
export * from './types';
export { parseRetryAfterMs, DEFAULT_RETRY_AFTER_MS } from './retryAfter';
export type { FetchLike } from './transport';
