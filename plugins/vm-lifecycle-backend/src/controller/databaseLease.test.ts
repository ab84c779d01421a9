import { mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import {
  applyDatabaseMigrations,
  MIGRATIONS_TABLE,
  migrationsDirectory,
} from '../store/migrations';
import { availableDatabases } from '../store/__testUtils__/testDatabases';
import {
  DatabaseLeaderElector,
  DatabaseLeaderElectorOptions,
} from './databaseLease';

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
    const started: DatabaseLeaderElector[] = [];
    afterEach(async () => {
      for (const e of started.splice(0)) await e.stop();
      await knex.destroy();
    });

    function elector(
      identity: string,
      leadership: string[],
      overrides: Partial<DatabaseLeaderElectorOptions> = {},
    ) {
      const e = new DatabaseLeaderElector({
        knex,
        logger: mockServices.logger.mock(),
        identity,
        leaseDurationMs: 600,
        renewIntervalMs: 100,
        ...overrides,
      });
      started.push(e);
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

    const lease = () =>
      knex('vm_lifecycle_leases').first('holder', 'epoch', 'expires_at');

    it('judges expiry by the database clock: a replica whose Date.now() is 60 s ahead does not take over a valid lease', async () => {
      const log: string[] = [];
      const a = elector('a', log);
      while (!a.isLeader()) await sleep(10);
      // From here on every Date.now() in the process is 60 s ahead: the lease a wrote is, by that
      // clock, long expired. Only the database's clock may judge it.
      const realNow = Date.now;
      const skewed = jest
        .spyOn(Date, 'now')
        .mockImplementation(() => realNow() + 60_000);
      try {
        const b = elector('b', log);
        await sleep(800); // longer than the lease: a renews several times meanwhile
        expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
        expect(log).toEqual(['a+']);
        crashWithoutRelease(a);
        const crashedAt = realNow();
        while (!b.isLeader()) await sleep(10);
        // Taken over only once the lease really expired, by the database's clock.
        expect(realNow() - crashedAt).toBeGreaterThanOrEqual(300);
        await b.stop();
      } finally {
        skewed.mockRestore();
      }
    });

    it('increments the epoch on every acquisition and keeps it on renewal', async () => {
      const log: string[] = [];
      const a = elector('a', log);
      while (!a.isLeader()) await sleep(10);
      expect(a.fence()).toEqual({
        name: 'vm-lifecycle-controller',
        holder: 'a',
        epoch: 1,
      });
      await sleep(300); // renewed a few times
      expect(a.fence()?.epoch).toBe(1);
      expect(await lease()).toMatchObject({ holder: 'a' });
      expect(Number((await lease()).epoch)).toBe(1);
      const b = elector('b', log);
      await a.stop();
      while (!b.isLeader()) await sleep(10);
      expect(b.fence()?.epoch).toBe(2);
      expect(a.fence()).toBeUndefined();
      const again = elector('a2', log);
      await b.stop();
      while (!again.isLeader()) await sleep(10);
      expect(again.fence()?.epoch).toBe(3);
      await again.stop();
    });

    it('stops acting on its own when it cannot renew: before the lease can expire for the others', async () => {
      const log: string[] = [];
      const events: Array<[string, number]> = [];
      const a = elector('a', log, { safetyMarginMs: 200 });
      while (!a.isLeader()) await sleep(10);
      const b = elector('b', [], {});
      // The renewals stop (a stalled database connection of a's, a paused timer), a's process runs on.
      crashWithoutRelease(a);
      const stalledAt = Date.now();
      while (a.isLeader()) await sleep(5);
      events.push(['a stopped', Date.now() - stalledAt]);
      expect(a.fence()).toBeUndefined();
      expect(await a.confirmLeadership()).toBe(false);
      // The controller is told at once (its requests in flight are aborted then).
      while (!log.includes('a-')) await sleep(5);
      expect(Date.now() - stalledAt).toBeLessThan(500);
      expect(log).toEqual(['a+', 'a-']);
      while (!b.isLeader()) await sleep(5);
      events.push(['b leads', Date.now() - stalledAt]);
      // a stops within lease - margin (400 ms) of its last renewal; b leads no earlier than the
      // lease duration (600 ms) after it.
      expect(events[0][1]).toBeLessThan(450);
      expect(events[1][1]).toBeGreaterThan(events[0][1]);
      await b.stop();
    });

    it('a paused holder whose clock did not move learns from the database that it lost', async () => {
      const log: string[] = [];
      const clock: { frozenAt?: number } = {};
      const a = elector('a', log, {
        monotonicNow: () => clock.frozenAt ?? performance.now(),
      });
      while (!a.isLeader()) await sleep(10);
      // Paused: no renewal, and its own sense of time stands still, so it still believes it leads.
      crashWithoutRelease(a);
      clock.frozenAt = performance.now();
      const b = elector('b', []);
      while (!b.isLeader()) await sleep(10);
      expect(a.isLeader()).toBe(true);
      expect(await a.confirmLeadership()).toBe(false);
      while (a.isLeader()) await sleep(5);
      expect(log).toEqual(['a+', 'a-']);
      await b.stop();
    });
  },
);

describe.each(availableDatabases())(
  'the lease epoch migration on %s',
  (_db, makeKnex) => {
    const migrator = {
      directory: migrationsDirectory(),
      tableName: MIGRATIONS_TABLE,
      loadExtensions: ['.js'],
    };

    it('keeps a lease held before it and fences from the next acquisition on', async () => {
      const knex = await makeKnex();
      try {
        // The schema before the epoch migration, with a lease an old replica held (its own clock).
        for (const name of [
          '20250601000000_init.js',
          '20261126120000_leases.js',
          '20261202070000_replicas.js',
        ])
          await knex.migrate.up({ ...migrator, name });
        const now = Date.now();
        await knex('vm_lifecycle_leases').insert({
          name: 'vm-lifecycle-controller',
          holder: 'old-replica',
          acquired_at: now - 60_000,
          renewed_at: now,
          expires_at: now + 300,
        });
        await applyDatabaseMigrations(knex);
        const row = await knex('vm_lifecycle_leases').first();
        expect(row).toMatchObject({ holder: 'old-replica' });
        expect(Number(row.epoch)).toBe(0);

        const log: string[] = [];
        const e = new DatabaseLeaderElector({
          knex,
          logger: mockServices.logger.mock(),
          identity: 'new',
          leaseDurationMs: 600,
          renewIntervalMs: 100,
        });
        e.start({
          onStartedLeading: async () => {
            log.push('new+');
          },
          onStoppedLeading: async () => {
            log.push('new-');
          },
        });
        // The old holder's lease is honoured until it expires, then taken with epoch 1.
        await sleep(100);
        expect(e.isLeader()).toBe(false);
        while (!e.isLeader()) await sleep(10);
        expect(e.fence()?.epoch).toBe(1);
        await e.stop();
        expect(log).toEqual(['new+', 'new-']);
      } finally {
        await knex.destroy();
      }
    });
  },
);
