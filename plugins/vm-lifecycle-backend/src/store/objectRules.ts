import { InputError } from '@backstage/errors';
import {
  ApiGroupNames,
  COMPUTE_INSTANCE_KIND,
  ComputeInstance,
  ComputeInstanceSpec,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { StaleResourceVersionError } from './errors';
import { ListOptions, NewComputeInstance } from './types';
import { validateStatus } from './validateStatus';

/*
 * The Kubernetes API-server rules for a namespaced resource with a status subresource, as pure
 * functions over plain objects. Both the database and the in-memory store apply exactly these, so
 * the two cannot drift apart; the adapters only add storage and atomicity around them.
 */

// RFC 1123 label: what Kubernetes requires of namespace names and of this resource's names.
const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** JSON round trip: the copy a caller gets can never alias stored state, and it matches what a database returns. */
export function jsonClone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/** JSON with sorted keys, so "did anything change" does not depend on key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map(k => [k, v[k]]),
        )
      : v,
  );
}

function checkName(value: unknown, field: string): string {
  if (
    typeof value !== 'string' ||
    value.length > 63 ||
    !RFC1123_LABEL.test(value)
  ) {
    throw new InputError(
      `${field} must be an RFC 1123 label (lowercase alphanumerics and '-', starting and ending alphanumeric, at most 63 characters); got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function checkStringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(`${field} must be an object of strings`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string')
      throw new InputError(`${field}["${k}"] must be a string`);
  }
  return { ...(value as Record<string, string>) };
}

function checkFinalizers(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (
    !Array.isArray(value) ||
    value.some(f => typeof f !== 'string' || f === '')
  ) {
    throw new InputError(
      'metadata.finalizers must be an array of non-empty strings',
    );
  }
  // Kubernetes keeps a finalizer list as a set; a duplicate would need two removals to go away.
  return [...new Set(value as string[])];
}

function checkSpec(value: unknown): ComputeInstanceSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError('spec must be an object');
  }
  return jsonClone(value as ComputeInstanceSpec);
}

/** Validates a create request and builds the stored object with the server-assigned fields. */
export function buildNewInstance(
  input: NewComputeInstance,
  assigned: {
    apiVersion: string;
    uid: string;
    resourceVersion: string;
    now: string;
  },
): ComputeInstance {
  const meta = input?.metadata ?? ({} as NewComputeInstance['metadata']);
  const status = input.status === undefined ? {} : jsonClone(input.status);
  validateStatus(status);
  return {
    apiVersion: assigned.apiVersion,
    kind: COMPUTE_INSTANCE_KIND,
    metadata: {
      name: checkName(meta.name, 'metadata.name'),
      namespace: checkName(meta.namespace, 'metadata.namespace'),
      uid: assigned.uid,
      resourceVersion: assigned.resourceVersion,
      generation: 1,
      creationTimestamp: assigned.now,
      finalizers: checkFinalizers(meta.finalizers),
      labels: checkStringMap(meta.labels, 'metadata.labels'),
      annotations: checkStringMap(meta.annotations, 'metadata.annotations'),
    },
    spec: checkSpec(input.spec),
    status,
  };
}

/** The key and precondition of a write; an update without a resourceVersion is refused, as for custom resources. */
export function writeTarget(incoming: ComputeInstance): {
  namespace: string;
  name: string;
  resourceVersion: string;
} {
  const meta = incoming?.metadata;
  if (
    !meta ||
    typeof meta.name !== 'string' ||
    typeof meta.namespace !== 'string'
  ) {
    throw new InputError('metadata.namespace and metadata.name are required');
  }
  if (typeof meta.resourceVersion !== 'string' || meta.resourceVersion === '') {
    throw new InputError(
      `ComputeInstance ${meta.namespace}/${meta.name}: metadata.resourceVersion must be specified for an update`,
    );
  }
  return {
    namespace: meta.namespace,
    name: meta.name,
    resourceVersion: meta.resourceVersion,
  };
}

export function checkPrecondition(
  current: ComputeInstance,
  resourceVersion: string,
): void {
  if (current.metadata.resourceVersion !== resourceVersion) {
    throw new StaleResourceVersionError(
      current.metadata.namespace,
      current.metadata.name,
      resourceVersion,
      current.metadata.resourceVersion,
    );
  }
}

/**
 * What a write does to the stored object. `next` still carries the old resourceVersion: the adapter
 * assigns the new one at commit time. `next.metadata` is always a fresh object, so assigning it
 * never alters `current`.
 */
export type WriteOutcome =
  | { kind: 'unchanged' }
  | { kind: 'modified'; next: ComputeInstance }
  | { kind: 'removed'; next: ComputeInstance };

function outcome(
  current: ComputeInstance,
  next: ComputeInstance,
): WriteOutcome {
  // Kubernetes skips a write that changes nothing: same resourceVersion, no watch event.
  if (canonicalJson(next) === canonicalJson(current))
    return { kind: 'unchanged' };
  if (
    next.metadata.deletionTimestamp &&
    next.metadata.finalizers.length === 0
  ) {
    return { kind: 'removed', next };
  }
  return { kind: 'modified', next };
}

/** The main resource write: metadata (labels, annotations, finalizers) and spec; status is kept. */
export function applyUpdate(
  current: ComputeInstance,
  incoming: ComputeInstance,
): WriteOutcome {
  const cur = current.metadata;
  const inc = incoming.metadata;
  const ref = `ComputeInstance ${cur.namespace}/${cur.name}`;
  if (inc.uid && inc.uid !== cur.uid) {
    throw new InputError(
      `${ref}: metadata.uid is immutable (stored ${cur.uid}, got ${inc.uid})`,
    );
  }
  if (!cur.deletionTimestamp && inc.deletionTimestamp) {
    throw new InputError(
      `${ref}: metadata.deletionTimestamp can only be set by deleting the object`,
    );
  }
  const finalizers = checkFinalizers(inc.finalizers);
  if (cur.deletionTimestamp) {
    const added = finalizers.filter(f => !cur.finalizers.includes(f));
    if (added.length > 0) {
      throw new InputError(
        `${ref} is being deleted: no new finalizers can be added (tried to add ${added.join(', ')})`,
      );
    }
  }
  const spec = checkSpec(incoming.spec);
  const specChanged = canonicalJson(spec) !== canonicalJson(current.spec);
  const generation = cur.generation ?? 1;
  // creationTimestamp and deletionTimestamp in the request are ignored, as the API server does.
  const next: ComputeInstance = {
    ...current,
    metadata: {
      ...cur,
      generation: specChanged ? generation + 1 : generation,
      labels: checkStringMap(inc.labels, 'metadata.labels'),
      annotations: checkStringMap(inc.annotations, 'metadata.annotations'),
      finalizers,
    },
    spec,
  };
  return outcome(current, next);
}

/** The status subresource write: everything but status in the request is ignored. */
export function applyStatusUpdate(
  current: ComputeInstance,
  incoming: ComputeInstance,
): WriteOutcome {
  const status = jsonClone(incoming.status ?? {});
  validateStatus(status);
  return outcome(current, {
    ...current,
    metadata: { ...current.metadata },
    status,
  });
}

/** Delete: removes an object without finalizers, otherwise marks it once (generation bumps, as in Kubernetes). */
export function applyDelete(
  current: ComputeInstance,
  now: string,
): WriteOutcome {
  if (current.metadata.finalizers.length === 0) {
    return {
      kind: 'removed',
      next: { ...current, metadata: { ...current.metadata } },
    };
  }
  if (current.metadata.deletionTimestamp) return { kind: 'unchanged' };
  return {
    kind: 'modified',
    next: {
      ...current,
      metadata: {
        ...current.metadata,
        deletionTimestamp: now,
        generation: (current.metadata.generation ?? 1) + 1,
      },
    },
  };
}

/** Exact-match label selector: every pair must be present with the same value. */
/**
 * The in-memory part of a list query: requester, owner and labels. (The database store filters
 * the same fields in SQL; the Kubernetes store lists by namespace on the server.)
 */
export function matchesListOptions(
  obj: ComputeInstance,
  options: Pick<ListOptions, 'requestedBy' | 'owner' | 'labels'>,
  names: Pick<ApiGroupNames, 'requestedByAnnotation' | 'ownerAnnotation'>,
): boolean {
  const annotations = obj.metadata.annotations ?? {};
  return (
    (options.requestedBy === undefined ||
      annotations[names.requestedByAnnotation] === options.requestedBy) &&
    (options.owner === undefined ||
      annotations[names.ownerAnnotation] === options.owner) &&
    matchesLabels(obj, options.labels)
  );
}

export function matchesLabels(
  obj: ComputeInstance,
  labels: Record<string, string> | undefined,
): boolean {
  if (!labels) return true;
  const own = obj.metadata.labels ?? {};
  return Object.entries(labels).every(([k, v]) => own[k] === v);
}

/**
 * List order: namespace, then name, by code unit. Done in code rather than ORDER BY because
 * PostgreSQL's locale collations ignore '-' and would order names differently from SQLite.
 */
export function compareByKey(a: ComputeInstance, b: ComputeInstance): number {
  return (
    compareCodeUnits(a.metadata.namespace, b.metadata.namespace) ||
    compareCodeUnits(a.metadata.name, b.metadata.name)
  );
}

function compareCodeUnits(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
