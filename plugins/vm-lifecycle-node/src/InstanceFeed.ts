import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  VmInstanceListener,
  VmInstanceSource,
  VmInstancesService,
} from './types';

/**
 * The in-process implementation of VmInstancesService: a rendezvous between the vm-lifecycle
 * plugin, which connects its store during its init, and readers in other plugins, whose init may
 * run before or after it (the backend starts plugins in parallel).
 */
export class InstanceFeed implements VmInstancesService {
  private source?: VmInstanceSource;
  private readonly waiting: Array<(source: VmInstanceSource) => void> = [];
  // Each listener with the function that detaches it from the connected source (if any).
  private readonly listeners = new Map<
    { listener: VmInstanceListener },
    (() => void) | undefined
  >();

  connect(source: VmInstanceSource): () => void {
    if (this.source) {
      throw new Error(
        'A ComputeInstance store is already connected to the vm-lifecycle instance feed',
      );
    }
    this.source = source;
    for (const entry of this.listeners.keys()) {
      this.listeners.set(entry, source.watch(entry.listener));
    }
    for (const resolve of this.waiting.splice(0)) resolve(source);
    return () => {
      if (this.source !== source) return;
      for (const [entry, detach] of this.listeners) {
        detach?.();
        this.listeners.set(entry, undefined);
      }
      this.source = undefined;
    };
  }

  async list(): Promise<ComputeInstance[]> {
    return (await this.connected()).list();
  }

  async get(
    namespace: string,
    name: string,
  ): Promise<ComputeInstance | undefined> {
    return (await this.connected()).get(namespace, name);
  }

  watch(listener: VmInstanceListener): () => void {
    const entry = { listener };
    this.listeners.set(entry, this.source?.watch(listener));
    return () => {
      this.listeners.get(entry)?.();
      this.listeners.delete(entry);
    };
  }

  private connected(): Promise<VmInstanceSource> {
    if (this.source) return Promise.resolve(this.source);
    return new Promise(resolve => this.waiting.push(resolve));
  }
}
