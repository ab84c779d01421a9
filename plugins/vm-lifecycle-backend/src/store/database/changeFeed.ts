import { LoggerService } from '@backstage/backend-plugin-api';
import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import { INSTANCES_TABLE, TOMBSTONES_TABLE } from '../migrations';
import { WatchEvent } from '../types';
import { PgNotifyListener } from './pgNotify';

export interface ChangeFeedOptions {
  knex: Knex;
  /** Delivers a change made through another replica (or another store on the same database). */
  deliver: (event: WatchEvent) => void;
  /** Turns a stored object's JSON into the object served by this store. */
  parse: (json: string) => ComputeInstance;
  logger?: LoggerService;
  /** The fallback read that heals a missed notification runs this often. Default 2 s. */
  pollIntervalMs?: number;
  /**
   * A change older than this (by the database's clock) is settled: no write that took its
   * resourceVersion earlier can still be in flight. Must exceed the longest write statement.
   * Default 10 s.
   */
  settleMs?: number;
  /** Tombstones of removed instances are kept this long. Default 1 h. */
  tombstoneRetentionMs?: number;
  /** Rows read per query. Default 500. */
  batchSize?: number;
  /** Off for tests of the fallback alone. Default true. */
  listen?: boolean;
  /**
   * Whether this store has a write of `uid` in flight. Such a row may be the store's own write,
   * seen before the write's answer: it waits for `settle(uid)` instead of being taken for a
   * change made elsewhere (which no replica would then publish as its own).
   */
  writing?: (uid: string) => boolean;
}

interface FeedRow {
  uid: string;
  resource_version: string | number;
  created_resource_version: string | number | null;
  object: string;
  removed: boolean;
}

interface KeyRow {
  uid: string;
  resource_version: string | number;
  removed: boolean;
  settled: boolean;
}

const PRUNE_EVERY_MS = 60_000;

/**
 * Changes of the instance tables made anywhere, as watch events: a PostgreSQL NOTIFY (sent by the
 * migration's trigger) wakes a read of the rows newer than the highest resourceVersion seen, and a
 * poll every couple of seconds reads the keys of every row changed since the last settled point, so
 * a lost notification or a write that committed out of resourceVersion order (a sequence hands out
 * numbers before commit) is delivered within a poll.
 *
 * Each object is delivered at most once per resourceVersion and never older than what was delivered
 * before (`accept`), whether it came from this replica's own write or from the feed.
 */
