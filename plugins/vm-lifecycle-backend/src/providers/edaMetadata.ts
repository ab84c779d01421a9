import {
  ApiGroupNames,
  ComputeInstance,
  ObjectMeta,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { isStaleResourceVersionError } from '../store/errors';
import { ComputeInstanceStore } from '../store/types';

/** Which object a write is meant for; with a uid, a newer instance that reused the name is left alone. */
export interface InstanceRef {
  namespace: string;
  name: string;
  uid?: string;
}

export type MetadataWriteOutcome =
  | { outcome: 'updated'; instance: ComputeInstance }
  /** The write was removing the last finalizer of an object being deleted: it is gone now. */
  | { outcome: 'removed' }
  | { outcome: 'unchanged'; instance: ComputeInstance }
  | { outcome: 'notFound' }
  /** The name now belongs to another object (the one meant is gone). */
  | { outcome: 'uidMismatch'; instance: ComputeInstance }
  /** Kubernetes refuses new finalizers on an object being deleted; so does the store. */
  | { outcome: 'deleting'; instance: ComputeInstance };

type Metadata = ComputeInstance['metadata'];

const MAX_ATTEMPTS = 10;

/**
 * A metadata write (annotations, finalizers) with optimistic concurrency: on a stale
 * resourceVersion it re-reads and re-applies the change, because the controller writes status
 * to the same object all the time and a lost playbook signal would stall the instance forever.
 */
export async function updateInstanceMetadata(
  store: ComputeInstanceStore,
  ref: InstanceRef,
  mutate: (metadata: Metadata) => Metadata | 'deleting' | undefined,
): Promise<MetadataWriteOutcome> {
  let lastError: unknown;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await store.get(ref.namespace, ref.name);
    if (!current) return { outcome: 'notFound' };
    if (ref.uid && current.metadata.uid !== ref.uid)
      return { outcome: 'uidMismatch', instance: current };
    const next = mutate(current.metadata);
    if (next === 'deleting') return { outcome: 'deleting', instance: current };
    if (!next) return { outcome: 'unchanged', instance: current };
    try {
      const written = await store.update({ ...current, metadata: next });
      return written
        ? { outcome: 'updated', instance: written }
        : { outcome: 'removed' };
    } catch (e) {
      if (!isStaleResourceVersionError(e)) throw e;
      lastError = e;
    }
  }
  throw lastError;
}

export function setReconciledVersion(
  store: ComputeInstanceStore,
  names: ApiGroupNames,
  ref: InstanceRef,
  configVersion: string,
): Promise<MetadataWriteOutcome> {
  const key = names.reconciledConfigVersionAnnotation;
  return updateInstanceMetadata(store, ref, metadata =>
    metadata.annotations?.[key] === configVersion
      ? undefined
      : {
          ...metadata,
          annotations: { ...metadata.annotations, [key]: configVersion },
        },
  );
}

export function addAapFinalizer(
  store: ComputeInstanceStore,
  names: ApiGroupNames,
  ref: InstanceRef,
): Promise<MetadataWriteOutcome> {
  return updateInstanceMetadata(store, ref, metadata => {
    if (metadata.finalizers.includes(names.aapFinalizer)) return undefined;
    if (metadata.deletionTimestamp) return 'deleting';
    return {
      ...metadata,
      finalizers: [...metadata.finalizers, names.aapFinalizer],
    };
  });
}

export function removeAapFinalizer(
  store: ComputeInstanceStore,
  names: ApiGroupNames,
  ref: InstanceRef,
): Promise<MetadataWriteOutcome> {
  return updateInstanceMetadata(store, ref, metadata =>
    metadata.finalizers.includes(names.aapFinalizer)
      ? {
          ...metadata,
          finalizers: metadata.finalizers.filter(f => f !== names.aapFinalizer),
        }
      : undefined,
  );
}

export function hasAapFinalizer(
  metadata: Pick<ObjectMeta, 'finalizers'>,
  names: ApiGroupNames,
): boolean {
  return (metadata.finalizers ?? []).includes(names.aapFinalizer);
}
