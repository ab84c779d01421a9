import { apiGroupNames } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import { instanceToRow } from '../store/DatabaseStore';
import {
  INSTANCES_TABLE,
  MIGRATIONS_TABLE,
  applyDatabaseMigrations,
  migrationsDirectory,
} from '../store/migrations';
import { availableDatabases } from '../store/__testUtils__/testDatabases';
import { QuotaLedger } from './QuotaLedger';

const names = apiGroupNames();
const migrator = {
  directory: migrationsDirectory(),
  tableName: MIGRATIONS_TABLE,
  loadExtensions: ['.js'],
};
const BEFORE = [
  '20250601000000_init.js',
  '20261126120000_leases.js',
  '20261202070000_replicas.js',
  '20261202080000_list_page_columns.js',
];

function instance(
  i: number,
  annotations: Record<string, string>,
  spec: Record<string, unknown>,
) {
  return {
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
      annotations,
      finalizers: [names.finalizer],
    },
    spec: {
      templateID: 't',
      image: { sourceType: 'registry', sourceRef: 'quay.io/x:1' },
      runStrategy: 'Always',
      ...spec,
    },
    status: {},
  };
}

describe.each(availableDatabases())(
  'the quota ledger migration on a %s database that holds data',
  (_backend, newDatabase) => {
    let knex: Knex;
    afterEach(async () => {
      await knex.destroy();
    });

    it('charges every existing VM to its owner, else its requester, and then admits against that', async () => {
      knex = await newDatabase();
      for (const name of BEFORE) await knex.migrate.up({ ...migrator, name });
      const rows = [
        instance(
          0,
          {
            [names.ownerAnnotation]: 'group:default/web',
            [names.requestedByAnnotation]: 'user:default/alice',
          },
          {
            cores: 4,
            memoryGiB: 8,
            bootDisk: { sizeGiB: 20 },
            additionalDisks: [{ sizeGiB: 100 }],
          },
        ),
        instance(
          1,
          { [names.requestedByAnnotation]: 'user:default/alice' },
          { cores: 2, memoryGiB: 4, bootDisk: { sizeGiB: 10 } },
        ),
        instance(
          2,
          { [names.ownerAnnotation]: 'group:default/web' },
          { cores: 8, memoryGiB: 16, bootDisk: { sizeGiB: 30 } },
        ),
      ];
      await knex(INSTANCES_TABLE).insert(
        rows.map(r => instanceToRow(r as any, names)),
      );

      await applyDatabaseMigrations(knex);
      const ledger = await QuotaLedger.create({ knex });
      const usage = await ledger.usage([
        'group:default/web',
        'user:default/alice',
      ]);
      expect(usage.get('group:default/web')).toEqual({
        instances: 2,
        cores: 12,
        memoryGiB: 24,
        diskGiB: 150,
      });
      expect(usage.get('user:default/alice')).toEqual({
        instances: 1,
        cores: 2,
        memoryGiB: 4,
        diskGiB: 10,
      });
      const more = { instances: 1, cores: 5, memoryGiB: 1, diskGiB: 1 };
      expect(
        (
          await ledger.admit('group:default/web', { cores: 16 }, more, {
            namespace: 'ns',
            name: 'x',
          })
        ).admitted,
      ).toBe(false);
      // A migrated charge is released by the VM's uid like a new one.
      expect(await ledger.release(rows[2].metadata.uid)).toBe(true);
      expect(
        (
          await ledger.admit('group:default/web', { cores: 16 }, more, {
            namespace: 'ns',
            name: 'x',
          })
        ).admitted,
      ).toBe(true);
    });

    it('refuses to migrate down', async () => {
      knex = await newDatabase();
      await applyDatabaseMigrations(knex);
      // This migration's own down, whatever migrations came after it.
      await expect(
        knex.migrate.down({
          ...migrator,
          name: '20261202150000_quota_ledger.js',
        }),
      ).rejects.toThrow(/forward-only.*quota_ledger/);
    });
  },
);
