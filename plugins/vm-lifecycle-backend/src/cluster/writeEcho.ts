/**
 * Lets a write wait for its own watch event. The store port promises that a write's event reaches
 * the listeners subscribed when the write was made, and only those; with an informer the event comes
 * back asynchronously, so a write returns only once the informer has delivered the version it
 * created (or after a timeout, so a stalled watch slows writes down but never blocks them).
 */
export class WriteEcho {
  private readonly seen = new Map<string, true>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly timeoutMs = 5000,
    private readonly remember = 10_000,
  ) {}

  /** Called by the informer after it delivered the event of `resourceVersion` of `key`. */
  observed(key: string, resourceVersion: string): void {
    const id = `${key}@${resourceVersion}`;
    this.seen.set(id, true);
    if (this.seen.size > this.remember) {
      // Maps iterate in insertion order: the first key is the oldest.
      this.seen.delete(this.seen.keys().next().value!);
    }
    const waiting = this.waiters.get(id);
    if (!waiting) return;
    this.waiters.delete(id);
    waiting.forEach(resolve => resolve());
  }

  /**
   * Releases every waiting write: after a re-list the informer reports objects at their current
   * version, and an intermediate version it skipped will never be echoed.
   */
  releaseAll(): void {
    const all = [...this.waiters.values()];
    this.waiters.clear();
    all.forEach(set => set.forEach(resolve => resolve()));
  }

  async wait(key: string, resourceVersion: string): Promise<void> {
    const id = `${key}@${resourceVersion}`;
    if (this.seen.has(id)) return;
    await new Promise<void>(resolve => {
      let set = this.waiters.get(id);
      if (!set) {
        set = new Set();
        this.waiters.set(id, set);
      }
      const entry = { timer: undefined as NodeJS.Timeout | undefined };
      const done = () => {
        clearTimeout(entry.timer);
        set!.delete(done);
        resolve();
      };
      entry.timer = setTimeout(done, this.timeoutMs);
      entry.timer.unref?.();
      set.add(done);
    });
  }
}
