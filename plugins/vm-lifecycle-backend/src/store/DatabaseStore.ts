import { randomUUID } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  ApiGroupNames,
  ComputeInstance,
  apiGroupNames,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import { AlreadyExistsError, StaleResourceVersionError } from './errors';
import {
  COUNTERS_TABLE,
  INSTANCES_TABLE,
  RESOURCE_VERSION_COUNTER,
  applyDatabaseMigrations,
} from './migrations';
import {
  WriteOutcome,
  applyDelete,
  applyStatusUpdate,
  applyUpdate,
  buildNewInstance,
  checkPrecondition,
  compareByKey,
  matchesLabels,
  writeTarget,
} from './objectRules';
import { ParsedObjectMemo, cloneJson } from './parsedObjectMemo';
import { SerialQueue, writeQueueFor } from './serialQueue';
import {
  ComputeInstanceStore,
  ListOptions,
  NewComputeInstance,
  WatchEvent,
  WatchListener,
} from './types';
import { validateStatus } from './validateStatus';
import { WatchHub, listenerErrorHandler } from './watchHub';

export interface DatabaseStoreOptions {
  /** The plugin's database (from Backstage's `DatabaseService.getClient()`): SQLite or PostgreSQL. */
  knex: Knex;
  /** API group of the resource; defaults to `osac.openshift.io`. */
  apiGroup?: string;
  /** Set when the caller has already applied the plugin's migrations. */
  skipMigrations?: boolean;
  /** Where exceptions thrown by watch listeners are reported; defaults to a process warning. */
  logger?: LoggerService;
}

/** A row of `vm_lifecycle_instances`: the object as JSON plus the columns used to find it. */
export interface InstanceRow {
  uid: string;
  namespace: string;
  name: string;
  resource_version: string;
  created_at: string;
  deletion_timestamp: string | null;
  requested_by: string | null;
  owner: string | null;
  object: string;
}