export class PgChangeFeed {
  private readonly delivered = new Map<string, bigint>();
  /** Rows of uids with an own write in flight, the newest per uid, until the write settles. */
  private readonly deferred = new Map<string, FeedRow>();
  private highWater = 0n;
  private settled = 0n;
  private readonly listener?: PgNotifyListener;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again: 'none' | 'fast' | 'heal' = 'none';
  private lastPrune = 0;
  private stopped = false;
  private readonly pollIntervalMs: number;
  private readonly settleMs: number;
  private readonly retentionMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly options: ChangeFeedOptions & { schema: string },
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.settleMs = options.settleMs ?? 10_000;
    this.retentionMs = options.tombstoneRetentionMs ?? 3_600_000;
    this.batchSize = options.batchSize ?? 500;
    if (options.listen !== false) {
      this.listener = new PgNotifyListener({
        knex: options.knex,
        schema: options.schema,
        logger: options.logger,
        onNotify: () => this.wake(),
      });
    }
  }

  /** The schema the plugin's tables live in (notifications carry it: schemas share channels). */
  static async currentSchema(knex: Knex): Promise<string> {
    const result = await knex.raw('SELECT current_schema() AS schema');
    return result.rows[0].schema;
  }

  async start(): Promise<void> {
    // Changes from before the start are not events: watchers list what exists when they start.
    const keys = await this.readKeys(-1n);
    for (const key of keys) {
      const rv = BigInt(key.resource_version);
      if (rv > this.highWater) this.highWater = rv;
      if (key.settled) {
        if (rv > this.settled) this.settled = rv;
      } else {
        this.delivered.set(key.uid, rv);
      }
    }
    this.timer = setInterval(() => this.schedule('heal'), this.pollIntervalMs);
    this.timer.unref?.();
    await this.listener?.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.listener?.stop();
    await this.running;
  }

  /** True when `resourceVersion` of `uid` is newer than anything delivered; records it. */
  accept(uid: string, resourceVersion: string): boolean {
    const rv = BigInt(resourceVersion);
    const seen = this.delivered.get(uid);
    if (seen !== undefined && seen >= rv) return false;
    this.delivered.set(uid, rv);
    return true;
  }

  /**
   * An own write of `uid` finished (or failed): a row held back meanwhile is delivered unless the
   * write itself was it (then `accept` already has its resourceVersion).
   */
  settle(uid: string): void {
    const row = this.deferred.get(uid);
    if (!row) return;
    this.deferred.delete(uid);
    this.deliverRow(row);
  }

  /** A notification: read what is new now. */
  wake(): void {
    this.schedule('fast');
  }

  /** For tests: waits for the read in progress and the one queued behind it. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private schedule(kind: 'fast' | 'heal'): void {
    if (this.stopped) return;
    if (this.running) {
      if (this.again !== 'heal') this.again = kind;
      return;
    }
    this.running = this.runFrom(kind).finally(() => {
      this.running = undefined;
    });
  }

  private async runFrom(first: 'fast' | 'heal'): Promise<void> {
    let kind: 'fast' | 'heal' | 'none' = first;
    while (kind !== 'none' && !this.stopped) {
      this.again = 'none';
      try {
        if (kind === 'heal') await this.heal();
        else await this.readNew();
      } catch (error) {
        if (this.stopped) return;
        this.options.logger?.warn(
          `vm-lifecycle change feed: read failed (${error instanceof Error ? error.message : String(error)}); retried at the next poll`,
        );
      }
      kind = this.again;
    }
  }

  /** Rows newer than the highest resourceVersion seen, in order, a batch at a time. */
  private async readNew(): Promise<void> {
    const { knex } = this.options;
    for (;;) {
      const hw = this.highWater.toString();
      const rows: FeedRow[] = (
        await knex.raw(
          `SELECT uid, resource_version, created_resource_version, object, false AS removed
             FROM ?? WHERE resource_version > ?
           UNION ALL
           SELECT uid, resource_version, NULL, object, true AS removed
             FROM ?? WHERE resource_version > ?
           ORDER BY resource_version LIMIT ?`,
          [INSTANCES_TABLE, hw, TOMBSTONES_TABLE, hw, this.batchSize],
        )
      ).rows;
      for (const row of rows) this.deliverRow(row);
      if (rows.length < this.batchSize || this.stopped) return;
    }
  }

  /**
   * The fallback: the keys of every row changed since the settled point, the objects of those not
   * delivered at that resourceVersion, then the settled point moves up.
   */
  private async heal(): Promise<void> {
    const { knex } = this.options;
    const keys = await this.readKeys(this.settled);
    const missing = keys.filter(key => {
      const seen = this.delivered.get(key.uid);
      return seen === undefined || seen < BigInt(key.resource_version);
    });
    for (let i = 0; i < missing.length; i += this.batchSize) {
      const chunk = missing.slice(i, i + this.batchSize);
      const live = chunk.filter(k => !k.removed).map(k => k.uid);
      const removed = chunk.filter(k => k.removed).map(k => k.uid);
      const rows: FeedRow[] = [];
      if (live.length) {
        rows.push(
          ...(await knex(INSTANCES_TABLE)
            .select(
              'uid',
              'resource_version',
              'created_resource_version',
              'object',
              knex.raw('false AS removed'),
            )
            .whereIn('uid', live)),
        );
      }
      if (removed.length) {
        rows.push(
          ...(await knex(TOMBSTONES_TABLE)
            .select(
              'uid',
              'resource_version',
              knex.raw('NULL AS created_resource_version'),
              'object',
              knex.raw('true AS removed'),
            )
            .whereIn('uid', removed)),
        );
      }
      rows.sort((a, b) =>
        BigInt(a.resource_version) < BigInt(b.resource_version) ? -1 : 1,
      );
      for (const row of rows) this.deliverRow(row);
    }
    for (const key of keys) {
      const rv = BigInt(key.resource_version);
      if (rv > this.highWater) this.highWater = rv;
      if (key.settled && rv > this.settled) this.settled = rv;
    }
    // Entries at or below the settled point can never be read again: forget them.
    for (const [uid, rv] of this.delivered) {
      if (rv <= this.settled) this.delivered.delete(uid);
    }
    if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await knex(TOMBSTONES_TABLE)
        .where(
          'deleted_at',
          '<',
          knex.raw(`now() - (? * interval '1 millisecond')`, [
            this.retentionMs,
          ]),
        )
        .delete();
    }
  }

  private async readKeys(after: bigint): Promise<KeyRow[]> {
    const { knex } = this.options;
    const settle = knex.raw(`now() - (? * interval '1 millisecond')`, [
      this.settleMs,
    ]);
    const a = after.toString();
    return (
      await knex.raw(
        `SELECT uid, resource_version, false AS removed, changed_at < ? AS settled
           FROM ?? WHERE resource_version > ?
         UNION ALL
         SELECT uid, resource_version, true AS removed, deleted_at < ? AS settled
           FROM ?? WHERE resource_version > ?`,
        [settle, INSTANCES_TABLE, a, settle, TOMBSTONES_TABLE, a],
      )
    ).rows;
  }

  private deliverRow(row: FeedRow): void {
    const rv = BigInt(row.resource_version);
    if (rv > this.highWater) this.highWater = rv;
    if (this.options.writing?.(row.uid)) {
      const held = this.deferred.get(row.uid);
      if (!held || BigInt(held.resource_version) < rv)
        this.deferred.set(row.uid, row);
      return;
    }
    if (!this.accept(row.uid, String(row.resource_version))) return;
    let object: ComputeInstance;
    try {
      object = this.options.parse(row.object);
    } catch (error) {
      this.options.logger?.warn(
        `vm-lifecycle change feed: row ${row.uid} at ${row.resource_version} is not valid JSON: ${String(error)}`,
      );
      return;
    }
    let type: WatchEvent['type'] = 'MODIFIED';
    if (row.removed) type = 'DELETED';
    else if (
      row.created_resource_version !== null &&
      String(row.created_resource_version) === String(row.resource_version)
    )
      type = 'ADDED';
    this.options.deliver({ type, object, remote: true });
  }
}
