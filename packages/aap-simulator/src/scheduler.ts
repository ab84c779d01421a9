/**
 * Every timer the simulator starts goes through here, so `close()` and `reset()` can stop them all
 * and jest exits cleanly. Timers are unref'd: a simulator embedded in a backend must never be the
 * reason the process stays alive.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Runs `fn` after `delayMs`; returns a function that cancels it. */
  schedule(delayMs: number, fn: () => void): () => void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.max(0, delayMs),
    );
    timer.unref();
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  delay(delayMs: number): Promise<void> {
    return new Promise(resolve => this.schedule(delayMs, resolve));
  }

  get pending(): number {
    return this.timers.size;
  }

  clearAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
