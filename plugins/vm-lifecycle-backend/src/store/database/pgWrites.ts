import { randomBytes } from 'node:crypto';
import { Knex } from 'knex';
import {
  INSTANCES_TABLE,
  RESOURCE_VERSION_SEQUENCE,
  TOMBSTONES_TABLE,
} from '../migrations';
import { fenceBindings, fenceConditionSql, LeaseFence } from '../fencing';

/** The columns of an instance row that a write sets (`object` holds the placeholder, see below). */
export interface PgRowValues {
  uid: string;
  namespace: string;
  name: string;
  created_at: string;
  deletion_timestamp: string | null;
  requested_by: string | null;
  owner: string | null;
  object: string;
}

export interface PgExpected {
  namespace: string;
  name: string;
  resourceVersion: string;
}

/**
 * The PostgreSQL writes: each one statement, in autocommit, so no write holds a lock beyond its own
 * row and nothing serialises writers across the table. The new resourceVersion comes from a sequence
 * inside the statement; the object's JSON carries a placeholder for it that the statement replaces,
 * so the stored JSON and the column always agree. A compare-and-swap that matches nothing returns
 * no row and `undefined` here; gaps left in the sequence are harmless, as in etcd.
 *
 * With a `fence` (the controller's writes), the same statement also requires the fence to be the
 * current, unexpired lease by the database's clock; otherwise it writes nothing and returns no row.
 */
export class PgWrites {
  /** Random per process, so no user-supplied text can collide with it. */
  readonly placeholder = `__vmlc_rv_${randomBytes(9).toString('hex')}__`;

  constructor(private readonly knex: Knex) {}

  async insert(
    row: PgRowValues,
    fence?: LeaseFence,
  ): Promise<string | undefined> {
    const result = await this.run(
      `WITH v AS MATERIALIZED (SELECT nextval('${RESOURCE_VERSION_SEQUENCE}') AS rv)
       INSERT INTO ${INSTANCES_TABLE}
         (uid, namespace, name, resource_version, created_resource_version, created_at,
          deletion_timestamp, requested_by, owner, object, changed_at)
       SELECT ?, ?, ?, v.rv, v.rv, ?, ?, ?, ?, replace(?, ?, v.rv::text), now() FROM v
        WHERE ${this.fenced(fence)}
       RETURNING resource_version`,
      [
        row.uid,
        row.namespace,
        row.name,
        row.created_at,
        row.deletion_timestamp,
        row.requested_by,
        row.owner,
        row.object,
        this.placeholder,
        ...this.fenceArgs(fence),
      ],
    );
    return result.rows.length === 1
      ? String(result.rows[0].resource_version)
      : undefined;
  }

  async compareAndSwap(
    expected: PgExpected,
    row: PgRowValues,
    fence?: LeaseFence,
  ): Promise<string | undefined> {
    const result = await this.run(
      `WITH v AS MATERIALIZED (SELECT nextval('${RESOURCE_VERSION_SEQUENCE}') AS rv)
       UPDATE ${INSTANCES_TABLE} AS t
          SET resource_version = v.rv, object = replace(?, ?, v.rv::text),
              deletion_timestamp = ?, requested_by = ?, owner = ?, changed_at = now()
         FROM v
        WHERE t.namespace = ? AND t.name = ? AND t.resource_version = ?
          AND ${this.fenced(fence)}
       RETURNING t.resource_version`,
      [
        row.object,
        this.placeholder,
        row.deletion_timestamp,
        row.requested_by,
        row.owner,
        expected.namespace,
        expected.name,
        expected.resourceVersion,
        ...this.fenceArgs(fence),
      ],
    );
    return result.rows.length === 1
      ? String(result.rows[0].resource_version)
      : undefined;
  }

  /** Removes the row and leaves its last state as a tombstone for the change feed. */
  async compareAndRemove(
    expected: PgExpected,
    lastState: string,
    fence?: LeaseFence,
  ): Promise<string | undefined> {
    const result = await this.run(
      `WITH v AS MATERIALIZED (SELECT nextval('${RESOURCE_VERSION_SEQUENCE}') AS rv),
            d AS (DELETE FROM ${INSTANCES_TABLE}
                   WHERE namespace = ? AND name = ? AND resource_version = ?
                     AND ${this.fenced(fence)}
                  RETURNING uid, namespace, name)
       INSERT INTO ${TOMBSTONES_TABLE} (uid, namespace, name, resource_version, object, deleted_at)
       SELECT d.uid, d.namespace, d.name, v.rv, replace(?, ?, v.rv::text), now() FROM d, v
       RETURNING resource_version`,
      [
        expected.namespace,
        expected.name,
        expected.resourceVersion,
        ...this.fenceArgs(fence),
        lastState,
        this.placeholder,
      ],
    );
    return result.rows.length === 1
      ? String(result.rows[0].resource_version)
      : undefined;
  }

  private fenced(fence: LeaseFence | undefined): string {
    return fence ? fenceConditionSql(this.knex) : 'TRUE';
  }

  private fenceArgs(fence: LeaseFence | undefined): Knex.RawBinding[] {
    return fence ? fenceBindings(fence) : [];
  }

  private async run(
    sql: string,
    bindings: Knex.RawBinding[],
  ): Promise<{ rows: Array<{ resource_version: string }> }> {
    try {
      return await this.knex.raw(sql, bindings);
    } catch (error) {
      // undefined_table: the sequence or a table is missing.
      if ((error as { code?: unknown })?.code === '42P01') {
        throw new Error(
          `${(error as Error).message}: were the vm-lifecycle migrations applied?`,
        );
      }
      throw error;
    }
  }
}