/** Maps an object to its row; exported for tests that bulk-load rows. */
export function instanceToRow(
  obj: ComputeInstance,
  names: ApiGroupNames,
): InstanceRow {
  const annotations = obj.metadata.annotations ?? {};
  return {
    uid: obj.metadata.uid,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
    resource_version: obj.metadata.resourceVersion,
    created_at: obj.metadata.creationTimestamp,
    deletion_timestamp: obj.metadata.deletionTimestamp ?? null,
    requested_by: annotations[names.requestedByAnnotation] ?? null,
    owner: annotations[names.ownerAnnotation] ?? null,
    object: JSON.stringify(obj),
  };
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return (
    code === '23505' || // PostgreSQL unique_violation
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

// Well under SQLite's and PostgreSQL's bound-parameter limits.
const LIST_FETCH_CHUNK = 1000;

interface WriteResult<T> {
  result: T;
  event?: WatchEvent;
}

/**
 * The store port on Backstage's database service (SQLite by default, PostgreSQL in production).
 *
 * Every write is one transaction that first bumps the table-wide resourceVersion counter. That row
 * lock orders all writers (across replicas too), gives etcd-like increasing resourceVersions, and
 * makes the first statement a write, so SQLite takes its write lock up front instead of failing a
 * lock upgrade with SQLITE_BUSY. The row itself is then changed with a compare-and-swap
 * (`WHERE uid = ? AND resource_version = ?`), and the transaction rolls back if it matched nothing.
 *
 * Reads always ask the database: there is no read cache. `list` only avoids re-parsing the JSON of
 * an object whose (uid, resourceVersion) it has parsed before (see `ParsedObjectMemo`).
 */
export class DatabaseStore implements ComputeInstanceStore {
  private readonly knex: Knex;
  private readonly names: ApiGroupNames;
  private readonly hub: WatchHub;
  private readonly writes: SerialQueue;
  private readonly memo = new ParsedObjectMemo();

  static async create(options: DatabaseStoreOptions): Promise<DatabaseStore> {
    if (!options.skipMigrations) {
      await applyDatabaseMigrations(options.knex);
    }
    return new DatabaseStore(options);
  }

  private constructor(options: DatabaseStoreOptions) {
    this.knex = options.knex;
    this.writes = writeQueueFor(options.knex);
    this.names = apiGroupNames(options.apiGroup);
    this.hub = new WatchHub(listenerErrorHandler(options.logger));
  }

  async get(
    namespace: string,
    name: string,
  ): Promise<ComputeInstance | undefined> {
    const row = await this.knex<InstanceRow>(INSTANCES_TABLE)
      .where({ namespace, name })
      .first('object');
    return row ? this.parse(row.object) : undefined;
  }

  /**
   * Two steps so that unchanged objects are not parsed again: the (uid, resourceVersion) of every
   * matching row, then the JSON of the rows the memo does not hold at that version.
   */
  async list(options: ListOptions = {}): Promise<ComputeInstance[]> {
    const query = this.knex<InstanceRow>(INSTANCES_TABLE).select(
      'uid',
      'resource_version',
    );
    if (options.namespace !== undefined)
      query.where('namespace', options.namespace);
    if (options.requestedBy !== undefined)
      query.where('requested_by', options.requestedBy);
    if (options.owner !== undefined) query.where('owner', options.owner);
    const keys: Array<Pick<InstanceRow, 'uid' | 'resource_version'>> =
      await query;

    const found: ComputeInstance[] = [];
    const missing: string[] = [];
    for (const key of keys) {
      const hit = this.memo.get(key.uid, String(key.resource_version));
      if (hit) found.push(hit);
      else missing.push(key.uid);
    }
    for (let i = 0; i < missing.length; i += LIST_FETCH_CHUNK) {
      const rows: Array<
        Pick<InstanceRow, 'uid' | 'resource_version' | 'object'>
      > = await this.knex<InstanceRow>(INSTANCES_TABLE)
        .select('uid', 'resource_version', 'object')
        .whereIn('uid', missing.slice(i, i + LIST_FETCH_CHUNK));
      // A row deleted since the first step is simply absent; one updated since comes back newer.
      for (const row of rows) {
        const obj: ComputeInstance = JSON.parse(row.object);
        this.memo.set(row.uid, String(row.resource_version), obj);
        found.push(obj);
      }
    }
    if (
      options.namespace === undefined &&
      options.requestedBy === undefined &&
      options.owner === undefined
    ) {
      this.memo.retainOnly(new Set(keys.map(key => key.uid)));
    }

    const selected = options.labels
      ? found.filter(obj => matchesLabels(obj, options.labels))
      : found;
    return selected.sort(compareByKey).map(obj => this.served(cloneJson(obj)));
  }

  async create(instance: NewComputeInstance): Promise<ComputeInstance> {
    // Validate before opening a transaction; the resourceVersion is filled in under the lock.
    const obj = buildNewInstance(instance, {
      apiVersion: this.names.apiVersion,
      uid: randomUUID(),
      resourceVersion: '0',
      now: new Date().toISOString(),
    });
    const { namespace, name } = obj.metadata;
    return this.write(async trx => {
      obj.metadata.resourceVersion = await this.nextResourceVersion(trx);
      const existing = await trx<InstanceRow>(INSTANCES_TABLE)
        .where({ namespace, name })
        .first('uid');
      if (existing) throw new AlreadyExistsError(namespace, name);
      const row = instanceToRow(obj, this.names);
      try {
        await trx(INSTANCES_TABLE).insert(row);
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AlreadyExistsError(namespace, name);
        throw error;
      }
      return {
        result: obj,
        event: { type: 'ADDED', object: JSON.parse(row.object) },
      };
    });
  }

  async update(
    instance: ComputeInstance,
  ): Promise<ComputeInstance | undefined> {
    const target = writeTarget(instance);
    return this.write(async trx => {
      const resourceVersion = await this.nextResourceVersion(trx);
      const current = await this.readForWrite(
        trx,
        target.namespace,
        target.name,
      );
      checkPrecondition(current, target.resourceVersion);
      return this.commit(
        trx,
        current,
        applyUpdate(current, instance),
        resourceVersion,
      );
    });
  }

  async updateStatus(instance: ComputeInstance): Promise<ComputeInstance> {
    const target = writeTarget(instance);
    // Schema validation first: an invalid status never takes the write lock.
    validateStatus(instance.status ?? {});
    const stored = await this.write(async trx => {
      const resourceVersion = await this.nextResourceVersion(trx);
      const current = await this.readForWrite(
        trx,
        target.namespace,
        target.name,
      );
      checkPrecondition(current, target.resourceVersion);
      return this.commit(
        trx,
        current,
        applyStatusUpdate(current, instance),
        resourceVersion,
      );
    });
    // A status write never removes the object; this only narrows the type.
    if (!stored)
      throw new NotFoundError(
        `ComputeInstance ${target.namespace}/${target.name} not found`,
      );
    return stored;
  }

  async delete(
    namespace: string,
    name: string,
  ): Promise<ComputeInstance | undefined> {
    const now = new Date().toISOString();
    return this.write(async trx => {
      const resourceVersion = await this.nextResourceVersion(trx);
      const current = await this.readForWrite(trx, namespace, name);
      return this.commit(
        trx,
        current,
        applyDelete(current, now),
        resourceVersion,
      );
    });
  }

  watch(listener: WatchListener): () => void {
    return this.hub.subscribe(listener);
  }

  /** Runs one write transaction; its event is delivered after the commit and before the caller resumes. */
  private async write<T>(
    work: (trx: Knex.Transaction) => Promise<WriteResult<T>>,
  ): Promise<T> {
    return this.writes.run(async () => {
      const { result, event } = await this.knex.transaction(work);
      if (event) this.hub.emit(event);
      return result;
    });
  }

  private async nextResourceVersion(trx: Knex.Transaction): Promise<string> {
    const where = { name: RESOURCE_VERSION_COUNTER };
    const updated = await trx(COUNTERS_TABLE)
      .where(where)
      .increment('value', 1);
    const row =
      updated === 1
        ? await trx(COUNTERS_TABLE).where(where).first('value')
        : undefined;
    if (!row) {
      throw new Error(
        `The ${COUNTERS_TABLE} table has no ${RESOURCE_VERSION_COUNTER} row: were the vm-lifecycle migrations applied?`,
      );
    }
    // PostgreSQL returns bigint as a string, SQLite as a number.
    return String(row.value);
  }

  private async readForWrite(
    trx: Knex.Transaction,
    namespace: string,
    name: string,
  ): Promise<ComputeInstance> {
    const row = await trx<InstanceRow>(INSTANCES_TABLE)
      .where({ namespace, name })
      .first('object');
    if (!row)
      throw new NotFoundError(`ComputeInstance ${namespace}/${name} not found`);
    return this.parse(row.object);
  }

  private async commit(
    trx: Knex.Transaction,
    current: ComputeInstance,
    outcome: WriteOutcome,
    resourceVersion: string,
  ): Promise<WriteResult<ComputeInstance | undefined>> {
    if (outcome.kind === 'unchanged') {
      // The counter bump is left in place: gaps in resourceVersions are harmless, as in etcd.
      return { result: current };
    }
    // Captured before `next` (which may share structure with `current`) gets its new version.
    const expected = { ...current.metadata };
    const compareAndSwap = trx<InstanceRow>(INSTANCES_TABLE).where({
      uid: expected.uid,
      resource_version: expected.resourceVersion,
    });
    const next = outcome.next;
    next.metadata.resourceVersion = resourceVersion;
    const row = instanceToRow(next, this.names);
    if (outcome.kind === 'removed') {
      if ((await compareAndSwap.delete()) !== 1)
        throw await this.conflict(trx, expected);
      this.memo.delete(expected.uid);
      return {
        result: undefined,
        event: { type: 'DELETED', object: JSON.parse(row.object) },
      };
    }
    const { uid: _uid, ...columns } = row;
    if ((await compareAndSwap.update(columns)) !== 1)
      throw await this.conflict(trx, expected);
    return {
      result: next,
      event: { type: 'MODIFIED', object: JSON.parse(row.object) },
    };
  }

  /**
   * The compare-and-swap matched no row. Unreachable while every writer goes through the counter,
   * but it is what keeps a write correct if one ever does not.
   */
  private async conflict(
    trx: Knex.Transaction,
    expected: { namespace: string; name: string; resourceVersion: string },
  ): Promise<Error> {
    const { namespace, name, resourceVersion } = expected;
    const row = await trx<InstanceRow>(INSTANCES_TABLE)
      .where({ namespace, name })
      .first('resource_version');
    if (!row)
      return new NotFoundError(
        `ComputeInstance ${namespace}/${name} not found`,
      );
    return new StaleResourceVersionError(
      namespace,
      name,
      resourceVersion,
      String(row.resource_version),
    );
  }

  private parse(json: string): ComputeInstance {
    return this.served(JSON.parse(json));
  }

  /** Served under the configured group, as an API server serves the version that was asked for. */
  private served(obj: ComputeInstance): ComputeInstance {
    obj.apiVersion = this.names.apiVersion;
    return obj;
  }
}
