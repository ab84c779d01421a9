import {
  COMPUTE_INSTANCE_KIND,
  ComputeInstance,
  canonicalJson,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/*
 * Between the custom resource as the API server returns it and the store port's ComputeInstance.
 * The port models only the fields the controller owns, so writes are patches of those fields:
 * ownerReferences, managedFields or another controller's annotations survive every write of ours.
 */

/** A ComputeInstance custom resource as it travels on the wire. */
export interface RawComputeInstance {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: unknown;
  status?: unknown;
}

export function toComputeInstance(
  raw: RawComputeInstance,
  defaultApiVersion: string,
): ComputeInstance {
  const m = raw.metadata ?? {};
  const metadata: ComputeInstance['metadata'] = {
    name: m.name ?? '',
    namespace: m.namespace ?? '',
    uid: m.uid ?? '',
    resourceVersion: m.resourceVersion ?? '',
    creationTimestamp: String(m.creationTimestamp ?? ''),
    finalizers: [...(m.finalizers ?? [])],
    labels: { ...m.labels },
    annotations: { ...m.annotations },
  };
  if (m.generation !== undefined) metadata.generation = m.generation;
  if (m.deletionTimestamp)
    metadata.deletionTimestamp = String(m.deletionTimestamp);
  return {
    apiVersion: raw.apiVersion ?? defaultApiVersion,
    kind: COMPUTE_INSTANCE_KIND,
    metadata,
    spec: JSON.parse(JSON.stringify(raw.spec ?? {})),
    status: JSON.parse(JSON.stringify(raw.status ?? {})),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The RFC 7386 merge patch that turns `from` into `to` (`undefined` when they are equal): removed
 * keys become null, nested objects are diffed key by key, arrays and scalars are replaced whole.
 */
export function mergePatchBetween(from: unknown, to: unknown): unknown {
  if (canonicalJson(from) === canonicalJson(to)) return undefined;
  if (!isPlainObject(from) || !isPlainObject(to))
    return JSON.parse(JSON.stringify(to ?? null));
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) {
    if (to[key] === undefined && from[key] !== undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const child = mergePatchBetween(from[key], value);
    if (child !== undefined) patch[key] = child;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/**
 * The patch of a main-resource write: labels, annotations, finalizers and spec, with the
 * resourceVersion the write was based on, which the API server checks like an update's (409 when stale).
 */
export function updatePatch(
  current: ComputeInstance,
  next: ComputeInstance,
): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    resourceVersion: current.metadata.resourceVersion,
  };
  for (const key of ['labels', 'annotations'] as const) {
    const diff = mergePatchBetween(current.metadata[key], next.metadata[key]);
    if (diff !== undefined) metadata[key] = diff;
  }
  if (
    canonicalJson(current.metadata.finalizers) !==
    canonicalJson(next.metadata.finalizers)
  ) {
    metadata.finalizers = [...next.metadata.finalizers];
  }
  const patch: Record<string, unknown> = { metadata };
  const spec = mergePatchBetween(current.spec, next.spec);
  if (spec !== undefined) patch.spec = spec;
  return patch;
}
