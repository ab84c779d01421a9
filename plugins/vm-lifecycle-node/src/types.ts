import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';

export type VmInstanceChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change of a ComputeInstance; for DELETED, the object as it was last seen. */
export interface VmInstanceChange {
  type: VmInstanceChangeType;
  object: ComputeInstance;
}

export type VmInstanceListener = (change: VmInstanceChange) => void;

/**
 * Where the instances come from: the vm-lifecycle backend plugin connects its store (database or
 * Kubernetes) here. `watch` announces every change this replica learns of, also changes made
 * through other replicas.
 */
export interface VmInstanceSource {
  list(): Promise<ComputeInstance[]>;
  get(namespace: string, name: string): Promise<ComputeInstance | undefined>;
  watch(listener: VmInstanceListener): () => void;
}

/**
 * Read access to ComputeInstances for other plugins and modules in the same backend (the catalog
 * entity provider, notifications): list, read one, and watch changes.
 *
 * Calls made before the vm-lifecycle plugin connected its store wait for it; a listener added
 * before that is attached once the store is there.
 */
export interface VmInstancesService {
  list(): Promise<ComputeInstance[]>;
  get(namespace: string, name: string): Promise<ComputeInstance | undefined>;
  watch(listener: VmInstanceListener): () => void;
  /**
   * For the vm-lifecycle backend plugin only: connects the store the other calls read. A second
   * source in one backend is refused (two stores would give two truths).
   */
  connect(source: VmInstanceSource): () => void;
}
