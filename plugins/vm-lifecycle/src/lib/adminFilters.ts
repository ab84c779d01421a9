import { ComputeInstance, Phase } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { ownerOf } from './instances';

export const NO_OWNER = '(no owner)';
export const NO_PHASE = '(requested)';

export interface AdminFilters {
  /** A phase, NO_PHASE for instances the controller has not picked up, or '' for all. */
  phase: Phase | typeof NO_PHASE | '';
  /** An owner entity ref, NO_OWNER, or '' for all. */
  owner: string;
  /** Only instances whose job history has a failed job. */
  failedJobs: boolean;
  /** Only instances in Deleting for longer than `stuckMinutes`. */
  stuckDeleting: boolean;
  stuckMinutes: number;
}

export const DEFAULT_ADMIN_FILTERS: AdminFilters = {
  phase: '',
  owner: '',
  failedJobs: false,
  stuckDeleting: false,
  stuckMinutes: 10,
};

export function hasFailedJob(instance: ComputeInstance): boolean {
  return (instance.status?.provisioningJobs ?? []).some(
    j => j.state === 'Failed',
  );
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

export function isStuckDeleting(
  instance: ComputeInstance,
  thresholdMinutes: number,
  now: number,
): boolean {
  const ms = deletingForMs(instance, now);
  return ms !== undefined && ms > thresholdMinutes * 60_000;
}

export function filterInstances(
  instances: readonly ComputeInstance[],
  filters: AdminFilters,
  now: number = Date.now(),
): ComputeInstance[] {
  return instances.filter(instance => {
    const phase = instance.status?.phase;
    if (filters.phase === NO_PHASE && phase) return false;
    if (filters.phase && filters.phase !== NO_PHASE && phase !== filters.phase)
      return false;
    const owner = ownerOf(instance);
    if (filters.owner === NO_OWNER && owner) return false;
    if (filters.owner && filters.owner !== NO_OWNER && owner !== filters.owner)
      return false;
    if (filters.failedJobs && !hasFailedJob(instance)) return false;
    if (
      filters.stuckDeleting &&
      !isStuckDeleting(instance, filters.stuckMinutes, now)
    ) {
      return false;
    }
    return true;
  });
}

/** Distinct owners, sorted, for the owner filter. */
export function ownersOf(instances: readonly ComputeInstance[]): string[] {
  const owners = new Set<string>();
  for (const instance of instances) {
    const owner = ownerOf(instance);
    if (owner) owners.add(owner);
  }
  return [...owners].sort();
}
