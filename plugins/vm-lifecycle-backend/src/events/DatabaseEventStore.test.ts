import { ComputeInstanceSpec } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import { DatabaseStore } from '../store/DatabaseStore';
import {
  DatabaseFactory,
  availableDatabases,
} from '../store/__testUtils__/testDatabases';
import { DatabaseEventStore } from './DatabaseEventStore';
import { runEventStoreContractTests } from './eventStoreContract';

const spec: ComputeInstanceSpec = {
  templateID: 'tpl',
  image: { sourceType: 'registry', sourceRef: 'quay.io/x/y:latest' },
  cores: 1,
  memoryGiB: 1,
  bootDisk: { sizeGiB: 10 },
  runStrategy: 'Always',
};

// One entry per backend: SQLite always, PostgreSQL only when its connection variable is set.
describe.each(availableDatabases())(
  'on %s',
  (_backend, newDatabase: DatabaseFactory) => {
    runEventStoreContractTests('DatabaseEventStore', async options => {
      const knex = await newDatabase();
      const store = await DatabaseEventStore.create({ knex, ...options });
      return { store, close: () => knex.destroy() };
    });

    describe('DatabaseEventStore with the instance store', () => {
      let knex: Knex;
      beforeEach(async () => {
        knex = await newDatabase();
      });
      afterEach(async () => {
        await knex.destroy();
      });

      it('shares the database and keeps the history after the instance is deleted', async () => {
        const instances = await DatabaseStore.create({ knex });
        const events = await DatabaseEventStore.create({
          knex,
          skipMigrations: true,
        });
        const created = await instances.create({
          metadata: { name: 'vm-1', namespace: 'ns' },
          spec,
        });
        const ref = {
          namespace: 'ns',
          name: 'vm-1',
          uid: created.metadata.uid,
        };
        await events.record(ref, {
          type: 'Normal',
          reason: 'Created',
          message: 'requested',
        });
        await instances.delete('ns', 'vm-1');
        await events.record(ref, {
          type: 'Normal',
          reason: 'Deleted',
          message: 'gone',
        });
        expect((await events.list(ref)).map(e => e.reason)).toEqual([
          'Created',
          'Deleted',
        ]);
      });
    });
  },
);
