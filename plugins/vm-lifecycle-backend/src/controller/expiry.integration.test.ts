import { Knex } from 'knex';
import { availableDatabases } from '../store/__testUtils__/testDatabases';
import {
  createIntegrationEnv,
  jobsOfInstanceProblems,
} from '../__testUtils__/integration';
import { sampleSpec } from '../__testUtils__/harness';
import { RecordingLifecycleNotifier } from '../notifications/LifecycleNotifier';
import { ExpiryKeeper } from './expiry';

jest.setTimeout(60_000);

type Env = Awaited<ReturnType<typeof createIntegrationEnv>>;

describe.each(availableDatabases())(
  'expiry + controller + %s store + AAP simulator over HTTP',
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

    it('a VM still provisioning at its expiry is cancelled and deprovisioned once, and expired once', async () => {
      env = await createIntegrationEnv(knex, {
        durations: { provisionMs: 5000, deprovisionMs: 300 },
      });
      const { controller } = env.newController();
      controller.start();
      const expiresAt = new Date(Date.now() + 60 * 60_000).toISOString();
      const vm = await env.store.create({
        metadata: {
          name: 'dev-1',
          namespace: 'default',
          annotations: { [env.names.expiresAtAnnotation]: expiresAt },
        },
        spec: sampleSpec(),
      });
      await env.waitFor('the provision job to run in AAP', async () =>
        env.simJobsOf('dev-1').some(j => j.status === 'running'),
      );

      // The clock of the keeper is at the expiry; two leaders in turn sweep it, twice each.
      const notifier = new RecordingLifecycleNotifier();
      const keeper = () =>
        new ExpiryKeeper({
          store: env.store,
          events: env.events,
          names: env.names,
          notifier,
          remindersBeforeMs: [],
          now: () => new Date(expiresAt),
          onDelete: i => controller.enqueue(i),
        });
      await keeper().sweep();
      await keeper().sweep();
      await env.waitGone('dev-1', 30_000);
      await keeper().sweep();

      const jobs = env.simJobsOf('dev-1');
      expect(
        jobsOfInstanceProblems(jobs, { provision: 1, deprovision: 1 }),
      ).toEqual([]);
      expect(jobs.find(j => j.template.includes('create'))?.status).toBe(
        'canceled',
      );
      expect(jobs.find(j => j.template.includes('delete'))?.status).toBe(
        'successful',
      );
      expect(env.sim.vms()).toEqual([]);
      expect(notifier.sent).toEqual([
        { kind: 'expired', namespace: 'default', name: 'dev-1', expiresAt },
      ]);
      const reasons = (await env.events.list(vm.metadata)).map(e => e.reason);
      expect(reasons.filter(r => r === 'Expired')).toHaveLength(1);
      // The ordinary deletion path ran after the expiry, as for a user's delete.
      expect(reasons.indexOf('Expired')).toBeLessThan(
        reasons.findIndex(r => r.startsWith('Deprovision')),
      );
    });
  },
);
