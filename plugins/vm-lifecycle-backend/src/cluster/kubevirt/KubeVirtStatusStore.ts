import { LoggerService } from '@backstage/backend-plugin-api';
import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { isStaleResourceVersionError } from '../../store/errors';
import {
  ComputeInstanceStore,
  ListOptions,
  ListPageRequest,
  NewComputeInstance,
  WatchListener,
} from '../../store/types';
import { KubeVirtObserver } from './KubeVirtObserver';
import { applyKubeVirtStatus } from './kubevirtStatus';

/**
 * The store as the controller sees it when the cluster runs KubeVirt: every status write carries
 * the phase and IP of the instance's VirtualMachine/VirtualMachineInstance (see applyKubeVirtStatus),
 * and `sync` writes them when only the VM changed. The controller stays unaware of KubeVirt; a
 * status that already matches is a no-op write, so the two never fight over the phase.
 */
export class KubeVirtStatusStore implements ComputeInstanceStore {
  /** The last stored state seen per instance, to keep a condition's transition time. */
  private readonly lastSeen = new Map<string, ComputeInstance>();
  private readonly unwatch: () => void;

  constructor(
    private readonly inner: ComputeInstanceStore,
    private readonly observer: KubeVirtObserver,
    private readonly options: {
      logger?: LoggerService;
      now?: () => number;
    } = {},
  ) {
    this.unwatch = inner.watch(event => {
      const key = keyOf(event.object);
      if (event.type === 'DELETED') this.lastSeen.delete(key);
      else this.lastSeen.set(key, event.object);
    });
  }

  close(): void {
    this.unwatch();
  }

  get(namespace: string, name: string) {
    return this.inner.get(namespace, name);
  }

  list(options?: ListOptions) {
    return this.inner.list(options);
  }

  listPage(request: ListPageRequest) {
    return this.inner.listPage(request);
  }

  create(instance: NewComputeInstance) {
    return this.inner.create(instance);
  }

  update(instance: ComputeInstance) {
    return this.inner.update(instance);
  }

  delete(namespace: string, name: string) {
    return this.inner.delete(namespace, name);
  }

  watch(listener: WatchListener) {
    return this.inner.watch(listener);
  }

  async updateStatus(instance: ComputeInstance): Promise<ComputeInstance> {
    const { namespace, name, uid, resourceVersion, deletionTimestamp } =
      instance.metadata;
    let stored = this.lastSeen.get(keyOf(instance));
    if (stored?.metadata.resourceVersion !== resourceVersion) {
      stored = await this.inner.get(namespace, name);
    }
    const status = applyKubeVirtStatus(
      instance.status ?? {},
      stored?.metadata.resourceVersion === resourceVersion
        ? stored.status
        : undefined,
      this.observer.observe(namespace, name, uid),
      Boolean(deletionTimestamp),
      new Date(this.options.now?.() ?? Date.now()).toISOString(),
    );
    return this.inner.updateStatus({ ...instance, status });
  }

  /**
   * Brings one instance's status in line with its VM after a KubeVirt change. A conflict means the
   * controller wrote meanwhile, through this same store, so KubeVirt's state is already in.
   */
  async sync(namespace: string, name: string): Promise<void> {
    const current = await this.inner.get(namespace, name);
    if (!current || current.metadata.deletionTimestamp) return;
    try {
      await this.updateStatus(current);
    } catch (e) {
      if (isStaleResourceVersionError(e)) return;
      this.options.logger?.warn(
        `Could not apply KubeVirt status to ComputeInstance ${namespace}/${name}: ${e instanceof Error ? e.message : e}`,
      );
    }
  }
}

function keyOf(instance: Pick<ComputeInstance, 'metadata'>): string {
  return `${instance.metadata.namespace}/${instance.metadata.name}`;
}
