import { Knex } from 'knex';
import { availableDatabases } from '../store/__testUtils__/testDatabases';
import {
  createIntegrationEnv,
  jobsOfInstanceProblems,
} from '../__testUtils__/integration';
import { DatabaseLeaderElector } from './databaseLease';
import { mockServices } from '@backstage/backend-test-utils';

jest.setTimeout(60_000);

type Env = Awaited<ReturnType<typeof createIntegrationEnv>>;

/** No overlapping jobs, no duplicates, and (every instance here is deleted) a successful deprovision. */
function assertNoDuplicateJobs(env: Env, name: string) {
  const jobs = env.simJobsOf(name);
  expect(jobsOfInstanceProblems(jobs)).toEqual([]);
  const deprovisions = jobs.filter(j => j.template.includes('delete'));
  expect(deprovisions.some(j => j.status === 'successful')).toBe(true);
}

describe.each(availableDatabases())(
  'controller + %s store + AAP simulator over HTTP',
  (_db, makeKnex) => {
    let knex: Knex;
    let env: Env;

    beforeEach(async () => {
      knex = await makeKnex();
    });

    afterEach(async () => {
      await env?.close();
      await knex.destroy();
    });

    it('a requested VM reaches Running with its provision job Succeeded and a VM in the inventory', async () => {
      env = await createIntegrationEnv(knex);
      env.newController().controller.start();
      await env.create('web-1');
      const vm = await env.waitForPhase('web-1', 'Running');
      expect(vm.status.provisioningJobs).toEqual([
        expect.objectContaining({ type: 'provision', state: 'Succeeded' }),
      ]);
      expect(env.sim.vms()).toEqual([
        expect.objectContaining({
          namespace: 'default',
          name: 'web-1',
          uid: vm.metadata.uid,
        }),
      ]);
      // The event follows the status write that made the phase Running.
      const events = await env.waitFor('the success event', async () => {
        const list = await env.events.list(vm.metadata);
        return list.some(e => e.reason === 'ProvisionJobSucceeded')
          ? list
          : undefined;
      });
      expect(events.map(e => e.reason)).toEqual(
        expect.arrayContaining([
          'ProvisionJobLaunched',
          'ProvisionJobSucceeded',
        ]),
      );
    });

    it('deleting at 20 different moments of the provision job cancels it, runs one deprovision job, and leaves no VM', async () => {
      env = await createIntegrationEnv(knex, {
        durations: { provisionMs: 1500, deprovisionMs: 300 },
      });
      env.newController().controller.start();
      const names = Array.from({ length: 20 }, (_, i) => `vm-${i}`);
      await Promise.all(names.map(n => env.create(n)));
      await Promise.all(
        names.map(async (name, i) => {
          // Wait until the provision job exists in AAP, then delete it i/20 of the way through.
          await env.waitFor(
            `${name} launch`,
            async () => env.simJobsOf(name).length > 0,
          );
          await new Promise(r => setTimeout(r, (i * 1500) / 20));
          await env.store.delete('default', name);
        }),
      );
      await Promise.all(names.map(n => env.waitGone(n, 30_000)));
      expect(env.sim.vms()).toEqual([]);
      const outcomes = new Set<string>();
      for (const name of names) {
        const jobs = env.simJobsOf(name);
        const provision = jobs.filter(j => j.template.includes('create'));
        const deprovision = jobs.filter(j => j.template.includes('delete'));
        expect({
          name,
          provisions: provision.length,
          deprovisions: deprovision.length,
        }).toEqual({ name, provisions: 1, deprovisions: 1 });
        expect(['successful', 'canceled', 'failed']).toContain(
          provision[0].status,
        );
        expect(deprovision[0].status).toBe('successful');
        outcomes.add(provision[0].status);
        assertNoDuplicateJobs(env, name);
      }
      // The sweep really did hit running jobs, not only finished ones.
      expect(outcomes).toContain('canceled');
    });

    it('ends every instance in its desired state with no duplicate jobs despite 429s, 500s and failed jobs', async () => {
      env = await createIntegrationEnv(knex, {
        durations: { provisionMs: 400, deprovisionMs: 200 },
        seed: 7,
      });
      env.newController().controller.start();
      env.sim.setFaults({
        failNextLaunches: 3,
        launchStatus: 429,
        retryAfterSeconds: 1,
        jobFailureRate: 0.3,
      });
      const names = Array.from({ length: 10 }, (_, i) => `storm-${i}`);
      await Promise.all(names.map(n => env.create(n)));
      env.sim.setFaults({ failNextStatusPolls: 3, statusPollStatus: 500 });
      await Promise.all(names.map(n => env.waitForPhase(n, 'Running', 40_000)));
      expect(env.sim.vms()).toHaveLength(10);
      await Promise.all(names.map(n => env.store.delete('default', n)));
      env.sim.setFaults({ failNextLaunches: 2, launchStatus: 500 });
      await Promise.all(names.map(n => env.waitGone(n, 40_000)));
      expect(env.sim.vms()).toEqual([]);
      const failed = env.sim.jobs().filter(j => j.status === 'failed').length;
      expect(failed).toBeGreaterThan(0);
      for (const name of names) assertNoDuplicateJobs(env, name);
    });

    it('a controller restarted in the middle of provisioning resumes without a second job', async () => {
      env = await createIntegrationEnv(knex, {
        durations: { provisionMs: 1000, deprovisionMs: 200 },
      });
      const first = env.newController().controller;
      first.start();
      await env.create('resume-1');
      await env.waitFor('provision job running', async () =>
        env.simJobsOf('resume-1').some(j => j.status === 'running'),
      );
      await first.stop();
      env.newController().controller.start();
      await env.waitForPhase('resume-1', 'Running');
      expect(env.simJobsOf('resume-1')).toHaveLength(1);
    });

    it('a controller restarted in the middle of deletion resumes without a second deprovision job', async () => {
      env = await createIntegrationEnv(knex, {
        durations: { provisionMs: 1000, deprovisionMs: 800 },
      });
      const first = env.newController().controller;
      first.start();
      await env.create('resume-2');
      await env.waitFor('provision job running', async () =>
        env.simJobsOf('resume-2').some(j => j.status === 'running'),
      );
      await env.store.delete('default', 'resume-2');
      await env.waitFor('deprovision job launched', async () =>
        env.simJobsOf('resume-2').some(j => j.template.includes('delete')),
      );
      await first.stop();
      env.newController().controller.start();
      await env.waitGone('resume-2');
      const jobs = env.simJobsOf('resume-2');
      expect(jobs.filter(j => j.template.includes('create'))).toHaveLength(1);
      expect(jobs.filter(j => j.template.includes('delete'))).toHaveLength(1);
      expect(env.sim.vms()).toEqual([]);
    });

    it('two controllers sharing the database: only the leader acts; the other takes over when it stops', async () => {
      env = await createIntegrationEnv(knex, {
        durations: { provisionMs: 800, deprovisionMs: 200 },
      });
      const lease = () =>
        new DatabaseLeaderElector({
          knex,
          logger: mockServices.logger.mock(),
          leaseDurationMs: 1500,
          renewIntervalMs: 250,
        });
      const a = env.newController({ leaderElector: lease() }).controller;
      const b = env.newController({ leaderElector: lease() }).controller;
      a.start();
      b.start();
      await env.waitFor('a leader', async () => a.isLeading() || b.isLeading());
      await new Promise(r => setTimeout(r, 300));
      expect([a.isLeading(), b.isLeading()].filter(Boolean)).toHaveLength(1);
      const [leader, follower] = a.isLeading() ? [a, b] : [b, a];
      const names = ['ha-1', 'ha-2', 'ha-3'];
      await Promise.all(names.map(n => env.create(n)));
      await env.waitFor('jobs running', async () =>
        names.every(n => env.simJobsOf(n).length === 1),
      );
      const stoppedAt = Date.now();
      await leader.stop();
      await env.waitFor('takeover', async () => follower.isLeading(), 30_000);
      const takeoverMs = Date.now() - stoppedAt;
      await Promise.all(names.map(n => env.waitForPhase(n, 'Running')));
      for (const n of names) expect(env.simJobsOf(n)).toHaveLength(1);
      expect(takeoverMs).toBeLessThan(30_000);
    });
  },
);
