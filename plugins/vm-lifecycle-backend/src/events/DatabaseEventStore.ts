import { LifecycleEvent } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import { EVENTS_TABLE, applyDatabaseMigrations } from '../store/migrations';
import { writeQueueFor } from '../store/serialQueue';
import {
  DEFAULT_MAX_EVENTS_PER_INSTANCE,
  NewLifecycleEvent,
  prepareEvent,
} from './eventRules';
import { InstanceRef, LifecycleEventStore } from './types';

export interface DatabaseEventStoreOptions {
  /** The plugin's database; the same knex as the `DatabaseStore` (one set of migrations creates both tables). */
  knex: Knex;
  /** Set when the caller has already applied the plugin's migrations. */
  skipMigrations?: boolean;
  /** Oldest events beyond this many per instance are deleted; default 1000. */
  maxEventsPerInstance?: number;
}

interface EventRow {
  id: number | string;
  uid: string;
  namespace: string;
  name: string;
  timestamp: string;
  type: LifecycleEvent['type'];
  reason: string;
  message: string;
  job_id: string | null;
}

/**
 * Lifecycle event history in the plugin's database. Events are keyed by the instance's uid and kept
 * after the instance is deleted, so the portal can still show what happened.
 */
export class DatabaseEventStore implements LifecycleEventStore {
  private readonly knex: Knex;
  private readonly max: number;

  static async create(
    options: DatabaseEventStoreOptions,
  ): Promise<DatabaseEventStore> {
    if (!options.skipMigrations) {
      await applyDatabaseMigrations(options.knex);
    }
    return new DatabaseEventStore(options);
  }

  private constructor(options: DatabaseEventStoreOptions) {
    this.knex = options.knex;
    this.max = options.maxEventsPerInstance ?? DEFAULT_MAX_EVENTS_PER_INSTANCE;
  }

  async record(instance: InstanceRef, event: NewLifecycleEvent): Promise<void> {
    const prepared = prepareEvent(instance, event);
    // Shares the store's write queue: SQLite must never see two write transactions from this process.
    await writeQueueFor(this.knex).run(() =>
      this.knex.transaction(async trx => {
        // The insert is the first statement, so SQLite takes its write lock at once (no lock upgrade).
        await trx(EVENTS_TABLE).insert({
          uid: instance.uid,
          namespace: instance.namespace,
          name: instance.name,
          timestamp: prepared.timestamp,
          type: prepared.type,
          reason: prepared.reason,
          message: prepared.message,
          job_id: prepared.jobID ?? null,
        });
        const newest = trx(EVENTS_TABLE)
          .select('id')
          .where('uid', instance.uid)
          .orderBy([
            { column: 'timestamp', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .limit(this.max);
        await trx(EVENTS_TABLE)
          .where('uid', instance.uid)
          .whereNotIn('id', newest)
          .delete();
      }),
    );
  }

  async list(instance: InstanceRef): Promise<LifecycleEvent[]> {
    const rows: EventRow[] = await this.knex<EventRow>(EVENTS_TABLE)
      .where('uid', instance.uid)
      .orderBy([{ column: 'timestamp' }, { column: 'id' }]);
    return rows.map(row => {
      const event: LifecycleEvent = {
        timestamp: row.timestamp,
        type: row.type,
        reason: row.reason,
        message: row.message,
      };
      if (row.job_id !== null) event.jobID = row.job_id;
      return event;
    });
  }
}
