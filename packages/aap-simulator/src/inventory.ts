import type { SimVm } from './types';

export interface InstanceRef {
  namespace: string;
  name: string;
  uid: string;
}

/**
 * Where the simulated playbooks create and delete VMs: the in-memory `Inventory`, or KubeVirt
 * objects in a Kubernetes API server (`KubeVirtInventory`), which answers asynchronously.
 */
export interface VmInventory {
  /** False when the VM already existed (the playbook reports `ok` instead of `changed`). */
  create(
    instance: InstanceRef,
    jobId: number,
    createdAt: string,
  ): boolean | Promise<boolean>;
  /** Removes the instance's VMs (restricted to the uid when one is given); returns how many. */
  remove(instance: {
    namespace: string;
    name: string;
    uid?: string;
  }): number | Promise<number>;
}

/**
 * The simulated hypervisor: the VMs that exist right now. Keyed by namespace/name/uid so that a VM
 * orphaned by an earlier instance of the same name stays visible next to the new one instead of
 * being silently merged into it (that is exactly the leak the tests want to catch).
 */
export class Inventory implements VmInventory {
  private readonly vmsByKey = new Map<string, SimVm>();

  /** Returns false when the VM already existed (the playbook reports `ok` instead of `changed`). */
  create(instance: InstanceRef, jobId: number, createdAt: string): boolean {
    const key = vmKey(instance);
    if (this.vmsByKey.has(key)) return false;
    this.vmsByKey.set(key, {
      namespace: instance.namespace,
      name: instance.name,
      uid: instance.uid,
      createdByJob: jobId,
      createdAt,
    });
    return true;
  }

  /** Removes every VM of that namespace/name, restricted to the uid when one is given; returns how many. */
  remove(instance: { namespace: string; name: string; uid?: string }): number {
    let removed = 0;
    for (const [key, vm] of this.vmsByKey) {
      if (vm.namespace !== instance.namespace || vm.name !== instance.name)
        continue;
      if (instance.uid && vm.uid !== instance.uid) continue;
      this.vmsByKey.delete(key);
      removed++;
    }
    return removed;
  }

  list(): SimVm[] {
    return [...this.vmsByKey.values()].map(vm => ({ ...vm }));
  }

  clear(): void {
    this.vmsByKey.clear();
  }
}

function vmKey(instance: InstanceRef): string {
  return `${instance.namespace}/${instance.name}/${instance.uid}`;
}
