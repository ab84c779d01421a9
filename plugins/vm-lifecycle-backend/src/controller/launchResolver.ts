import {
  ComputeInstance,
  launchIdOf,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { LaunchLookup, ProvisioningProvider } from '../providers/types';

export type LookupOutcome = { lookup: LaunchLookup } | { error: unknown };

interface Entry {
  key: string;
  /** When the look-up whose outcome is kept (or running) started. */
  startedAt: number;
  outcome?: LookupOutcome;
  running?: Promise<void>;
  /** A reconcile stopped waiting for it: wake the instance when it ends. */
  waited?: boolean;
}

export interface LaunchResolverOptions {
  provider: ProvisioningProvider;
  /** Wakes the instance when a look-up that outlasted `waitMs` ends. */
  onDone?: (instanceKey: string) => void;
  /**
   * How long a reconcile waits for a look-up before it lets its worker go and is woken later.
   * Short: a look-up reads pages of AAP's job list, and reconcile workers stuck on it would stall
   * every other instance's status. Default 50 ms.
   */
  waitMs?: number;
  now?: () => number;
}

/**
 * Runs the look-ups of launch intents (find the job by its launch id) beside the reconcile
 * workers, as the job tracker runs the status polls: a reconcile asks for a look-up newer than the
 * last one it used, gets it at once when it is quick, and is otherwise woken when it ends.
 */
export class LaunchResolver {
  private readonly entries = new Map<string, Entry>();
  private readonly waitMs: number;
  private readonly now: () => number;

  constructor(private readonly o: LaunchResolverOptions) {
    this.waitMs = o.waitMs ?? 50;
    this.now = o.now ?? Date.now;
  }

  /**
   * The outcome of a look-up for this intent that the caller has not used yet, or undefined when
   * none has ended: one is started (at most one at a time per launch) and the key is woken when it
   * ends. Every outcome is handed out once, so each decision rests on a look-up that started after
   * the previous decision.
   */
  async lookup(
    key: string,
    instance: ComputeInstance,
    intent: ProvisioningJob,
  ): Promise<LookupOutcome | undefined> {
    const launchID = launchIdOf(intent)!;
    let entry = this.entries.get(launchID);
    if (!entry?.running && !entry?.outcome) {
      entry = { key, startedAt: this.now() };
      this.entries.set(launchID, entry);
      this.start(launchID, entry, instance, intent);
    }
    const current = entry!;
    if (current.running) {
      const quick = await Promise.race([
        current.running.then(() => true),
        new Promise<boolean>(resolve => {
          const timer = setTimeout(() => resolve(false), this.waitMs);
          timer.unref?.();
        }),
      ]);
      if (!quick) {
        current.waited = true;
        return undefined;
      }
    }
    const outcome = current.outcome;
    // Handed out once: the next call starts a new look-up.
    if (this.entries.get(launchID) === current) this.entries.delete(launchID);
    return outcome;
  }

  private start(
    launchID: string,
    entry: Entry,
    instance: ComputeInstance,
    intent: ProvisioningJob,
  ): void {
    entry.running = this.o.provider
      .findLaunch(instance, intent.type, {
        launchID,
        intendedAt: intent.timestamp,
      })
      .then(
        lookup => {
          entry.outcome = { lookup };
        },
        error => {
          entry.outcome = { error };
        },
      )
      .finally(() => {
        entry.running = undefined;
        if (entry.waited && this.entries.get(launchID) === entry)
          this.o.onDone?.(entry.key);
      });
  }

  /** The intent is resolved (or its instance gone): nothing more to look up. */
  forget(launchID: string): void {
    this.entries.delete(launchID);
  }

  forgetKey(key: string): void {
    for (const [launchID, entry] of this.entries) {
      if (entry.key === key) this.entries.delete(launchID);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
