import { LeaseFence } from '../store/fencing';

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
  /**
   * The cached view: true while this replica led at its last renewal and its own monotonic clock
   * says that renewal is still recent enough (lease duration minus a safety margin).
   */
  isLeader(): boolean;
  /**
   * Asks the lease's authority (the database, the API server) whether this replica still holds a
   * valid lease, right before a side effect outside the store (an AAP launch or cancel). Steps down
   * (in the background) when it does not.
   */
  confirmLeadership(): Promise<boolean>;
  /** Database mode: the lease this replica holds, for the store's fenced writes; undefined if none. */
  fence?(): LeaseFence | undefined;
}

/** Thrown where the controller finds it no longer leads: the reconcile stops, nothing is retried. */
export class LeadershipLostError extends Error {
  constructor(message = 'This replica no longer holds the controller lease') {
    super(message);
    this.name = 'LeadershipLostError';
  }
}

export function isLeadershipLostError(e: unknown): e is LeadershipLostError {
  return e instanceof Error && e.name === 'LeadershipLostError';
}

/** Monotonic milliseconds: never jumps with NTP or a manual clock change. */
export const monotonicNow = (): number => performance.now();

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

  async confirmLeadership(): Promise<boolean> {
    return this.leading;
  }
}
