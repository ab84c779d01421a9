import { mockServices } from '@backstage/backend-test-utils';
import {
  ComputeInstance,
  isLaunchIntent,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import knexFactory, { Knex } from 'knex';
import { AapClient } from '../aap/AapClient';
import { AapDirectProvider } from '../providers/AapDirectProvider';
import { DatabaseStore } from '../store/DatabaseStore';
import { FenceSource } from '../store/fencing';
import { ComputeInstanceStore } from '../store/types';
import { availableDatabases } from '../store/__testUtils__/testDatabases';
import { startFaultProxy } from '../__testUtils__/faultProxy';
import {
  createIntegrationEnv,
  jobsOfInstanceProblems,
  SIM_TOKEN,
} from '../__testUtils__/integration';
import { DatabaseLeaderElector } from './databaseLease';

jest.setTimeout(90_000);

type Env = Awaited<ReturnType<typeof createIntegrationEnv>>;

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

const LEASE = { leaseDurationMs: 2000, renewIntervalMs: 250 };

/**
 * Leaders are fenced (issue 18.1), end to end: two real controllers, each with its own database
 * store and lease elector, on one database, against the AAP simulator over HTTP. Replica A is made
 * to go on believing it leads after replica B took its lease over.
 */
describe.each(availableDatabases())(
  'fenced leaders: two controllers on one %s database + AAP simulator over HTTP',
  (db, makeKnex) => {
    let knexA: Knex;
    let knexB: Knex;
    let env: Env;
    let storeB: DatabaseStore;
    const electors: DatabaseLeaderElector[] = [];
    const closers: Array<() => Promise<void>> = [];

    beforeEach(async () => {
      knexA = await makeKnex();
      env = await createIntegrationEnv(knexA, {
        durations: { provisionMs: 1200, deprovisionMs: 300 },
      });
      // Replica B: its own connection pool and store on the same database (SQLite: one process).
      knexB =
        db === 'PostgreSQL' ? knexFactory({ ...knexA.client.config }) : knexA;
      storeB = await DatabaseStore.create({ knex: knexB });
    });

    afterEach(async () => {
      await env?.close();
      for (const e of electors.splice(0)) await e.stop();
      for (const close of closers.splice(0)) await close();
      await storeB?.close();
      if (knexB !== knexA) await knexB.destroy();
      await env?.store.close();
      await knexA.destroy();
    });

    function elector(
      knex: Knex,
      identity: string,
      monotonicNow?: () => number,
    ) {
      const e = new DatabaseLeaderElector({
        knex,
        logger: mockServices.logger.mock(),
        identity,
        ...LEASE,
        ...(monotonicNow ? { monotonicNow } : {}),
      });
      electors.push(e);
      return e;
    }

    /** The elector's renewals stop (a stalled database connection, a paused timer); the process runs on. */
    function stopRenewals(e: DatabaseLeaderElector) {
      clearInterval((e as unknown as { timer: NodeJS.Timeout }).timer);
    }

    it('both believe they lead: exactly one AAP job per intent, and the stale leader stops', async () => {
      // A's sense of time stands still once it is paused, so nothing local tells it that it lost.
      const clock: { frozenAt?: number } = {};
      const electorA = elector(
        knexA,
        'a',
        () => clock.frozenAt ?? performance.now(),
      );
      // A's reconciles stall for 7 s right after persisting a launch intent (a paused process,
      // a starved event loop), then go on to launch.
      const storeA = pausingAfterIntent(env.store, 7000);
      const settle = { unknownOutcomeSettleMs: 3000 };
      const loggerA = mockServices.logger.mock();
      const a = env.newController(
        { leaderElector: electorA, store: storeA, logger: loggerA, ...settle },
        { timeoutMs: 2500 },
      ).controller;
      a.start();
      await env.waitFor('a to lead', async () => a.isLeading());
      stopRenewals(electorA);
      clock.frozenAt = performance.now();
      const b = env.newController(
        { leaderElector: elector(knexB, 'b'), store: storeB, ...settle },
        { timeoutMs: 2500 },
      ).controller;
      b.start();

      const names = ['both-1', 'both-2', 'both-3'];
      await Promise.all(names.map(n => env.create(n)));
      await env.waitFor('a to persist every launch intent', async () =>
        names.every(n => storeA.pausedNames.has(n)),
      );
      await env.waitFor('b to lead', async () => b.isLeading(), 10_000);
      expect(a.isLeading()).toBe(true); // the overlap: both believe they lead

      // B adopts the intents A persisted (the launch-intent path) and launches each once.
      for (const n of names) await env.waitForPhase(n, 'Running', 30_000);
      // A wakes up 7 s after its intents and would launch now; give it time to do so.
      await env.waitFor(
        'a to wake up',
        async () => storeA.state.resumed >= names.length,
        15_000,
      );
      await sleep(1500);
      for (const n of names) {
        expect(
          jobsOfInstanceProblems(env.simJobsOf(n), { provision: 1 }),
        ).toEqual([]);
        const stored = (await env.store.get('default', n))!;
        const provisions = (stored.status.provisioningJobs ?? []).filter(
          j => j.type === 'provision',
        );
        expect(provisions).toHaveLength(1);
        expect(provisions[0].state).toBe('Succeeded');
      }
      expect(env.sim.jobs()).toHaveLength(names.length);
      // A learnt from the database that it lost, and stepped down.
      await env.waitFor('a to stop leading', async () => !a.isLeading());
      // Its refused writes and its unsent launches stopped its reconciles: logged once, never retried.
      const warnings = loggerA.warn.mock.calls.map(c => String(c[0]));
      expect(warnings.filter(w => / stopped: /.test(w))).toHaveLength(1);
      expect(
        warnings.filter(
          w => /failed, retrying/.test(w) && /lease|refused/.test(w),
        ),
      ).toEqual([]);
    });

    it('a launch held in flight by a slow network is abandoned when the lease is lost; the new leader launches the one job', async () => {
      const proxy = await startFaultProxy(env.url);
      closers.push(() => proxy.close());
      proxy.inject(/\/launch\/$/, { kind: 'delay', ms: 3000 });
      const electorA = elector(knexA, 'a');
      // A reaches AAP through the proxy; its requests would outlast the proxy's delay.
      const clientA = new AapClient({
        baseUrl: `${proxy.url}/api/controller/v2`,
        token: SIM_TOKEN,
        retryBaseDelayMs: 20,
        timeoutMs: 3500,
      });
      const settle = { unknownOutcomeSettleMs: 4000 };
      const a = env.newController({
        leaderElector: electorA,
        provider: new AapDirectProvider({ client: clientA }),
        ...settle,
      }).controller;
      a.start();
      await env.waitFor('a to lead', async () => a.isLeading());
      const b = env.newController(
        { leaderElector: elector(knexB, 'b'), store: storeB, ...settle },
        { timeoutMs: 3500 },
      ).controller;
      b.start();
      stopRenewals(electorA);
      const stalledAt = Date.now();
      await env.create('held');
      await env.waitFor("a's launch to be held by the proxy", async () =>
        proxy.requests.some(p => p.endsWith('/launch/')),
      );
      await env.waitFor(
        'a to stop leading by itself',
        async () => !a.isLeading(),
      );
      const stoppedAfter = Date.now() - stalledAt;
      await env.waitFor('b to lead', async () => b.isLeading(), 10_000);
      // A stepped down before its lease could expire for B (lease 2 s, margin 0.4 s).
      expect(stoppedAfter).toBeLessThan(LEASE.leaseDurationMs);
      const running = await env.waitForPhase('held', 'Running', 30_000);
      await sleep(500);
      // A's launch never reached AAP: it was abandoned with A's term.
      expect(proxy.forwarded.filter(r => r.endsWith('/launch/'))).toEqual([]);
      const jobs = env.simJobsOf('held');
      expect(jobsOfInstanceProblems(jobs, { provision: 1 })).toEqual([]);
      const recorded = (running.status.provisioningJobs ?? []).filter(
        j => j.type === 'provision',
      );
      expect(recorded.map(j => j.jobID)).toEqual([String(jobs[0].id)]);
    });
  },
);

/**
 * The database store, with each instance's reconcile stalling once right after its first launch
 * intent is persisted. Fenceable like the store it wraps, so the controller fences it.
 */
function pausingAfterIntent(
  base: DatabaseStore | ComputeInstanceStore,
  pauseMs: number,
) {
  const pausedNames = new Set<string>();
  const state = { resumed: 0 };
  const wrap = (inner: ComputeInstanceStore): ComputeInstanceStore => ({
    get: (ns, n) => inner.get(ns, n),
    list: o => inner.list(o),
    listPage: r => inner.listPage(r),
    watch: l => inner.watch(l),
    create: i => inner.create(i),
    update: i => inner.update(i),
    delete: (ns, n) => inner.delete(ns, n),
    async updateStatus(instance: ComputeInstance) {
      const written = await inner.updateStatus(instance);
      const name = written.metadata.name;
      const intent = (written.status.provisioningJobs ?? []).some(
        j => isLaunchIntent(j) && j.state === 'Pending',
      );
      if (intent && !pausedNames.has(name)) {
        pausedNames.add(name);
        await sleep(pauseMs);
        state.resumed++;
      }
      return written;
    },
  });
  const fenceable = base as Partial<DatabaseStore>;
  return Object.assign(wrap(base), {
    pausedNames,
    state,
    ...(fenceable.fenced
      ? {
          fenced: (fence: FenceSource) =>
            wrap((base as DatabaseStore).fenced(fence)),
        }
      : {}),
  });
}
