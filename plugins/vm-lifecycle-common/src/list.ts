import { ComputeInstance, Phase } from './types';
import { PHASES } from './schema/status';

/*
 * GET /instances pages the way Kubernetes lists do (`limit`, `continue`, `remainingItemCount`),
 * with the filters and the sort the portal's tables need applied by the server. Both sides parse
 * and build the query here, so the portal can never send a query the backend would refuse.
 */

/** Page size when a request names no `limit`; a list without `limit` is never unbounded. */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest `limit` accepted. */
export const MAX_PAGE_SIZE = 500;

/**
 * Sort orders. Every one ends in a unique key (namespace/name or uid), so the order is total and a
 * continue token can name the exact place a page ended.
 * - `namespace`: namespace, then name (the Kubernetes list order; the default)
 * - `name`: name, then namespace
 * - `creationTimestamp`: creation time, then uid
 * - `phase`: phase (none first), then namespace, then name
 */
export const INSTANCE_SORT_FIELDS = [
  'namespace',
  'name',
  'creationTimestamp',
  'phase',
] as const;
export type InstanceSortField = (typeof INSTANCE_SORT_FIELDS)[number];
export type SortOrder = 'asc' | 'desc';

/** `phase=None`: instances the controller has not given a phase yet (just requested). */
export const NO_PHASE = 'None';
export type PhaseFilter = Phase | typeof NO_PHASE;

/** Longest `search` term: a name is at most 63 characters. */
export const MAX_SEARCH_LENGTH = 63;

/** The query of GET /instances; every filter is optional and they combine with AND. */
export interface InstanceListQuery {
  namespace?: string;
  /** Entity ref of the owning catalog entity, e.g. group:default/team-a. */
  owner?: string;
  /** User entity ref of the requester, e.g. user:default/guest. */
  requestedBy?: string;
  /** Entity ref of the component the VM belongs to (its component annotation), e.g. component:default/payments. */
  component?: string;
  phase?: PhaseFilter;
  /** true: only instances with a failed job in their history; false: only those without. */
  failedJobs?: boolean;
  /** Only instances whose deletion was requested longer than this many minutes ago (0: any being deleted). */
  stuckDeletingMinutes?: number;
  /** Part of the name (lower case letters, digits, '-' and '.'). */
  search?: string;
  sort?: InstanceSortField;
  order?: SortOrder;
  /** 1 to MAX_PAGE_SIZE; DEFAULT_PAGE_SIZE when absent. */
  limit?: number;
  /** The `metadata.continue` of the previous page, with the same filters and sort. */
  continue?: string;
}

/** The answer of GET /instances (a Kubernetes list). */
export interface ComputeInstanceList {
  kind: 'ComputeInstanceList';
  metadata: {
    /** Present when more items follow: pass it as `continue` for the next page. */
    continue?: string;
    /** How many items match after this page (0 on the last page). */
    remainingItemCount: number;
  };
  items: ComputeInstance[];
}

/** A query parameter that was refused, named so the caller can fix it. */
export class ListQueryError extends Error {
  constructor(
    readonly parameter: string,
    reason: string,
  ) {
    super(`${parameter}: ${reason}`);
    this.name = 'ListQueryError';
  }
}

const NAME_PART = /^[a-z0-9.-]+$/;
const QUERY_KEYS: ReadonlyArray<keyof InstanceListQuery> = [
  'namespace',
  'owner',
  'requestedBy',
  'component',
  'phase',
  'failedJobs',
  'stuckDeletingMinutes',
  'search',
  'sort',
  'order',
  'limit',
  'continue',
];
const MAX_TEXT_LENGTH = 1024;
/** A year: any longer and the filter means nothing the portal can show. */
const MAX_STUCK_MINUTES = 525_600;

/**
 * Parses the query string of GET /instances (as express or URLSearchParams hand it over). Throws a
 * ListQueryError naming the first parameter that is unknown, repeated or out of range.
 */
export function parseInstanceListQuery(
  raw: Record<string, unknown>,
): InstanceListQuery {
  const query: InstanceListQuery = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(QUERY_KEYS as readonly string[]).includes(key)) {
      throw new ListQueryError(
        key,
        `unknown query parameter (known: ${QUERY_KEYS.join(', ')})`,
      );
    }
    if (typeof value !== 'string') {
      throw new ListQueryError(key, 'must be given once, as a plain value');
    }
    if (value === '') throw new ListQueryError(key, 'must not be empty');
    if (value.length > MAX_TEXT_LENGTH) {
      throw new ListQueryError(
        key,
        `longer than ${MAX_TEXT_LENGTH} characters`,
      );
    }
  }
  const text = (key: keyof InstanceListQuery) => raw[key] as string | undefined;

  for (const key of [
    'namespace',
    'owner',
    'requestedBy',
    'component',
    'continue',
  ] as const)
    if (text(key) !== undefined) query[key] = text(key);

  const phase = text('phase');
  if (phase !== undefined) {
    if (phase !== NO_PHASE && !(PHASES as readonly string[]).includes(phase)) {
      throw new ListQueryError(
        'phase',
        `must be one of ${[NO_PHASE, ...PHASES].join(', ')}`,
      );
    }
    query.phase = phase as PhaseFilter;
  }
  const failedJobs = text('failedJobs');
  if (failedJobs !== undefined) {
    if (failedJobs !== 'true' && failedJobs !== 'false')
      throw new ListQueryError('failedJobs', 'must be true or false');
    query.failedJobs = failedJobs === 'true';
  }
  const stuck = text('stuckDeletingMinutes');
  if (stuck !== undefined) {
    query.stuckDeletingMinutes = parseInteger(
      'stuckDeletingMinutes',
      stuck,
      0,
      MAX_STUCK_MINUTES,
    );
  }
  const search = text('search');
  if (search !== undefined) {
    if (search.length > MAX_SEARCH_LENGTH || !NAME_PART.test(search)) {
      throw new ListQueryError(
        'search',
        `must be part of a name: up to ${MAX_SEARCH_LENGTH} lower case letters, digits, '-' or '.'`,
      );
    }
    query.search = search;
  }
  const sort = text('sort');
  if (sort !== undefined) {
    if (!(INSTANCE_SORT_FIELDS as readonly string[]).includes(sort)) {
      throw new ListQueryError(
        'sort',
        `must be one of ${INSTANCE_SORT_FIELDS.join(', ')}`,
      );
    }
    query.sort = sort as InstanceSortField;
  }
  const order = text('order');
  if (order !== undefined) {
    if (order !== 'asc' && order !== 'desc')
      throw new ListQueryError('order', 'must be asc or desc');
    query.order = order;
  }
  const limit = text('limit');
  if (limit !== undefined)
    query.limit = parseInteger('limit', limit, 1, MAX_PAGE_SIZE);
  return query;
}

function parseInteger(
  parameter: string,
  value: string,
  min: number,
  max: number,
): number {
  if (!/^\d{1,9}$/.test(value)) {
    throw new ListQueryError(
      parameter,
      `must be a whole number from ${min} to ${max}`,
    );
  }
  const n = Number(value);
  if (n < min || n > max) {
    throw new ListQueryError(
      parameter,
      `must be a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

/** The query string for a query (without '?'); the inverse of parseInstanceListQuery. */
export function formatInstanceListQuery(query: InstanceListQuery): string {
  const params = new URLSearchParams();
  for (const key of QUERY_KEYS) {
    const value = query[key];
    if (value === undefined || value === '') continue;
    params.set(key, String(value));
  }
  return params.toString();
}
