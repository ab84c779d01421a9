import {
  ApiGroupNames,
  ComputeInstance,
  InstanceSortField,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  InstanceQuery,
  ListPage,
  ListPageRequest,
  PageFilter,
  PermissionFilter,
} from './types';

/*
 * The page rules every adapter shares. The database store evaluates them in SQL; the in-memory and
 * Kubernetes adapters with `pageOf` below. Strings compare by code unit (PostgreSQL is told
 * COLLATE "C"), so every adapter serves the same order.
 */

/** The sort key of an object: the values it is ordered by, ending in a unique one. */
export function sortKeyOf(
  obj: ComputeInstance,
  field: InstanceSortField,
): string[] {
  const { namespace, name, uid, creationTimestamp } = obj.metadata;
  switch (field) {
    case 'name':
      return [name, namespace];
    case 'creationTimestamp':
      return [creationTimestamp, uid];
    case 'phase':
      return [obj.status?.phase ?? '', namespace, name];
    case 'namespace':
    default:
      return [namespace, name];
  }
}

/** How many values a sort key of this field has (a continue token must carry exactly these). */
export function sortKeyLength(field: InstanceSortField): number {
  return field === 'phase' ? 3 : 2;
}

export function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

export function hasFailedJob(obj: ComputeInstance): boolean {
  return (obj.status?.provisioningJobs ?? []).some(j => j.state === 'Failed');
}

export function matchesPageFilter(
  obj: ComputeInstance,
  filter: PageFilter,
  names: Pick<ApiGroupNames, 'requestedByAnnotation' | 'ownerAnnotation'>,
): boolean {
  const annotations = obj.metadata.annotations ?? {};
  if (
    filter.namespace !== undefined &&
    obj.metadata.namespace !== filter.namespace
  )
    return false;
  if (
    filter.requestedBy !== undefined &&
    annotations[names.requestedByAnnotation] !== filter.requestedBy
  )
    return false;
  if (
    filter.owner !== undefined &&
    annotations[names.ownerAnnotation] !== filter.owner
  )
    return false;
  if (
    filter.component !== undefined &&
    annotations[filter.component.annotation] !== filter.component.entityRef
  )
    return false;
  if (filter.phase !== undefined && (obj.status?.phase ?? '') !== filter.phase)
    return false;
  if (
    filter.failedJobs !== undefined &&
    hasFailedJob(obj) !== filter.failedJobs
  )
    return false;
  if (filter.deletionBefore !== undefined) {
    const since = obj.metadata.deletionTimestamp;
    if (!since || !(Date.parse(since) < Date.parse(filter.deletionBefore)))
      return false;
  }
  if (
    filter.nameContains !== undefined &&
    !obj.metadata.name.includes(filter.nameContains)
  )
    return false;
  return true;
}

export function matchesPermission(
  obj: ComputeInstance,
  criteria: PermissionFilter,
  names: Pick<ApiGroupNames, 'requestedByAnnotation' | 'ownerAnnotation'>,
): boolean {
  if ('allOf' in criteria)
    return criteria.allOf.every(c => matchesPermission(obj, c, names));
  if ('anyOf' in criteria)
    return criteria.anyOf.some(c => matchesPermission(obj, c, names));
  if ('not' in criteria) return !matchesPermission(obj, criteria.not, names);
  return matchesQuery(obj, criteria, names);
}

function matchesQuery(
  obj: ComputeInstance,
  query: InstanceQuery,
  names: Pick<ApiGroupNames, 'requestedByAnnotation' | 'ownerAnnotation'>,
): boolean {
  const key =
    query.property === 'owner'
      ? names.ownerAnnotation
      : names.requestedByAnnotation;
  const value = obj.metadata.annotations?.[key];
  return value !== undefined && query.values.includes(value);
}

/** A page of objects held in memory: filtered, ordered, cut after `request.after`. */
export function pageOf(
  objects: Iterable<ComputeInstance>,
  request: ListPageRequest,
  names: Pick<ApiGroupNames, 'requestedByAnnotation' | 'ownerAnnotation'>,
): ListPage {
  const { field, order } = request.sort;
  const direction = order === 'desc' ? -1 : 1;
  const keyed: Array<{ key: string[]; obj: ComputeInstance }> = [];
  for (const obj of objects) {
    if (!matchesPageFilter(obj, request.filter, names)) continue;
    if (
      request.permission &&
      !matchesPermission(obj, request.permission, names)
    )
      continue;
    const key = sortKeyOf(obj, field);
    if (request.after && direction * compareKeys(key, request.after) <= 0)
      continue;
    keyed.push({ key, obj });
  }
  keyed.sort((a, b) => direction * compareKeys(a.key, b.key));
  return {
    items: keyed.slice(0, request.limit).map(k => k.obj),
    remainingItemCount: Math.max(0, keyed.length - request.limit),
  };
}
