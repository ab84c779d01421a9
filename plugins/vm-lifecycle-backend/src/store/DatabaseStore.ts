import { randomUUID } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  ApiGroupNames,
  ComputeInstance,
  apiGroupNames,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import { listPageFromDatabase } from './database/listPage';
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
  ListPage,
  ListPageRequest,
  NewComputeInstance,
  WatchEvent,
  WatchListener,
} from './types';
import { validateStatus } from './validateStatus';
import { WatchHub, listenerErrorHandler } from './watchHub';
import { ChangeFeedOptions, PgChangeFeed } from './database/changeFeed';
import { PgWrites } from './database/pgWrites';
import {
  FencedWriteError,
  FenceSource,
  LeaseFence,
  fenceBindings,
  fenceConditionSql,
  fenceHolds,
} from './fencing';

export interface DatabaseStoreOptions {
  /** The plugin's database (from Backstage's `DatabaseService.getClient()`): SQLite or PostgreSQL. */
  knex: Knex;
  /** API group of the resource; defaults to `osac.openshift.io`. */
  apiGroup?: string;
  /** Set when the caller has already applied the plugin's migrations. */
  skipMigrations?: boolean;
  /** Where exceptions thrown by watch listeners are reported; defaults to a process warning. */
  logger?: LoggerService;
  /**
   * PostgreSQL: deliver the changes made through other replicas to this store's watchers (LISTEN/
   * NOTIFY plus a polled change feed; see docs/replicas.md). Default on; `false` only for tests.
   */
  changeFeed?:
    | false
    | Pick<
        ChangeFeedOptions,
        'pollIntervalMs' | 'settleMs' | 'tombstoneRetentionMs' | 'listen'
      >;
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

function isPostgres(knex: Knex): boolean {
  return knex.client.config.client === 'pg';
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

// A write without a precondition (delete) that meets a concurrent writer reads again this often.
const UNCONDITIONAL_WRITE_ATTEMPTS = 10;

interface WriteResult<T> {
  result: T;
  event?: WatchEvent;
}

/**
 * The store port on Backstage's database service (SQLite by default, PostgreSQL in production).
 *
 * SQLite (one process): every write is one transaction that first bumps the table-wide
 * resourceVersion counter, which makes the first statement a write, so SQLite takes its write lock
 * up front instead of failing a lock upgrade with SQLITE_BUSY. The row itself is then changed with a
 * compare-and-swap (`WHERE uid = ? AND resource_version = ?`), and the transaction rolls back if it
 * matched nothing.
 *
 * PostgreSQL (several replicas): no counter row and no transaction; each write is one
 * compare-and-swap statement that takes its resourceVersion from a sequence (`PgWrites`), so writers
 * of different rows never wait for each other. The object a write starts from is the parsed one at
 * the caller's resourceVersion when this store holds it (a resourceVersion is never reused, so that
 * is exactly the stored row), otherwise one read. Changes made through other replicas reach the
 * watchers through `PgChangeFeed`.
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
  private readonly pg?: PgWrites;
  private feed?: PgChangeFeed;
  private feedStart?: Promise<void>;

  static async create(options: DatabaseStoreOptions): Promise<DatabaseStore> {
    if (!options.skipMigrations) {
      await applyDatabaseMigrations(options.knex);
    }
    const schema =
      isPostgres(options.knex) && options.changeFeed !== false
        ? await PgChangeFeed.currentSchema(options.knex)
        : undefined;
    return new DatabaseStore(options, schema);
  }

  private constructor(
    private readonly options: DatabaseStoreOptions,
    feedSchema?: string,
  ) {
    this.knex = options.knex;
    this.writes = writeQueueFor(options.knex);
    this.names = apiGroupNames(options.apiGroup);
    this.hub = new WatchHub(listenerErrorHandler(options.logger));
    if (isPostgres(options.knex)) this.pg = new PgWrites(options.knex);
    if (feedSchema !== undefined) {
      // Created now so that this store's own writes are known to it before it starts reading.
      this.feed = new PgChangeFeed({
        knex: options.knex,
        schema: feedSchema,
        logger: options.logger,
        deliver: event => this.hub.emit(event),
        parse: json => this.parse(json),
        writing: uid => this.writesInFlight.has(uid),
        ...(options.changeFeed || {}),
      });
    }
  }

  /** Stops the change feed (its LISTEN connection and poll); the knex pool is the caller's. */
  async close(): Promise<void> {
    const feed = this.feed;
    if (!feed) return;
    await this.feedStart?.catch(() => undefined); // a failed start has nothing to stop
    await feed.stop();
  }

  /** Resolves once the change feed reads the database (PostgreSQL; at once otherwise). */
  async ready(): Promise<void> {
    if (this.feed) await this.startFeed();
  }

  /**
   * This store as the controller writes to it: every write is refused (FencedWriteError), in the
   * statement that writes the row, unless `fence()` names the current, unexpired lease. Reads and
   * the watch are this store's own. The REST API keeps writing through the unfenced store.
   */
  fenced(fence: FenceSource): ComputeInstanceStore {
    return {
      get: (namespace, name) => this.get(namespace, name),
      list: options => this.list(options),
      listPage: request => this.listPage(request),
      watch: listener => this.watch(listener),
      create: instance => this.create(instance, fence),
      update: instance => this.update(instance, fence),
      updateStatus: instance => this.updateStatus(instance, fence),
      delete: (namespace, name) => this.delete(namespace, name, fence),
    };
  }

  /** uid -> own PostgreSQL writes in flight (see ChangeFeedOptions.writing). */
  private readonly writesInFlight = new Map<string, number>();

  /** Runs an own write of `uid`; the feed holds back that uid's rows until it settles. */
  private async ownWrite<T>(uid: string, write: () => Promise<T>): Promise<T> {
    this.writesInFlight.set(uid, (this.writesInFlight.get(uid) ?? 0) + 1);
    try {
      return await write();
    } finally {
      const left = (this.writesInFlight.get(uid) ?? 1) - 1;
      if (left > 0) this.writesInFlight.set(uid, left);
      else this.writesInFlight.delete(uid);
      this.feed?.settle(uid);
    }
  }

  private startFeed(): Promise<void> {
    this.feedStart ??= this.feed!.start().catch(error => {
      this.options.logger?.error(
        `vm-lifecycle change feed could not start: changes made through other replicas reach this one only with the controller's resync: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    return this.feedStart;
  }

  async get(
    namespace: string,
    name: string,
  ): Promise<ComputeInstance | undefined> {
    const row = await this.knex<InstanceRow>(INSTANCES_TABLE)
      .where({ namespace, name })
      .first('object');
    if (!row) return undefined;
    const obj = this.parse(row.object);
    // A later write that passes this object back then needs no read (PostgreSQL).
    if (this.pg)
      this.memo.set(
        obj.metadata.uid,
        obj.metadata.resourceVersion,
        cloneJson(obj),
      );
    return obj;
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

  /** In SQL, see `listPageFromDatabase`. */
  listPage(request: ListPageRequest): Promise<ListPage> {
    return listPageFromDatabase(this.knex, request, json => this.parse(json));
  }

  async create(
    instance: NewComputeInstance,
    fenceSource?: FenceSource,
  ): Promise<ComputeInstance> {
    // Validate before opening a transaction; the resourceVersion is filled in under the lock.
    const obj = buildNewInstance(instance, {
      apiVersion: this.names.apiVersion,
      uid: randomUUID(),
      resourceVersion: '0',
      now: new Date().toISOString(),
    });
    const { namespace, name } = obj.metadata;
    const fence = fenceOf(fenceSource, obj.metadata);
    if (this.pg)
      return this.ownWrite(obj.metadata.uid, () => this.pgCreate(obj, fence));
    return this.write(async trx => {
      obj.metadata.resourceVersion = await this.nextResourceVersion(trx);
      // SQLite: the transaction holds the database's write lock, so no lease changes before the insert.
      if (fence && !(await fenceHolds(trx, fence)))
        throw new FencedWriteError(`${namespace}/${name}`, fence);
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
    fenceSource?: FenceSource,
  ): Promise<ComputeInstance | undefined> {
    const target = writeTarget(instance);
    const fence = fenceOf(fenceSource, target);
    if (this.pg)
      return this.pgMutate(
        target,
        instance.metadata.uid,
        current => applyUpdate(current, instance),
        fence,
      );
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
        fence,
      );
    });
  }

  async updateStatus(
    instance: ComputeInstance,
    fenceSource?: FenceSource,
  ): Promise<ComputeInstance> {
    const target = writeTarget(instance);
    // Schema validation first: an invalid status never takes the write lock.
    validateStatus(instance.status ?? {});
    const fence = fenceOf(fenceSource, target);
    const stored = this.pg
      ? await this.pgMutate(
          target,
          instance.metadata.uid,
          current => applyStatusUpdate(current, instance),
          fence,
        )
      : await this.write(async trx => {
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
            fence,
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
    fenceSource?: FenceSource,
  ): Promise<ComputeInstance | undefined> {
    const now = new Date().toISOString();
    const fence = fenceOf(fenceSource, { namespace, name });
    if (this.pg)
      return this.pgMutate(
        { namespace, name },
        undefined,
        current => applyDelete(current, now),
        fence,
      );
    return this.write(async trx => {
      const resourceVersion = await this.nextResourceVersion(trx);
      const current = await this.readForWrite(trx, namespace, name);
      return this.commit(
        trx,
        current,
        applyDelete(current, now),
        resourceVersion,
        fence,
      );
    });
  }

  watch(listener: WatchListener): () => void {
    const unsubscribe = this.hub.subscribe(listener);
    if (this.feed) void this.startFeed();
    return unsubscribe;
  }

  /** Runs one write transaction; its event is delivered after the commit and before the caller resumes. */
  private async write<T>(
    work: (trx: Knex.Transaction) => Promise<WriteResult<T>>,
  ): Promise<T> {
    return this.writes.run(async () => {
      const { result, event } = await this.knex.transaction(work);
      if (event) this.emitLocal(event);
      return result;
    });
  }

  /** This store's own write: delivered now, and never again by the change feed. */
  private emitLocal(event: WatchEvent): void {
    const { uid, resourceVersion } = event.object.metadata;
    if (this.feed && !this.feed.accept(uid, resourceVersion)) return;
    this.hub.emit(event);
  }

  private async pgCreate(
    obj: ComputeInstance,
    fence?: LeaseFence,
  ): Promise<ComputeInstance> {
    const pg = this.pg!;
    obj.metadata.resourceVersion = pg.placeholder;
    const row = instanceToRow(obj, this.names);
    let resourceVersion: string;
    try {
      const inserted = await pg.insert(row, fence);
      if (inserted === undefined)
        throw new FencedWriteError(
          `${obj.metadata.namespace}/${obj.metadata.name}`,
          fence,
        );
      resourceVersion = inserted;
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AlreadyExistsError(obj.metadata.namespace, obj.metadata.name);
      throw error;
    }
    obj.metadata.resourceVersion = resourceVersion;
    this.memo.set(obj.metadata.uid, resourceVersion, cloneJson(obj));
    this.emitLocal({
      type: 'ADDED',
      object: JSON.parse(row.object.replace(pg.placeholder, resourceVersion)),
    });
    return obj;
  }

  /**
   * A compare-and-swap write on PostgreSQL. With a precondition (`target.resourceVersion`), a
   * mismatch fails as stale; without one (delete), a concurrent write makes it read and try again.
   */
  private async pgMutate(
    target: { namespace: string; name: string; resourceVersion?: string },
    uid: string | undefined,
    change: (current: ComputeInstance) => WriteOutcome,
    fence?: LeaseFence,
  ): Promise<ComputeInstance | undefined> {
    const pg = this.pg!;
    for (let attempt = 1; ; attempt++) {
      const remembered =
        target.resourceVersion !== undefined && uid
          ? this.memo.get(uid, target.resourceVersion)
          : undefined;
      const current =
        remembered &&
        remembered.metadata.namespace === target.namespace &&
        remembered.metadata.name === target.name
          ? this.served(cloneJson(remembered))
          : await this.readForWrite(this.knex, target.namespace, target.name);
      if (target.resourceVersion !== undefined)
        checkPrecondition(current, target.resourceVersion);
      const outcome = change(current);
      const expected = { ...current.metadata };
      if (outcome.kind === 'unchanged') {
        // A remembered object may be stale by now: a no-op write still answers as the database does.
        if (remembered) {
          const row = await this.knex<InstanceRow>(INSTANCES_TABLE)
            .where({ namespace: target.namespace, name: target.name })
            .first('resource_version');
          if (!row || String(row.resource_version) !== expected.resourceVersion)
            throw await this.conflict(this.knex, expected);
        }
        return current;
      }
      const next = outcome.next;
      next.metadata.resourceVersion = pg.placeholder;
      const row = instanceToRow(next, this.names);
      // The statement and its local event are one own write: the change feed holds back this
      // uid's rows meanwhile, so it cannot take this write for another replica's.
      const written = await this.ownWrite(expected.uid, async () => {
        const version =
          outcome.kind === 'removed'
            ? await pg.compareAndRemove(expected, row.object, fence)
            : await pg.compareAndSwap(expected, row, fence);
        if (version === undefined) return undefined;
        next.metadata.resourceVersion = version;
        const object: ComputeInstance = JSON.parse(
          row.object.replace(pg.placeholder, version),
        );
        if (outcome.kind === 'removed') {
          this.memo.delete(expected.uid);
          this.emitLocal({ type: 'DELETED', object });
        } else {
          this.memo.set(expected.uid, version, cloneJson(next));
          this.emitLocal({ type: 'MODIFIED', object });
        }
        return version;
      });
      if (written === undefined) {
        if (fence && !(await fenceHolds(this.knex, fence)))
          throw new FencedWriteError(
            `${target.namespace}/${target.name}`,
            fence,
          );
        if (
          target.resourceVersion === undefined &&
          attempt < UNCONDITIONAL_WRITE_ATTEMPTS
        )
          continue;
        throw await this.conflict(this.knex, expected);
      }
      return outcome.kind === 'removed' ? undefined : next;
    }
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
    trx: Knex.Transaction | Knex,
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
    fence?: LeaseFence,
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
    // Fenced: the lease is checked in the statement that writes the row.
    if (fence)
      compareAndSwap.whereRaw(
        fenceConditionSql(this.knex),
        fenceBindings(fence),
      );
    const refused = async () =>
      fence && !(await fenceHolds(trx, fence))
        ? new FencedWriteError(`${expected.namespace}/${expected.name}`, fence)
        : this.conflict(trx, expected);
    const next = outcome.next;
    next.metadata.resourceVersion = resourceVersion;
    const row = instanceToRow(next, this.names);
    if (outcome.kind === 'removed') {
      if ((await compareAndSwap.delete()) !== 1) throw await refused();
      this.memo.delete(expected.uid);
      return {
        result: undefined,
        event: { type: 'DELETED', object: JSON.parse(row.object) },
      };
    }
    const { uid: _uid, ...columns } = row;
    if ((await compareAndSwap.update(columns)) !== 1) throw await refused();
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
    trx: Knex.Transaction | Knex,
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

/** The lease a fenced write is made under; refused at once when the writer knows it does not lead. */
function fenceOf(
  source: FenceSource | undefined,
  target: { namespace: string; name: string },
): LeaseFence | undefined {
  if (!source) return undefined;
  const fence = source();
  if (!fence)
    throw new FencedWriteError(`${target.namespace}/${target.name}`, undefined);
  return fence;
}
