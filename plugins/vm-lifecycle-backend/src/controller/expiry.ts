import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ApiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { LifecycleEventStore } from '../events/types';
import {
  LifecycleNotifier,
  noopLifecycleNotifier,
} from '../notifications/LifecycleNotifier';
import { isStaleResourceVersionError } from '../store/errors';
import { ComputeInstanceStore } from '../store/types';

export interface ExpiryKeeperOptions {
  store: ComputeInstanceStore;
  events: LifecycleEventStore;
  names: ApiGroupNames;
  /** How long before the expiry each reminder goes out (e.g. 3 days and 1 day, in ms). */
  remindersBeforeMs?: number[];
  notifier?: LifecycleNotifier;
  logger?: LoggerService;
  now?: () => Date;
  /** Called after the keeper started a deletion, so the controller reconciles it at once. */
  onDelete?: (instance: ComputeInstance) => void;
}

export type ExpiryAction = 'expired' | 'reminded' | undefined;

/**
 * Expiry of VMs whose template has a lifetime: reminders before it, and at it a deletion through the
 * ordinary path (the store's delete, exactly as a user's delete: the controller then cancels a
 * running provision job and runs one deprovision job).
 *
 * Everything it knows is on the resource (the expires-at, expiry-reminders-sent and expired-at
 * annotations), written with the store's compare-and-swap before anyone is told, so a restart or a
 * new leader neither repeats a reminder nor expires a VM twice. A write that loses to a concurrent
 * one is simply left for the next sweep.
 */
export class ExpiryKeeper {
  private readonly reminders: number[];
  private readonly notifier: LifecycleNotifier;

  constructor(private readonly o: ExpiryKeeperOptions) {
    // Largest first: the earliest reminder is the one that comes due first.
    this.reminders = [...new Set(o.remindersBeforeMs ?? [])].sort(
      (a, b) => b - a,
    );
    this.notifier = o.notifier ?? noopLifecycleNotifier;
  }

  /** One pass over every VM. */
  async sweep(): Promise<void> {
    for (const instance of await this.o.store.list()) {
      try {
        await this.check(instance);
      } catch (error) {
        const { namespace, name } = instance.metadata;
        this.o.logger?.warn(
          `Expiry check of ComputeInstance ${namespace}/${name} failed, retrying at the next sweep: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  async check(instance: ComputeInstance): Promise<ExpiryAction> {
    const { names } = this.o;
    const annotations = instance.metadata.annotations ?? {};
    const expiresAt = annotations[names.expiresAtAnnotation];
    if (!expiresAt || instance.metadata.deletionTimestamp) return undefined;
    const at = Date.parse(expiresAt);
    if (Number.isNaN(at)) return undefined;
    const now = this.now();
    if (annotations[names.expiredAtAnnotation]) {
      // Expired before, but the deletion did not happen (a crash in between): finish it, untold.
      await this.delete(instance);
      return undefined;
    }
    if (now.getTime() >= at) return this.expire(instance, expiresAt, now);
    return this.remind(instance, expiresAt, at, now);
  }

  private async expire(
    instance: ComputeInstance,
    expiresAt: string,
    now: Date,
  ): Promise<ExpiryAction> {
    const marked = await this.writeAnnotations(instance, {
      [this.o.names.expiredAtAnnotation]: now.toISOString(),
    });
    if (!marked) return undefined;
    await this.o.events.record(marked.metadata, {
      type: 'Warning',
      reason: 'Expired',
      message: `Expired at ${expiresAt} (the end of its lifetime): deleting it as a user's delete would`,
    });
    await this.tell(() => this.notifier.expired(marked, { expiresAt }));
    await this.delete(marked);
    return 'expired';
  }

  private async remind(
    instance: ComputeInstance,
    expiresAt: string,
    at: number,
    now: Date,
  ): Promise<ExpiryAction> {
    const key = this.o.names.expiryRemindersAnnotation;
    const sent = sentReminders(instance.metadata.annotations?.[key], expiresAt);
    const due = this.reminders.filter(
      before => now.getTime() >= at - before && !sent.has(before),
    );
    if (due.length === 0) return undefined;
    // Reminders that came due together (a short lifetime, a controller that was down) are one.
    const all = [...new Set([...sent, ...due])].sort((a, b) => b - a);
    const marked = await this.writeAnnotations(instance, {
      [key]: `${expiresAt} ${all.join(',')}`,
    });
    if (!marked) return undefined;
    const beforeMs = Math.min(...due);
    await this.o.events.record(marked.metadata, {
      type: 'Normal',
      reason: 'ExpiryReminder',
      message: `Expires at ${expiresAt}, in ${describeDuration(at - now.getTime())}; the owner or an admin can extend it`,
    });
    await this.tell(() =>
      this.notifier.expiryReminder(marked, { expiresAt, beforeMs }),
    );
    return 'reminded';
  }

  private async delete(instance: ComputeInstance) {
    const { namespace, name } = instance.metadata;
    const deleting = await this.o.store.delete(namespace, name);
    if (deleting) this.o.onDelete?.(deleting);
  }

  /** The CAS write of annotations; undefined when another write came first (next sweep). */
  private async writeAnnotations(
    instance: ComputeInstance,
    added: Record<string, string>,
  ): Promise<ComputeInstance | undefined> {
    try {
      return await this.o.store.update({
        ...instance,
        metadata: {
          ...instance.metadata,
          annotations: { ...instance.metadata.annotations, ...added },
        },
      });
    } catch (e) {
      if (isStaleResourceVersionError(e)) return undefined;
      throw e;
    }
  }

  /** A notifier that fails must not undo what is recorded: it is logged, not retried. */
  private async tell(send: () => Promise<void>) {
    try {
      await send();
    } catch (error) {
      this.o.logger?.warn(
        `Lifecycle notification failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }
}

/** The reminder offsets recorded for this expiry (a record of an earlier expiry counts for nothing). */
export function sentReminders(
  value: string | undefined,
  expiresAt: string,
): Set<number> {
  if (!value) return new Set();
  const [forExpiry, list] = value.split(' ');
  if (forExpiry !== expiresAt || !list) return new Set();
  return new Set(
    list
      .split(',')
      .map(Number)
      .filter(n => Number.isFinite(n)),
  );
}

function describeDuration(ms: number): string {
  const hours = Math.max(0, Math.round(ms / 3_600_000));
  if (hours >= 48) return `about ${Math.round(hours / 24)} days`;
  return `about ${hours} hour${hours === 1 ? '' : 's'}`;
}

/**
 * Runs `keeper.sweep()` every `intervalMs` while `isLeading()` says this replica leads, so only the
 * controller's leader acts; returns the stop function.
 */
export function startExpirySweeps(options: {
  keeper: ExpiryKeeper;
  intervalMs: number;
  isLeading: () => boolean;
  logger?: LoggerService;
}): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running || !options.isLeading()) return;
    running = true;
    options.keeper
      .sweep()
      .catch(error =>
        options.logger?.warn(
          `Expiry sweep failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
      )
      .finally(() => {
        running = false;
      });
  }, options.intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
