/**
 * A keyed work queue with client-go workqueue semantics:
 * - a key is queued at most once, however often it is added;
 * - a key is never processed by two workers at once: an add while it is processing marks it
 *   dirty and it runs again right after;
 * - `addAfter` keeps the earliest pending deadline per key (requeue-after for polling);
 * - a failed run is retried with per-key exponential backoff, reset by a success.
 */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface WorkQueueOptions {
  workers: number;
  handler: (key: string) => Promise<ReconcileResult | void>;
  errorBackoff?: { baseMs: number; maxMs: number };
  onError?: (key: string, error: unknown, retryInMs: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys whose job changed state: served before new work, so status stays fresh under a burst. */
  private readonly priority: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<
    string,
    { at: number; timer: NodeJS.Timeout }
  >();
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private running = false;
  private active = 0;

  constructor(private readonly options: WorkQueueOptions) {}

  start(): void {
    this.running = true;
    this.pump();
  }

  /** Stops taking work and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    this.running = false;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    if (this.active > 0) {
      await new Promise<void>(resolve => this.idleWaiters.push(resolve));
    }
  }

  add(key: string): void {
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Like add, but ahead of the ordinary queue. */
  addPriority(key: string): void {
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) {
      const i = this.queue.indexOf(key);
      if (i < 0) return; // already in the priority lane
      this.queue.splice(i, 1);
    }
    this.queued.add(key);
    this.priority.push(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    if (!this.running) return;
    const at = Date.now() + delayMs;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.delayed.set(key, { at, timer });
  }

  get length(): number {
    return this.queue.length + this.priority.length;
  }

  get inFlight(): number {
    return this.active;
  }

  private pump(): void {
    while (
      this.running &&
      this.active < this.options.workers &&
      (this.priority.length > 0 || this.queue.length > 0)
    ) {
      const key = (
        this.priority.length > 0 ? this.priority : this.queue
      ).shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    let requeueAfterMs: number | undefined;
    try {
      const result = await this.options.handler(key);
      this.failures.delete(key);
      requeueAfterMs = result?.requeueAfterMs;
    } catch (error) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const { baseMs, maxMs } = this.options.errorBackoff ?? {
        baseMs: 500,
        maxMs: 60_000,
      };
      requeueAfterMs = Math.min(maxMs, baseMs * 2 ** Math.min(n - 1, 20));
      this.options.onError?.(key, error, requeueAfterMs);
    } finally {
      this.processing.delete(key);
      this.active--;
    }
    if (this.dirty.delete(key)) {
      this.add(key);
    } else if (requeueAfterMs !== undefined) {
      this.addAfter(key, requeueAfterMs);
    }
    if (this.active === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
    this.pump();
  }
}
