/**
 * Only one controller may act at a time when several backend replicas share a store.
 * Implementations: a lease row in the database (database mode), a coordination.k8s.io Lease
 * (cluster mode).
 */
export interface LeaderElector {
  /** Campaigns continuously; calls onStartedLeading/onStoppedLeading on every change of leadership. */
  start(callbacks: {
    onStartedLeading(): Promise<void>;
    onStoppedLeading(): Promise<void>;
  }): void;
  /** Stops campaigning and releases the lease if held, so another replica can take over at once. */
  stop(): Promise<void>;
  isLeader(): boolean;
}

/** For a single replica (and tests): always the leader. */
export class SoleLeader implements LeaderElector {
  private leading = false;
  private callbacks?: {
    onStartedLeading(): Promise<void>;
    onStoppedLeading(): Promise<void>;
  };

  start(callbacks: {
    onStartedLeading(): Promise<void>;
    onStoppedLeading(): Promise<void>;
  }): void {
    this.callbacks = callbacks;
    this.leading = true;
    void callbacks.onStartedLeading();
  }

  async stop(): Promise<void> {
    if (this.leading) {
      this.leading = false;
      await this.callbacks?.onStoppedLeading();
    }
  }

  isLeader(): boolean {
    return this.leading;
  }
}
