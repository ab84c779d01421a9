import { LoggerService } from '@backstage/backend-plugin-api';
import { ApiGroupNames } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { ResourceInformer } from '../resourceInformer';
import { KubeVirtObject, KubeVirtObservation } from './kubevirtStatus';

export interface KubeVirtObserverOptions {
  kubeConfig: KubeConfig;
  names: ApiGroupNames;
  /** Namespaces to watch; default all. VMs are looked up in the instance's own namespace. */
  namespaces?: string[];
  logger?: LoggerService;
}

type Kind = 'virtualmachines' | 'virtualmachineinstances';

/**
 * Watches KubeVirt VirtualMachines and VirtualMachineInstances that carry the instance label
 * `<group>/computeinstance=<name>` (the label OSAC's playbooks put on the VMs they create) and tells
 * which ones belong to a ComputeInstance. Read only.
 */
export class KubeVirtObserver {
  private readonly objects: Record<Kind, Map<string, KubeVirtObject>> = {
    virtualmachines: new Map(),
    virtualmachineinstances: new Map(),
  };
  private readonly informers: ResourceInformer<KubeVirtObject>[] = [];
  private readonly listeners = new Set<
    (namespace: string, instanceName: string) => void
  >();
  private readonly api: CustomObjectsApi;

  constructor(private readonly o: KubeVirtObserverOptions) {
    this.api = o.kubeConfig.makeApiClient(CustomObjectsApi);
    for (const kind of [
      'virtualmachines',
      'virtualmachineinstances',
    ] as const) {
      for (const namespace of o.namespaces?.length
        ? o.namespaces
        : [undefined]) {
        this.informers.push(this.informerFor(kind, namespace));
      }
    }
  }

  async start(): Promise<void> {
    try {
      await Promise.all(this.informers.map(i => i.start()));
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map(i => i.stop()));
  }

  /** Called with the instance whose VM or VMI changed. */
  onChange(
    listener: (namespace: string, instanceName: string) => void,
  ): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The VM of an instance and its VMI. When several VMs carry the label (an orphan of an earlier
   * instance of the same name), the one labelled with this instance's uid wins, else the newest.
   */
  observe(
    namespace: string,
    instanceName: string,
    uid?: string,
  ): KubeVirtObservation {
    const { instanceLabel } = this.o.names;
    const uidLabel = `${instanceLabel}-uid`;
    const candidates = (kind: Kind) =>
      [...this.objects[kind].values()]
        .filter(
          o =>
            o.metadata?.namespace === namespace &&
            o.metadata?.labels?.[instanceLabel] === instanceName,
        )
        .sort((a, b) => {
          const own = (o: KubeVirtObject) =>
            uid && o.metadata?.labels?.[uidLabel] === uid ? 1 : 0;
          return (
            own(b) - own(a) ||
            String(b.metadata?.creationTimestamp).localeCompare(
              String(a.metadata?.creationTimestamp),
            )
          );
        });
    const vm = candidates('virtualmachines')[0];
    // A VMI is named after its VM; a VMI without a VM (created directly) still counts.
    const vmi = vm
      ? (this.objects.virtualmachineinstances.get(
          `${namespace}/${vm.metadata?.name}`,
        ) ?? undefined)
      : candidates('virtualmachineinstances')[0];
    return { vm, vmi };
  }

  /** Every instance some VM or VMI is labelled with. */
  instancesWithVms(): Array<{ namespace: string; name: string }> {
    const { instanceLabel } = this.o.names;
    const seen = new Map<string, { namespace: string; name: string }>();
    for (const kind of [
      'virtualmachines',
      'virtualmachineinstances',
    ] as const) {
      for (const o of this.objects[kind].values()) {
        const name = o.metadata?.labels?.[instanceLabel];
        const namespace = o.metadata?.namespace;
        if (name && namespace)
          seen.set(`${namespace}/${name}`, { namespace, name });
      }
    }
    return [...seen.values()];
  }

  private informerFor(
    kind: Kind,
    namespace: string | undefined,
  ): ResourceInformer<KubeVirtObject> {
    const { instanceLabel } = this.o.names;
    const base = '/apis/kubevirt.io/v1';
    const path = namespace
      ? `${base}/namespaces/${encodeURIComponent(namespace)}/${kind}`
      : `${base}/${kind}`;
    const store = this.objects[kind];
    const key = (o: KubeVirtObject) =>
      `${o.metadata?.namespace}/${o.metadata?.name}`;
    const changed = (o: KubeVirtObject) => {
      const name = o.metadata?.labels?.[instanceLabel];
      if (!name || !o.metadata?.namespace) return;
      for (const listener of [...this.listeners])
        listener(o.metadata.namespace, name);
    };
    const resource = {
      group: 'kubevirt.io',
      version: 'v1',
      plural: kind,
      labelSelector: instanceLabel,
    };
    return new ResourceInformer<KubeVirtObject>({
      kubeConfig: this.o.kubeConfig,
      path,
      labelSelector: instanceLabel,
      list: () =>
        namespace
          ? this.api.listNamespacedCustomObject({ ...resource, namespace })
          : this.api.listClusterCustomObject(resource),
      description: `${kind}.kubevirt.io ${namespace ? `in ${namespace}` : 'in all namespaces'}`,
      logger: this.o.logger,
      onAdd: o => {
        store.set(key(o), o);
        changed(o);
      },
      onUpdate: o => {
        store.set(key(o), o);
        changed(o);
      },
      onDelete: o => {
        store.delete(key(o));
        changed(o);
      },
    });
  }
}
