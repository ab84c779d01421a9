import { mockServices } from '@backstage/backend-test-utils';
import {
  ComputeInstanceSpec,
  apiGroupNames,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import knexFactory, { Knex } from 'knex';
import { waitFor } from '../__testUtils__/waitFor';
import { DatabaseStore, instanceToRow } from './DatabaseStore';
import {
  INSTANCES_TABLE,
  MIGRATIONS_TABLE,
  TOMBSTONES_TABLE,
  applyDatabaseMigrations,
  migrationsDirectory,
} from './migrations';
import { WatchEvent } from './types';
import {
  availableDatabases,
  postgresConfigured,
  postgresDatabaseFactory,
} from './__testUtils__/testDatabases';

const names = apiGroupNames();
const spec: ComputeInstanceSpec = {
  templateID: 'osac.templates.ocp_virt_vm',
  image: {
    sourceType: 'registry',
    sourceRef: 'quay.io/containerdisks/fedora:latest',
  },
  cores: 2,
  memoryGiB: 4,
  bootDisk: { sizeGiB: 20 },
  runStrategy: 'Always',
};

const migrator = {
  directory: migrationsDirectory(),
  tableName: MIGRATIONS_TABLE,
  loadExtensions: ['.js'],
};

describe.each(availableDatabases())(
  'migrating a %s database that holds data',
  (_backend, newDatabase) => {
    let knex: Knex;
    afterEach(async () => {
      await knex.destroy();
    });

    it('keeps every instance and hands out resourceVersions above the stored ones', async () => {
      knex = await newDatabase();
      // The schema before the replicas migration: the init and leases migrations only.
      await knex.migrate.up({ ...migrator, name: '20250601000000_init.js' });
      await knex.migrate.up({ ...migrator, name: '20261126120000_leases.js' });
      const old = Array.from({ length: 3 }, (_, i) => ({
        apiVersion: names.apiVersion,
        kind: 'ComputeInstance' as const,
        metadata: {
          name: `old-${i}`,
          namespace: 'ns',
          uid: `00000000-0000-4000-8000-00000000000${i}`,
          resourceVersion: String(40 + i),
          generation: 1,
          creationTimestamp: '2026-11-01T00:00:00.000Z',
          labels: {},
          annotations: { [names.ownerAnnotation]: 'group:default/web' },
          finalizers: [names.finalizer],
        },
        spec,
        status: { phase: 'Running' as const },
      }));
      await knex(INSTANCES_TABLE).insert(
        old.map(obj => instanceToRow(obj as any, names)),
      );
      await knex('vm_lifecycle_counters')
        .where({ name: 'resourceVersion' })
        .update({ value: 42 });

      await applyDatabaseMigrations(knex);
      const store = await DatabaseStore.create({ knex });
      try {
        expect(await store.list()).toEqual(old);
        expect(await store.list({ owner: 'group:default/web' })).toHaveLength(
          3,
        );
        // The paged list's generated columns hold the values of rows written before them.
        const running = await store.listPage({
          filter: { phase: 'Running', owner: 'group:default/web' },
          sort: { field: 'name', order: 'desc' },
          limit: 2,
        });
        expect(running.items.map(o => o.metadata.name)).toEqual([
          'old-2',
          'old-1',
        ]);
        expect(running.remainingItemCount).toBe(1);

        const updated = await store.updateStatus({
          ...(old[0] as any),
          status: { phase: 'Paused' },
        });
        const created = await store.create({
          metadata: { name: 'new', namespace: 'ns' },
          spec,
        });
        expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(42);
        expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(
          Number(updated.metadata.resourceVersion),
        );
        // A stale resourceVersion from before the migration is still refused.
        await expect(
          store.updateStatus({ ...(old[0] as any), status: {} }),
        ).rejects.toThrow(/resourceVersion/);

        // The removal path of the new schema works on an old row.
        const deleting = await store.delete('ns', 'old-1');
        expect(deleting?.metadata.deletionTimestamp).toBeDefined();
        await store.update({
          ...deleting!,
          metadata: { ...deleting!.metadata, finalizers: [] },
        });
        expect(await store.get('ns', 'old-1')).toBeUndefined();
        expect((await store.list()).map(o => o.metadata.name)).toEqual([
          'new',
          'old-0',
          'old-2',
        ]);
      } finally {
        await store.close();
      }
    });

    it('refuses to migrate down', async () => {
      knex = await newDatabase();
      await applyDatabaseMigrations(knex);
      await expect(knex.migrate.down(migrator)).rejects.toThrow(/forward-only/);
    });
  },
);

// Gated rather than skipped: without the variable there is no PostgreSQL suite at all.
if (postgresConfigured) {
  describe('DatabaseStore replicas on PostgreSQL', () => {
    const newDatabase = postgresDatabaseFactory();
    const pools: Knex[] = [];
    const stores: DatabaseStore[] = [];

    afterEach(async () => {
      await Promise.all(stores.splice(0).map(store => store.close()));
      await Promise.all(pools.splice(0).map(pool => pool.destroy()));
    });

    /** Two stores on separate connection pools of one database: two replicas, as far as the store knows. */
    async function twoReplicas(
      changeFeed?: Parameters<typeof DatabaseStore.create>[0]['changeFeed'],
    ) {
      const first = await newDatabase();
      const second = knexFactory(first.client.config);
      pools.push(first, second);
      const writer = await DatabaseStore.create({
        knex: first,
        logger: mockServices.logger.mock(),
      });
      const watcher = await DatabaseStore.create({
        knex: second,
        logger: mockServices.logger.mock(),
        changeFeed,
      });
      stores.push(writer, watcher);
      const seen: WatchEvent[] = [];
      watcher.watch(event => {
        seen.push(event);
      });
      await watcher.ready();
      return { writer, watcher, seen, knex: first };
    }

    jest.setTimeout(60_000);

    const summary = (events: WatchEvent[]) =>
      events.map(
        e =>
          `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}${e.remote ? ' remote' : ''}`,
      );

    it("delivers every write through one replica to the other's watchers, once each, in order", async () => {
      // A poll far beyond the wait: only the notification can deliver in time.
      const { writer, seen } = await twoReplicas({ pollIntervalMs: 60_000 });
      const arrived = (n: number) =>
        waitFor(
          `event ${n} at the other replica`,
          () => seen.length >= n,
          10_000,
        );
      const created = await writer.create({
        metadata: { name: 'vm-1', namespace: 'ns', finalizers: ['f'] },
        spec,
      });
      await arrived(1);
      const running = await writer.updateStatus({
        ...created,
        status: { phase: 'Running' },
      });
      await arrived(2);
      const deleting = (await writer.delete('ns', 'vm-1'))!;
      await arrived(3);
      await writer.update({
        ...deleting,
        metadata: { ...deleting.metadata, finalizers: [] },
      });
      await arrived(4);
      await new Promise(resolve => setTimeout(resolve, 500));
      expect(summary(seen)).toEqual([
        `ADDED vm-1@${created.metadata.resourceVersion} remote`,
        `MODIFIED vm-1@${running.metadata.resourceVersion} remote`,
        `MODIFIED vm-1@${deleting.metadata.resourceVersion} remote`,
        expect.stringMatching(/^DELETED vm-1@\d+ remote$/),
      ]);
      expect(seen[1].object).toEqual(running);
      expect(Number(seen[3].object.metadata.resourceVersion)).toBeGreaterThan(
        Number(deleting.metadata.resourceVersion),
      );
    });

    it('delivers the latest state of an object changed several times in a row', async () => {
      const { writer, seen } = await twoReplicas({ pollIntervalMs: 60_000 });
      let current = await writer.create({
        metadata: { name: 'busy', namespace: 'ns' },
        spec,
      });
      for (let i = 0; i < 20; i++) {
        current = await writer.updateStatus({
          ...current,
          status: { ipAddress: `10.0.0.${i}` },
        });
      }
      await waitFor(
        'the last write at the other replica',
        () =>
          seen.at(-1)?.object.metadata.resourceVersion ===
          current.metadata.resourceVersion,
        10_000,
      );
      expect(seen.at(-1)?.object).toEqual(current);
      const versions = seen.map(e => Number(e.object.metadata.resourceVersion));
      expect(versions).toEqual([...versions].sort((x, y) => x - y));
      expect(new Set(versions).size).toBe(versions.length);
    });

    it('takes its own write for its own when the change feed reads the row before the write is answered', async () => {
      const { watcher, seen } = await twoReplicas({ pollIntervalMs: 50 });
      const created = await watcher.create({
        metadata: { name: 'slow-answer', namespace: 'ns' },
        spec,
      });
      // The answer of the compare-and-swap arrives late (a busy event loop, a slow socket): the
      // feed's poll and the NOTIFY read the committed row first.
      const pg = (watcher as any).pg;
      const original = pg.compareAndSwap.bind(pg);
      pg.compareAndSwap = async (...args: unknown[]) => {
        const written = await original(...args);
        await new Promise(resolve => setTimeout(resolve, 400));
        return written;
      };
      await watcher.updateStatus({ ...created, status: { phase: 'Running' } });
      await new Promise(resolve => setTimeout(resolve, 300));
      expect(summary(seen)).toEqual([
        `ADDED slow-answer@${created.metadata.resourceVersion}`,
        expect.stringMatching(/^MODIFIED slow-answer@\d+$/),
      ]);
    });

    it('delivers its own writes once, without the remote mark', async () => {
      const { watcher, seen } = await twoReplicas({ pollIntervalMs: 100 });
      const created = await watcher.create({
        metadata: { name: 'own', namespace: 'ns' },
        spec,
      });
      await watcher.updateStatus({ ...created, status: { phase: 'Running' } });
      // Several polls and the notifications of both writes.
      await new Promise(resolve => setTimeout(resolve, 1000));
      expect(summary(seen)).toEqual([
        `ADDED own@${created.metadata.resourceVersion}`,
        expect.stringMatching(/^MODIFIED own@\d+$/),
      ]);
    });

    it('heals with the polled change feed when notifications never arrive', async () => {
      const { writer, seen } = await twoReplicas({
        listen: false,
        pollIntervalMs: 200,
      });
      const created = await writer.create({
        metadata: { name: 'quiet', namespace: 'ns' },
        spec,
      });
      await waitFor(
        'the poll to deliver the create',
        () => seen.length >= 1,
        10_000,
      );
      await writer.delete('ns', 'quiet');
      await waitFor(
        'the poll to deliver the removal',
        () => seen.length >= 2,
        10_000,
      );
      expect(summary(seen)).toEqual([
        `ADDED quiet@${created.metadata.resourceVersion} remote`,
        expect.stringMatching(/^DELETED quiet@\d+ remote$/),
      ]);
    });

    it('delivers a write that commits after a newer one (sequence numbers are taken before commit)', async () => {
      const { writer, seen, knex } = await twoReplicas({
        pollIntervalMs: 300,
      });
      const slow = await writer.create({
        metadata: { name: 'slow', namespace: 'ns' },
        spec,
      });
      await waitFor('the create to arrive', () => seen.length === 1, 10_000);
      // A write that takes its resourceVersion now and commits later, as a slow writer would.
      const trx = await knex.transaction();
      const rows = await trx.raw(
        `UPDATE ${INSTANCES_TABLE}
            SET resource_version = nextval('vm_lifecycle_resource_version_seq'),
                object = object, changed_at = now()
          WHERE name = 'slow' RETURNING resource_version`,
      );
      const slowVersion = String(rows.rows[0].resource_version);
      const fast = await writer.create({
        metadata: { name: 'fast', namespace: 'ns' },
        spec,
      });
      await waitFor(
        'the newer write to arrive',
        () => seen.length === 2,
        10_000,
      );
      await trx.commit();
      await waitFor(
        'the older write to arrive after it',
        () => seen.length === 3,
        10_000,
      );
      expect(seen.map(e => e.object.metadata.name)).toEqual([
        'slow',
        'fast',
        'slow',
      ]);
      expect(Number(fast.metadata.resourceVersion)).toBeGreaterThan(
        Number(slowVersion),
      );
      expect(slow.metadata.uid).toBe(seen[2].object.metadata.uid);
    });

    it('listens again after its connection is killed', async () => {
      const { writer, seen, knex } = await twoReplicas({
        pollIntervalMs: 60_000,
      });
      const listeners = async () =>
        (
          await knex.raw(
            `SELECT pid FROM pg_stat_activity
              WHERE datname = current_database() AND query = 'LISTEN vm_lifecycle_changes'
                AND pid <> pg_backend_pid()`,
          )
        ).rows.map((r: { pid: number }) => r.pid);
      // The writer listens too (it has no watcher, so it never started): only the watcher's.
      const before = await waitFor('the LISTEN connection', async () => {
        const pids = await listeners();
        return pids.length === 1 ? pids : undefined;
      });
      await knex.raw('SELECT pg_terminate_backend(?)', [before[0]]);
      await waitFor(
        'a new LISTEN connection',
        async () => {
          const pids = await listeners();
          return pids.length === 1 && pids[0] !== before[0];
        },
        15_000,
        100,
      );
      await writer.create({
        metadata: { name: 'after', namespace: 'ns' },
        spec,
      });
      const after = await waitFor(
        'the notification on the new connection',
        () => seen.find(e => e.object.metadata.name === 'after'),
        10_000,
      );
      expect(after).toMatchObject({ type: 'ADDED', remote: true });
    });

    it('never waits for a table-wide lock, and writes a status in one statement', async () => {
      const { writer, knex } = await twoReplicas();
      const a = await writer.create({
        metadata: { name: 'a', namespace: 'ns' },
        spec,
      });
      // Another writer holds the old counter row and a row lock on another instance.
      const b = await writer.create({
        metadata: { name: 'b', namespace: 'ns' },
        spec,
      });
      const trx = await knex.transaction();
      try {
        await trx('vm_lifecycle_counters').forUpdate().select('*');
        await trx(INSTANCES_TABLE)
          .where({ uid: b.metadata.uid })
          .forUpdate()
          .select('uid');
        const statements: string[] = [];
        const onQuery = (q: { sql: string }) => statements.push(q.sql);
        knex.on('query', onQuery);
        const written = await Promise.race([
          writer.updateStatus({ ...a, status: { phase: 'Running' } }),
          new Promise<'blocked'>(resolve =>
            setTimeout(() => resolve('blocked'), 10_000),
          ),
        ]);
        knex.off('query', onQuery);
        expect(written).not.toBe('blocked');
        expect(statements).toHaveLength(1);
        expect(statements[0]).toMatch(/^WITH v AS MATERIALIZED .* UPDATE/s);
      } finally {
        await trx.rollback();
      }
    });

    it('keeps tombstones of removals and prunes them after the retention', async () => {
      const first = await newDatabase();
      pools.push(first);
      const store = await DatabaseStore.create({
        knex: first,
        changeFeed: { pollIntervalMs: 100, tombstoneRetentionMs: 0 },
      });
      stores.push(store);
      await store.create({ metadata: { name: 'gone', namespace: 'ns' }, spec });
      await store.delete('ns', 'gone');
      expect(await first(TOMBSTONES_TABLE).count({ n: '*' })).toEqual([
        { n: '1' },
      ]);
      store.watch(() => undefined);
      await waitFor(
        'the tombstone to be pruned',
        async () =>
          (await first(TOMBSTONES_TABLE).count({ n: '*' }))[0].n === '0',
        10_000,
      );
    });
  });
}
