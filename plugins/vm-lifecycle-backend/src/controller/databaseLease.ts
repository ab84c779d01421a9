import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { dbNowMsSql, LEASES_TABLE, LeaseFence } from '../store/fencing';
import { LeaderElector, monotonicNow } from './leaderElection';

export interface DatabaseLeaderElectorOptions {
  knex: Knex;
  logger: LoggerService;
  /** Lease name: one lease per controller. */
  name?: string;
  /** Unique per replica; default hostname + random suffix. */
  identity?: string;
  /** A holder that stops renewing loses the lease after this long (by the database's clock). Default 15 s. */
  leaseDurationMs?: number;
  /** How often the holder renews and the others try to acquire. Default 5 s. */
  renewIntervalMs?: number;
  /**
   * The holder stops acting on its own this long before its lease can expire, counted on its
   * monotonic clock from the start of its last successful renewal. Default a fifth of the lease
   * duration (3 s).
   */
  safetyMarginMs?: number;
  /** Monotonic milliseconds, for tests that freeze or move this replica's sense of time. */
  monotonicNow?: () => number;
}

interface Term {
  epoch: number;
  /** Monotonic time at which the request of the last successful renewal (or acquisition) was sent. */
  renewedAt: number;
}

/**
 * Leader election through a lease row in the shared database. The scheduler's global task lock is
 * made for periodic tasks and cannot be renewed; a controller is a long-running loop, so it holds a
 * lease that it renews.
 *
 * One clock judges the lease: the database's (`dbNowMsSql`). Every acquisition, renewal and expiry
 * check happens in a statement that reads the database's time, so the replicas' own clocks may be
 * as far apart as they like. Each acquisition increments `epoch`, the fencing token that the
 * store checks on every controller write (see store/fencing.ts).
 *
 * The holder also stops on its own: once its monotonic time since the last successful renewal
 * exceeds leaseDuration - safetyMargin it no longer leads (isLeader, fence), even before it learns
 * from the database that it lost, so a process that was paused does not act on its wake-up. A
 * contender takes over at the earliest leaseDuration after the holder's last renewal, by the
 * database's clock.
 */
