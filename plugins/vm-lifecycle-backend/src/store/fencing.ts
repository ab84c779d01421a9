import { Knex } from 'knex';

/*
 * Fencing of the controller's writes in database mode (docs/replicas.md, "Fencing"): every write the
 * controller makes to an instance row carries the epoch of the lease it believes it holds, and the
 * statement that writes the row also checks, by the database's own clock, that this epoch is still
 * the current, unexpired lease. A replica that lost its lease (paused, partitioned, slow) therefore
 * cannot write after another one took over, whatever its own clock or its cached leadership flag say.
 */

export const LEASES_TABLE = 'vm_lifecycle_leases';

/** The lease a writer believes it holds: checked by the store in the statement that writes. */
export interface LeaseFence {
  /** Lease name (one lease per controller). */
  name: string;
  holder: string;
  /** Incremented on every acquisition: a fencing token. */
  epoch: number;
}

/** Asked at every write; undefined when the writer knows it does not lead (the write is refused at once). */
export type FenceSource = () => LeaseFence | undefined;

/**
 * A controller write was refused because its lease (epoch) is no longer the current valid one:
 * another replica leads, or the lease expired. The reconcile stops; nothing it did is retried here.
 */
export class FencedWriteError extends Error {
  constructor(
    readonly target: string,
    readonly fence: LeaseFence | undefined,
  ) {
    super(
      fence
        ? `The write of ComputeInstance ${target} was refused: lease ${fence.name} epoch ${fence.epoch} of ${fence.holder} is no longer the current valid lease (another replica leads, or it expired)`
        : `The write of ComputeInstance ${target} was refused: this replica does not hold the controller lease`,
    );
    this.name = 'FencedWriteError';
  }
}

export function isFencedWriteError(e: unknown): e is FencedWriteError {
  return e instanceof Error && e.name === 'FencedWriteError';
}

/**
 * The database's own time in epoch milliseconds, as an SQL expression. All lease expiry is judged
 * with it, never with a replica's Date.now(). PostgreSQL: the statement's start (stable within the
 * statement, also inside a transaction). SQLite: its 'now', stable within one statement.
 */
export function dbNowMsSql(knex: Knex): string {
  return knex.client.config.client === 'pg'
    ? `floor(extract(epoch from statement_timestamp()) * 1000)::bigint`
    : `CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)`;
}

/** `EXISTS (...)`: the fence is the current, unexpired lease. Bindings: name, holder, epoch. */
export function fenceConditionSql(knex: Knex): string {
  return `EXISTS (SELECT 1 FROM ${LEASES_TABLE} WHERE name = ? AND holder = ? AND epoch = ? AND expires_at > ${dbNowMsSql(knex)})`;
}

export function fenceBindings(fence: LeaseFence): Knex.RawBinding[] {
  return [fence.name, fence.holder, fence.epoch];
}

/** Whether the fence is still the current valid lease (after a write that matched no row). */
export async function fenceHolds(
  knex: Knex | Knex.Transaction,
  fence: LeaseFence,
): Promise<boolean> {
  const result = await knex.raw(
    `SELECT 1 AS ok WHERE ${fenceConditionSql(knex as Knex)}`,
    fenceBindings(fence),
  );
  const rows: unknown[] = Array.isArray(result) ? result : result.rows;
  return rows.length > 0;
}
