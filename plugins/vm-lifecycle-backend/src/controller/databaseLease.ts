import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { LeaderElector } from './leaderElection';

export interface DatabaseLeaderElectorOptions {
  knex: Knex;
  logger: LoggerService;
  /** Lease name: one lease per controller. */
  name?: string;
  /** Unique per replica; default hostname + random suffix. */
  identity?: string;
  /** A holder that stops renewing loses the lease after this long. Default 15 s. */
  leaseDurationMs?: number;
  /** How often the holder renews and the others try to acquire. Default 5 s. */
  renewIntervalMs?: number;
  now?: () => number;
}

const TABLE = 'vm_lifecycle_leases';

/**
 * Leader election through a lease row in the shared database. The scheduler's global task lock is
 * made for periodic tasks and cannot be renewed; a controller is a long-running loop, so it holds a
 * lease that it renews, and a replica that stops renewing is replaced within
 * leaseDuration + renewInterval (20 s by default).
 */
export class DatabaseLeaderElector implements LeaderElector {
  readonly identity: string;
  private readonly name: string;
  private readonly leaseDurationMs: number;
  private readonly renewIntervalMs: number;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private leading = false;
  private lastRenewedAt = 0;
  private round?: Promise<void>;
  private callbacks?: {
    onStartedLeading(): Promise<void>;
    onStoppedLeading(): Promise<void>;
  };

  constructor(private readonly options: DatabaseLeaderElectorOptions) {
    this.identity =
      options.identity ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
    this.name = options.name ?? 'vm-lifecycle-controller';
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewIntervalMs = options.renewIntervalMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  start(callbacks: {
    onStartedLeading(): Promise<void>;
    onStoppedLeading(): Promise<void>;
  }): void {
    this.callbacks = callbacks;
    const run = () => {
      if (!this.round) {
        this.round = this.campaign().finally(() => {
          this.round = undefined;
        });
      }
    };
    run();
    this.timer = setInterval(run, this.renewIntervalMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
    if (this.leading) {
      await this.setLeading(false);
      // Release so another replica can take over at once instead of waiting for expiry.
      await this.options
        .knex(TABLE)
        .where({ name: this.name, holder: this.identity })
        .update({ expires_at: 0 })
        .catch(() => undefined);
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  private async campaign(): Promise<void> {
    let held = false;
    try {
      held = await this.tryAcquireOrRenew();
    } catch (e) {
      this.options.logger.warn(
        `Leader lease ${this.name}: could not reach the database: ${e instanceof Error ? e.message : e}`,
      );
      // Keep leading only while the lease we last renewed is still valid.
      held =
        this.leading && this.now() - this.lastRenewedAt < this.leaseDurationMs;
    }
    if (held !== this.leading) await this.setLeading(held);
  }

  private async setLeading(leading: boolean): Promise<void> {
    this.leading = leading;
    this.options.logger.info(
      `Leader lease ${this.name}: ${this.identity} ${leading ? 'acquired' : 'lost'} leadership`,
    );
    if (leading) await this.callbacks?.onStartedLeading();
    else await this.callbacks?.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { knex } = this.options;
    const now = this.now();
    const fields = {
      holder: this.identity,
      renewed_at: now,
      expires_at: now + this.leaseDurationMs,
    };
    const renewed = await knex(TABLE)
      .where({ name: this.name, holder: this.identity })
      .update(fields);
    if (renewed === 1) {
      this.lastRenewedAt = now;
      return true;
    }
    // A compare-and-swap on the expiry: of two replicas taking over an expired lease, one wins.
    const taken = await knex(TABLE)
      .where({ name: this.name })
      .andWhere('expires_at', '<', now)
      .update({ ...fields, acquired_at: now });
    if (taken === 1) {
      this.lastRenewedAt = now;
      return true;
    }
    const exists = await knex(TABLE).where({ name: this.name }).first();
    if (exists) return false;
    try {
      await knex(TABLE).insert({
        name: this.name,
        ...fields,
        acquired_at: now,
      });
      this.lastRenewedAt = now;
      return true;
    } catch {
      return false; // another replica inserted it first
    }
  }
}
