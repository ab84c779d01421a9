import { KubeVirtObserver } from './KubeVirtObserver';
import { KubeVirtStatusStore } from './KubeVirtStatusStore';

/**
 * While leading: every change of a VM or VMI updates its instance's status, coalesced per instance
 * (a VM and its VMI usually change together). On start, every instance that has a VM is synced once,
 * since the VMs may have changed while no replica was leading.
 */
export class KubeVirtStatusSync {
  private off?: () => void;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly observer: KubeVirtObserver,
    private readonly store: KubeVirtStatusStore,
    private readonly coalesceMs = 50,
  ) {}

  start(): void {
    if (this.off) return;
    this.off = this.observer.onChange((namespace, name) =>
      this.schedule(namespace, name),
    );
    for (const { namespace, name } of this.observer.instancesWithVms())
      this.schedule(namespace, name);
  }

  async stop(): Promise<void> {
    this.off?.();
    this.off = undefined;
    this.pending.forEach(clearTimeout);
    this.pending.clear();
    await Promise.all([...this.running]);
  }

  private schedule(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    if (this.pending.has(key)) return;
    const timer = setTimeout(() => {
      this.pending.delete(key);
      const run = this.store
        .sync(namespace, name)
        .finally(() => this.running.delete(run));
      this.running.add(run);
    }, this.coalesceMs);
    timer.unref?.();
    this.pending.set(key, timer);
  }
}
