import {
  apiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  VmInstanceChange,
  VmInstanceListener,
  VmInstanceSource,
} from '@vm-selfservice/plugin-vm-lifecycle-node';

export const names = apiGroupNames('osac.openshift.io');

export function makeInstance(
  name: string,
  options: {
    namespace?: string;
    owner?: string;
    requestedBy?: string;
    component?: string;
    phase?: ComputeInstance['status']['phase'];
    jobID?: string;
    uid?: string;
  } = {},
): ComputeInstance {
  const annotations: Record<string, string> = {
    [names.requestedByAnnotation]: options.requestedBy ?? 'user:default/alice',
  };
  if (options.owner) annotations[names.ownerAnnotation] = options.owner;
  if (options.component)
    annotations[names.componentAnnotation] = options.component;
  return {
    apiVersion: names.apiVersion,
    kind: 'ComputeInstance',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      uid: options.uid ?? `uid-${name}`,
      resourceVersion: '1',
      creationTimestamp: '2026-12-01T10:00:00.000Z',
      finalizers: [],
      labels: {},
      annotations,
    },
    spec: {
      templateID: 'fedora_small',
      image: { sourceType: 'registry', sourceRef: 'quay.io/fedora:latest' },
      cores: 2,
      memoryGiB: 4,
      bootDisk: { sizeGiB: 20 },
      runStrategy: 'Always',
    },
    status: {
      ...(options.phase ? { phase: options.phase } : {}),
      provisioningJobs: options.jobID
        ? [
            {
              jobID: options.jobID,
              type: 'provision',
              timestamp: '2026-12-01T10:00:01.000Z',
              state: 'Running',
              message: '',
              configVersion: 'v1',
              blockDeletionOnFailure: false,
            },
          ]
        : [],
    },
  };
}

/** A store stand-in: a map of instances and the watch events a store would announce. */
export class FakeSource implements VmInstanceSource {
  readonly items = new Map<string, ComputeInstance>();
  private readonly listeners = new Set<VmInstanceListener>();

  async list() {
    return [...this.items.values()].map(i => structuredClone(i));
  }

  async get(namespace: string, name: string) {
    return this.items.get(`${namespace}/${name}`);
  }

  watch(listener: VmInstanceListener) {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get listenerCount() {
    return this.listeners.size;
  }

  put(instance: ComputeInstance) {
    const key = `${instance.metadata.namespace}/${instance.metadata.name}`;
    const type = this.items.has(key) ? 'MODIFIED' : 'ADDED';
    this.items.set(key, instance);
    this.emit({ type, object: instance });
  }

  remove(namespace: string, name: string) {
    const key = `${namespace}/${name}`;
    const object = this.items.get(key);
    if (!object) return;
    this.items.delete(key);
    this.emit({ type: 'DELETED', object });
  }

  private emit(change: VmInstanceChange) {
    for (const l of this.listeners) l(change);
  }
}
