import { mockServices } from '@backstage/backend-test-utils';
import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import knexFactory, { Knex } from 'knex';
import { DatabaseLeaderElector } from '../controller/databaseLease';
import { sampleSpec } from '../__testUtils__/harness';
import { DatabaseStore } from './DatabaseStore';
import { isFencedWriteError } from './fencing';
import { availableDatabases } from './__testUtils__/testDatabases';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * Two replicas' electors and stores on one database (PostgreSQL: separate connection pools on the
 * same schema). A replica paused past its lease wakes up still believing it leads: its writes are
 * refused by the store, in the statement that writes, and the new leader's state stays.
 */
describe.each(availableDatabases())(
  'fenced controller writes on %s',
  (db, makeKnex) => {
    let knexA: Knex;
    let knexB: Knex;
    const electors: DatabaseLeaderElector[] = [];
    const stores: DatabaseStore[] = [];

    beforeEach(async () => {
      knexA = await makeKnex();
      knexB =
        db === 'PostgreSQL' ? knexFactory({ ...knexA.client.config }) : knexA;
    });

    afterEach(async () => {
      for (const e of electors.splice(0)) await e.stop();
      for (const s of stores.splice(0)) await s.close();
      if (knexB !== knexA) await knexB.destroy();
      await knexA.destroy();
    });

    async function replica(knex: Knex, identity: string) {
      const store = await DatabaseStore.create({ knex, changeFeed: false });
      stores.push(store);
      const clock: { frozenAt?: number } = {};
      const elector = new DatabaseLeaderElector({
        knex,
        logger: mockServices.logger.mock(),
        identity,
        leaseDurationMs: 600,
        renewIntervalMs: 100,
        monotonicNow: () => clock.frozenAt ?? performance.now(),
      });
      electors.push(elector);
      elector.start({
        onStartedLeading: async () => {},
        onStoppedLeading: async () => {},
      });
      return {
        store,
        elector,
        fenced: store.fenced(() => elector.fence()),
        /** A paused process: no renewal, and its own clock stands still, so it still believes it leads. */
        pause() {
          clearInterval(
            (elector as unknown as { timer: NodeJS.Timeout }).timer,
          );
          clock.frozenAt = performance.now();
        },
      };
    }

    function withMessage(obj: ComputeInstance, message: string) {
      return {
        ...obj,
        status: {
          ...obj.status,
          phase: 'Starting' as const,
          desiredConfigVersion: message,
        },
      };
    }

    it("refuses the paused leader's writes once another replica leads; the new leader's state wins", async () => {
      const a = await replica(knexA, 'a');
      while (!a.elector.isLeader()) await sleep(10);
      const created = await a.store.create({
        metadata: { name: 'vm-1', namespace: 'default' },
        spec: sampleSpec(),
      });
      const byA = await a.fenced.updateStatus(withMessage(created, 'from a'));
      const b = await replica(knexB, 'b');
      a.pause();
      while (!b.elector.isLeader()) await sleep(10);
      expect(a.elector.isLeader()).toBe(true); // both believe they lead

      const current = (await b.store.get('default', 'vm-1'))!;
      expect(current.metadata.resourceVersion).toBe(
        byA.metadata.resourceVersion,
      );
      const byB = await b.fenced.updateStatus(withMessage(current, 'from b'));
      // a writes with the current resourceVersion: only the fence can refuse it.
      const fresh = (await a.store.get('default', 'vm-1'))!;
      const refused = await a.fenced
        .updateStatus(withMessage(fresh, 'stale a'))
        .catch(e => e);
      expect(isFencedWriteError(refused)).toBe(true);
      expect(refused.message).toMatch(/epoch 1 of a is no longer/);
      const refusedFinalizer = await a.fenced
        .update({
          ...fresh,
          metadata: { ...fresh.metadata, finalizers: ['x/y'] },
        })
        .catch(e => e);
      expect(isFencedWriteError(refusedFinalizer)).toBe(true);
      const refusedDelete = await a.fenced
        .delete('default', 'vm-1')
        .catch(e => e);
      expect(isFencedWriteError(refusedDelete)).toBe(true);
      const refusedCreate = await a.fenced
        .create({
          metadata: { name: 'vm-2', namespace: 'default' },
          spec: sampleSpec(),
        })
        .catch(e => e);
      expect(isFencedWriteError(refusedCreate)).toBe(true);

      const stored = (await b.store.get('default', 'vm-1'))!;
      expect(stored.status.desiredConfigVersion).toBe('from b');
      expect(stored.metadata.resourceVersion).toBe(
        byB.metadata.resourceVersion,
      );
      expect(stored.metadata.finalizers).toEqual([]);
      expect(stored.metadata.deletionTimestamp).toBeUndefined();
      expect(await b.store.get('default', 'vm-2')).toBeUndefined();
      // Writes through the REST API are not fenced: a's unfenced store still writes.
      await a.store.delete('default', 'vm-1');
      expect(await b.store.get('default', 'vm-1')).toBeUndefined();
    });

    it('refuses writes under an expired lease that nobody took over', async () => {
      const a = await replica(knexA, 'a');
      while (!a.elector.isLeader()) await sleep(10);
      const created = await a.store.create({
        metadata: { name: 'vm-1', namespace: 'default' },
        spec: sampleSpec(),
      });
      a.pause();
      await sleep(700); // past the lease duration, by any clock
      expect(a.elector.fence()).toBeDefined(); // it still believes
      const refused = await a.fenced
        .updateStatus(withMessage(created, 'too late'))
        .catch(e => e);
      expect(isFencedWriteError(refused)).toBe(true);
      expect(
        (await a.store.get('default', 'vm-1'))!.status.desiredConfigVersion,
      ).toBe(undefined);
    });

    it('refuses at once, without a statement, when the writer knows it does not lead', async () => {
      const store = await DatabaseStore.create({
        knex: knexA,
        changeFeed: false,
      });
      stores.push(store);
      const created = await store.create({
        metadata: { name: 'vm-1', namespace: 'default' },
        spec: sampleSpec(),
      });
      const refused = await store
        .fenced(() => undefined)
        .updateStatus(withMessage(created, 'no lease'))
        .catch(e => e);
      expect(isFencedWriteError(refused)).toBe(true);
      expect(refused.message).toMatch(/does not hold the controller lease/);
    });
  },
);
