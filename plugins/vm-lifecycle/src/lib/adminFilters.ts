import {
  ComputeInstance,
  NO_PHASE,
  PhaseFilter,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { InstancePageQuery } from '../hooks/useInstancePages';
import { DEFAULT_SORT, ListSort } from './listSort';

export { NO_PHASE };

/** The admin view's filters; each becomes a parameter of GET /instances, applied by the server. */
export interface AdminFilters {
  /** A phase, NO_PHASE for instances the controller has not picked up, or '' for all. */
  phase: PhaseFilter | '';
  /** An owner as typed: an entity ref, or a group's name. */
  owner: string;
  /** Only instances whose job history has a failed job. */
  failedJobs: boolean;
  /** Only instances in Deleting for longer than `stuckMinutes`. */
  stuckDeleting: boolean;
  stuckMinutes: number;
  /** Part of a name. */
  search: string;
  sort: ListSort;
}

export const DEFAULT_ADMIN_FILTERS: AdminFilters = {
  phase: '',
  owner: '',
  failedJobs: false,
  stuckDeleting: false,
  stuckMinutes: 10,
  search: '',
  sort: DEFAULT_SORT,
};

/**
 * An owner as people type it, as the entity ref the server filters by: "team-a" is the group
 * group:default/team-a, "user:alice" is user:default/alice. Empty when nothing usable is typed.
 */
export function toOwnerRef(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  const match = /^(?:([^:/\s]+):)?(?:([^:/\s]+)\/)?([^:/\s]+)$/.exec(trimmed);
  if (!match) return '';
  const [, kind = 'group', namespace = 'default', name] = match;
  return `${kind.toLowerCase()}:${namespace}/${name}`;
}

/** The query for the filters. */
export function adminQuery(filters: AdminFilters): InstancePageQuery {
  const query: InstancePageQuery = { ...filters.sort };
  if (filters.phase) query.phase = filters.phase;
  const owner = toOwnerRef(filters.owner);
  if (owner) query.owner = owner;
  if (filters.failedJobs) query.failedJobs = true;
  if (filters.stuckDeleting)
    query.stuckDeletingMinutes = Math.max(0, Math.floor(filters.stuckMinutes));
  if (filters.search) query.search = filters.search;
  return query;
}

/** Milliseconds since deletion was requested, or undefined when it was not. */
export function deletingForMs(
  instance: ComputeInstance,
  now: number,
): number | undefined {
  const since = instance.metadata.deletionTimestamp;
  if (!since) return undefined;
  const start = Date.parse(since);
  return Number.isNaN(start) ? undefined : Math.max(0, now - start);
}