export class DatabaseLeaderElector implements LeaderElector {
  readonly identity: string;
  private readonly name: string;
  private readonly leaseDurationMs: number;
  private readonly renewIntervalMs: number;
  private readonly validForMs: number;
  private readonly mono: () => number;
  private readonly nowSql: string;
  private timer?: NodeJS.Timeout;
  private deadline?: NodeJS.Timeout;
  private running = false;
  private term?: Term;
  /** The epoch the callbacks were last told about (undefined: not leading). */
  private leadingEpoch?: number;
  private round?: Promise<void>;
  private transitions: Promise<void> = Promise.resolve();
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
    const margin =
      options.safetyMarginMs ?? Math.round(this.leaseDurationMs / 5);
    this.validForMs = this.leaseDurationMs - margin;
    if (this.validForMs <= this.renewIntervalMs) {
      throw new Error(
        'Database leader lease: leaseDuration minus the safety margin must exceed the renew interval',
      );
    }
    this.mono = options.monotonicNow ?? monotonicNow;
    this.nowSql = dbNowMsSql(options.knex);
  }

  start(callbacks: {
    onStartedLeading(): Promise<void>;
    onStoppedLeading(): Promise<void>;
  }): void {
    this.callbacks = callbacks;
    this.running = true;
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
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
    const held = this.term;
    this.term = undefined;
    await this.sync();
    if (this.deadline) clearTimeout(this.deadline);
    if (held) {
      // Release so another replica can take over at once instead of waiting for expiry.
      await this.options
        .knex(LEASES_TABLE)
        .where({ name: this.name, holder: this.identity, epoch: held.epoch })
        .update({ expires_at: 0 })
        .catch(e =>
          this.options.logger.warn(
            `Leader lease ${this.name}: could not release it (the others take over once it expires): ${errorText(e)}`,
          ),
        );
    }
  }

  isLeader(): boolean {
    return this.leadingEpoch !== undefined && this.validTerm() !== undefined;
  }

  fence(): LeaseFence | undefined {
    const term = this.validTerm();
    if (!term || this.leadingEpoch !== term.epoch) return undefined;
    return { name: this.name, holder: this.identity, epoch: term.epoch };
  }

  async confirmLeadership(): Promise<boolean> {
    const fence = this.fence();
    if (!fence) return false;
    const row = await this.options
      .knex(LEASES_TABLE)
      .where({ name: fence.name, holder: fence.holder, epoch: fence.epoch })
      .andWhere('expires_at', '>', this.options.knex.raw(this.nowSql))
      .first('name');
    if (row) return true;
    this.options.logger.warn(
      `Leader lease ${this.name}: ${this.identity} found on checking that it no longer holds epoch ${fence.epoch}`,
    );
    if (this.term?.epoch === fence.epoch) this.term = undefined;
    // Not awaited: the caller is a reconcile, and stepping down waits for the reconciles to end.
    void this.sync();
    return false;
  }

  /** The term this replica may act in, by its own monotonic clock. */
  private validTerm(): Term | undefined {
    const term = this.term;
    if (!term || this.mono() - term.renewedAt >= this.validForMs)
      return undefined;
    return term;
  }

  private async campaign(): Promise<void> {
    const sentAt = this.mono();
    try {
      const epoch = await this.tryAcquireOrRenew();
      if (!this.running) return;
      if (epoch === undefined) this.term = undefined;
      else this.term = { epoch, renewedAt: sentAt };
    } catch (e) {
      this.options.logger.warn(
        `Leader lease ${this.name}: could not reach the database: ${errorText(e)}`,
      );
      // The term stays until its local validity runs out (the deadline timer steps down then).
    }
    this.armDeadline();
    await this.sync();
  }

  /** Steps down when the local validity of the term runs out, even if no renewal answers. */
  private armDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = undefined;
    const term = this.validTerm();
    if (!term) return;
    const inMs = term.renewedAt + this.validForMs - this.mono();
    // Re-armed when it fires: a timer may fire a little early by the monotonic clock.
    this.deadline = setTimeout(
      () => {
        this.armDeadline();
        void this.sync();
      },
      Math.max(0, inMs) + 1,
    );
    this.deadline.unref?.();
  }

  /** Brings the callbacks in line with the term, one transition at a time. */
  private sync(): Promise<void> {
    this.transitions = this.transitions.then(async () => {
      const term = this.running ? this.validTerm() : undefined;
      const want = term?.epoch;
      if (this.leadingEpoch !== undefined && this.leadingEpoch !== want) {
        const lost = this.leadingEpoch;
        this.leadingEpoch = undefined;
        this.options.logger.info(
          `Leader lease ${this.name}: ${this.identity} lost leadership (epoch ${lost})`,
        );
        await this.callback('onStoppedLeading');
      }
      if (want !== undefined && this.leadingEpoch === undefined) {
        this.leadingEpoch = want;
        this.options.logger.info(
          `Leader lease ${this.name}: ${this.identity} acquired leadership (epoch ${want})`,
        );
        await this.callback('onStartedLeading');
      }
    });
    return this.transitions;
  }

  private async callback(
    which: 'onStartedLeading' | 'onStoppedLeading',
  ): Promise<void> {
    try {
      await this.callbacks?.[which]();
    } catch (e) {
      this.options.logger.error(
        `Leader lease ${this.name}: ${which} failed: ${errorText(e)}`,
      );
    }
  }

  /** The epoch this replica holds after the attempt, or undefined when another replica holds the lease. */
  private async tryAcquireOrRenew(): Promise<number | undefined> {
    const { knex } = this.options;
    const now = knex.raw(this.nowSql);
    const expires = knex.raw(`${this.nowSql} + ?`, [this.leaseDurationMs]);
    const held = this.term;
    if (held) {
      // Renewal keeps the epoch, and only while the lease has not expired: after an expiry the
      // replica acquires anew (a new epoch), since writes under the old one were refused meanwhile.
      const renewed = await knex(LEASES_TABLE)
        .where({ name: this.name, holder: this.identity, epoch: held.epoch })
        .andWhere('expires_at', '>', now)
        .update({ renewed_at: now, expires_at: expires });
      if (renewed === 1) return held.epoch;
    }
    // A compare-and-swap on the expiry: of two replicas taking over an expired lease, one wins.
    const taken = await knex(LEASES_TABLE)
      .where({ name: this.name })
      .andWhere('expires_at', '<=', now)
      .update(
        {
          holder: this.identity,
          epoch: knex.raw('epoch + 1'),
          acquired_at: now,
          renewed_at: now,
          expires_at: expires,
        },
        ['holder', 'epoch'],
      );
    if (taken.length === 1 && taken[0].holder === this.identity)
      return Number(taken[0].epoch);
    const exists = await knex(LEASES_TABLE)
      .where({ name: this.name })
      .first('name');
    if (exists) return undefined;
    try {
      await knex(LEASES_TABLE).insert({
        name: this.name,
        holder: this.identity,
        epoch: 1,
        acquired_at: now,
        renewed_at: now,
        expires_at: expires,
      });
      return 1;
    } catch (e) {
      if (isUniqueViolation(e)) return undefined; // another replica inserted it first
      throw e;
    }
  }
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
