import { mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../store/migrations';
import { availableDatabases } from '../store/__testUtils__/testDatabases';
import { DatabaseLeaderElector } from './databaseLease';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** A process that dies stops renewing and never releases its lease. */
function crashWithoutRelease(e: DatabaseLeaderElector) {
  clearInterval((e as unknown as { timer: NodeJS.Timeout }).timer);
}

describe.each(availableDatabases())(
  'DatabaseLeaderElector on %s',
  (_db, makeKnex) => {
    let knex: Knex;
    beforeEach(async () => {
      knex = await makeKnex();
      await applyDatabaseMigrations(knex);
    });
    afterEach(async () => {
      await knex.destroy();
    });

    function elector(identity: string, leadership: string[]) {
      const e = new DatabaseLeaderElector({
        knex,
        logger: mockServices.logger.mock(),
        identity,
        leaseDurationMs: 600,
        renewIntervalMs: 100,
      });
      e.start({
        onStartedLeading: async () => {
          leadership.push(`${identity}+`);
        },
        onStoppedLeading: async () => {
          leadership.push(`${identity}-`);
        },
      });
      return e;
    }

    it('elects exactly one leader and hands over at once on a clean stop', async () => {
      const log: string[] = [];
      const a = elector('a', log);
      await sleep(50);
      const b = elector('b', log);
      await sleep(300);
      expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
      const stoppedAt = Date.now();
      await a.stop();
      while (!b.isLeader()) await sleep(10);
      expect(Date.now() - stoppedAt).toBeLessThan(300);
      expect(log).toEqual(['a+', 'a-', 'b+']);
      await b.stop();
    });

    it('takes over from a crashed holder only after its lease expired', async () => {
      const log: string[] = [];
      const a = elector('a', log);
      await sleep(50);
      const b = elector('b', log);
      await sleep(200);
      crashWithoutRelease(a);
      const crashedAt = Date.now();
      while (!b.isLeader()) await sleep(10);
      const takeover = Date.now() - crashedAt;
      expect(takeover).toBeGreaterThanOrEqual(300);
      expect(takeover).toBeLessThan(600 + 100 + 200);
      await b.stop();
    });
  },
);
