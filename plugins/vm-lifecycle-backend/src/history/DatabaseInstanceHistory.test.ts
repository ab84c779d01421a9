import {
  ComputeInstance,
  apiGroupNames,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import { DatabaseEventStore } from '../events/DatabaseEventStore';
import {
  EVENTS_TABLE,
  MIGRATIONS_TABLE,
  applyDatabaseMigrations,
  migrationsDirectory,
} from '../store/migrations';
import { availableDatabases } from '../store/__testUtils__/testDatabases';
import { DatabaseInstanceHistory } from './DatabaseInstanceHistory';

const names = apiGroupNames();
const DAY = 24 * 60 * 60 * 1000;

function instance(name: string, uid: string): ComputeInstance {
  return {
    apiVersion: names.apiVersion,
    kind: 'ComputeInstance',
    metadata: {
      name,
      namespace: 'ns',
      uid,
      resourceVersion: '7',
      creationTimestamp: '2026-11-01T10:00:00Z',
      deletionTimestamp: '2026-11-02T10:00:00Z',
      finalizers: [],
      labels: {},
      annotations: { [names.requestedByAnnotation]: 'user:default/alice' },
    },
    spec: {
      templateID: 't',
      image: { sourceType: 'registry', sourceRef: 'quay.io/x:1' },
      cores: 1,
      memoryGiB: 1,
      bootDisk: { sizeGiB: 10 },
      runStrategy: 'Always',
    },
    status: { phase: 'Deleting' },
  };
}

const migrator = {
  directory: migrationsDirectory(),
  tableName: MIGRATIONS_TABLE,
  loadExtensions: ['.js'],
};

describe.each(availableDatabases())(
  'DatabaseInstanceHistory on %s',
  (_db, newDatabase) => {
    let knex: Knex;
    let now: Date;

    beforeEach(async () => {
      knex = await newDatabase();
      now = new Date('2026-12-01T00:00:00Z');
    });

    afterEach(async () => {
      await knex.destroy();
    });

    it('keeps the last state by uid, newest first by name, and prunes it with its events after the retention', async () => {
      const history = await DatabaseInstanceHistory.create({
        knex,
        now: () => now,
      });
      const events = await DatabaseEventStore.create({
        knex,
        skipMigrations: true,
      });
      const first = instance('web-1', 'uid-1');
      await events.record(first.metadata, {
        type: 'Normal',
        reason: 'DeprovisionJobSucceeded',
        message: 'gone',
      });
      await history.recordDeleted(first);
      // Seen again by another replica: the first record stays.
      await history.recordDeleted({ ...first, status: { phase: 'Running' } });
      now = new Date(now.getTime() + DAY);
      const second = instance('web-1', 'uid-2');
      await history.recordDeleted(second);

      expect((await history.get('uid-1'))?.instance).toEqual(first);
      expect((await history.listByName('ns', 'web-1')).map(d => d.uid)).toEqual(
        ['uid-2', 'uid-1'],
      );

      // 30 days (the default) after the first deletion: only the first is past it.
      now = new Date(now.getTime() + 29 * DAY + 1);
      expect(await history.get('uid-1')).toBeUndefined();
      expect(await history.get('uid-2')).toBeDefined();
      expect(await history.prune()).toBe(1);
      expect(await knex(EVENTS_TABLE).where('uid', 'uid-1')).toEqual([]);
      expect((await history.listByName('ns', 'web-1')).map(d => d.uid)).toEqual(
        ['uid-2'],
      );
      expect(await history.prune()).toBe(0);
    });

    it('migrates a database that holds events from the previous schema', async () => {
      await knex.migrate.up({ ...migrator, name: '20250601000000_init.js' });
      await knex.migrate.up({ ...migrator, name: '20261126120000_leases.js' });
      await knex.migrate.up({
        ...migrator,
        name: '20261202070000_replicas.js',
      });
      await knex.migrate.up({
        ...migrator,
        name: '20261202080000_list_page_columns.js',
      });
      await knex(EVENTS_TABLE).insert({
        uid: 'old-uid',
        namespace: 'ns',
        name: 'old',
        timestamp: '2026-11-30T10:00:00Z',
        type: 'Normal',
        reason: 'ProvisionJobSucceeded',
        message: 'ok',
        job_id: null,
      });
      await applyDatabaseMigrations(knex);
      const history = await DatabaseInstanceHistory.create({
        knex,
        now: () => now,
      });
      await history.recordDeleted(instance('old', 'old-uid'));
      expect((await history.get('old-uid'))?.instance.metadata.name).toBe(
        'old',
      );
      const events = await DatabaseEventStore.create({
        knex,
        skipMigrations: true,
      });
      expect(
        (await events.list({ namespace: 'ns', name: 'old', uid: 'old-uid' }))
          .length,
      ).toBe(1);
      await expect(knex.migrate.down(migrator)).rejects.toThrow(/forward-only/);
    });
  },
);
