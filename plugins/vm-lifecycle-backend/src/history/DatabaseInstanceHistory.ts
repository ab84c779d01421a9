import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import {
  EVENTS_TABLE,
  HISTORY_TABLE,
  applyDatabaseMigrations,
} from '../store/migrations';
import { writeQueueFor } from '../store/serialQueue';

/** Default of vmLifecycle.history.retention: 30 days. */
export const DEFAULT_HISTORY_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** A deleted instance as it was last seen. */
export interface DeletedInstance {
  uid: string;
  /** ISO 8601, when the record was seen gone. */
  deletedAt: string;
  instance: ComputeInstance;
}

export interface DatabaseInstanceHistoryOptions {
  knex: Knex;
  skipMigrations?: boolean;
  /** How long a deleted instance and its events stay readable. */
  retentionMs?: number;
  now?: () => Date;
}

interface HistoryRow {
  uid: string;
  namespace: string;
  name: string;
  object: string;
  deleted_at: string;
}

/**
 * The last state of deleted instances, by uid, in the plugin's database (both modes). Reads hide
 * what is past the retention at once; `prune` removes it, with the instance's lifecycle events.
 */
export class DatabaseInstanceHistory {
  private readonly knex: Knex;
  readonly retentionMs: number;
  private readonly now: () => Date;

  static async create(
    options: DatabaseInstanceHistoryOptions,
  ): Promise<DatabaseInstanceHistory> {
    if (!options.skipMigrations) await applyDatabaseMigrations(options.knex);
    return new DatabaseInstanceHistory(options);
  }

  private constructor(options: DatabaseInstanceHistoryOptions) {
    this.knex = options.knex;
    this.retentionMs = options.retentionMs ?? DEFAULT_HISTORY_RETENTION_MS;
    this.now = options.now ?? (() => new Date());
  }

  /** Idempotent: several replicas see the same deletion; the first record of a uid stays. */
  async recordDeleted(instance: ComputeInstance): Promise<void> {
    const { uid, namespace, name } = instance.metadata;
    await writeQueueFor(this.knex).run(() =>
      this.knex<HistoryRow>(HISTORY_TABLE)
        .insert({
          uid,
          namespace,
          name,
          object: JSON.stringify(instance),
          deleted_at: this.now().toISOString(),
        })
        .onConflict('uid')
        .ignore(),
    );
  }

  async get(uid: string): Promise<DeletedInstance | undefined> {
    const row = await this.knex<HistoryRow>(HISTORY_TABLE)
      .where('uid', uid)
      .andWhere('deleted_at', '>=', this.cutoff())
      .first();
    return row ? toDeleted(row) : undefined;
  }

  /** The deleted instances that had this name, newest first. */
  async listByName(
    namespace: string,
    name: string,
  ): Promise<DeletedInstance[]> {
    const rows = await this.knex<HistoryRow>(HISTORY_TABLE)
      .where({ namespace, name })
      .andWhere('deleted_at', '>=', this.cutoff())
      .orderBy([
        { column: 'deleted_at', order: 'desc' },
        { column: 'uid', order: 'desc' },
      ]);
    return rows.map(toDeleted);
  }

  /** Removes what is past the retention, with its events; returns how many instances went. */
  async prune(): Promise<number> {
    const cutoff = this.cutoff();
    return writeQueueFor(this.knex).run(() =>
      this.knex.transaction(async (trx): Promise<number> => {
        const expired = trx(HISTORY_TABLE)
          .select('uid')
          .where('deleted_at', '<', cutoff);
        await trx(EVENTS_TABLE).whereIn('uid', expired).delete();
        return trx(HISTORY_TABLE).where('deleted_at', '<', cutoff).delete();
      }),
    );
  }

  private cutoff(): string {
    return new Date(this.now().getTime() - this.retentionMs).toISOString();
  }
}

function toDeleted(row: HistoryRow): DeletedInstance {
  return {
    uid: row.uid,
    deletedAt: row.deleted_at,
    instance: JSON.parse(row.object),
  };
}
