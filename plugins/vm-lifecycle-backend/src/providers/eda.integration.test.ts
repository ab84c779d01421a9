import { Knex } from 'knex';
import { availableDatabases } from '../store/__testUtils__/testDatabases';
import {
  createEdaIntegrationEnv,
  STREAMS,
} from './__testUtils__/edaIntegration';
import { isEdaJobId } from './edaJobId';
import { waitFor } from '../__testUtils__/waitFor';

jest.setTimeout(60_000);

type Env = Awaited<ReturnType<typeof createEdaIntegrationEnv>>;

describe.each(availableDatabases())(
  'EDA mode: controller + %s store + simulator event streams + callback route',
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

    const condition = (env_: Env, name: string) =>
      env_.store
        .get('default', name)
        .then(o =>
          o?.status.conditions?.find(c => c.type === 'ConfigurationApplied'),
        );

    it('create -> Running through the playbook signals, delete -> gone with the VM removed', async () => {
      env = await createEdaIntegrationEnv(knex);
      env.controller('eda').start();
      await env.create('eda-1');
      const vm = await env.waitForPhase('eda-1', 'Running');
      expect(
        vm.metadata.annotations[env.names.reconciledConfigVersionAnnotation],
      ).toBe(vm.status.desiredConfigVersion);
      expect(vm.metadata.finalizers).toEqual([
        env.names.finalizer,
        env.names.aapFinalizer,
      ]);
      expect(vm.status.provisioningJobs).toEqual([
        expect.objectContaining({
          jobID: 'eda-webhook-1',
          type: 'provision',
          state: 'Succeeded',
        }),
      ]);
      expect(env.sim.vms()).toEqual([
        expect.objectContaining({ name: 'eda-1', uid: vm.metadata.uid }),
      ]);

      await env.store.delete('default', 'eda-1');
      await env.waitGone('eda-1');
      expect(env.sim.vms()).toEqual([]);
      // The playbook's last task releases the record; its job ends a moment later.
      await env.waitFor('the delete job to end', async () =>
        env.simJobsOf('eda-1').every(j => j.finished !== null),
      );
      const jobs = env.simJobsOf('eda-1');
      expect(jobs.map(j => [j.template, j.status])).toEqual([
        ['osac-create-compute-instance', 'successful'],
        ['osac-delete-compute-instance', 'successful'],
      ]);
      const events = await env.events.list(vm.metadata);
      expect(events.filter(e => e.jobID).map(e => [e.reason, e.jobID])).toEqual(
        [
          ['ProvisionJobLaunched', 'eda-webhook-1'],
          ['ProvisionJobSucceeded', 'eda-webhook-1'],
          ['DeprovisionJobLaunched', 'eda-webhook-2'],
          ['DeprovisionJobSucceeded', 'eda-webhook-2'],
        ],
      );
    });

    it('a wrong token and a bad HMAC signature are rejected by the simulator and reported on the instance; their deletion skips deprovisioning', async () => {
      env = await createEdaIntegrationEnv(knex);
      const wrongToken = env.controller('eda', {
        eda: env.edaProvider({
          auth: { type: 'token', token: 'not-the-token' },
        }),
      });
      wrongToken.start();
      await env.create('bad-token');
      const tokenCondition = await env.waitFor(
        'token failure reported',
        async () => {
          const c = await condition(env, 'bad-token');
          return c?.reason === 'AapAuthenticationFailed' ? c : undefined;
        },
      );
      expect(tokenCondition.message).toContain('HTTP 403');
      expect(tokenCondition.message).toContain(
        'vmLifecycle.provider.eda.auth.token',
      );
      expect(tokenCondition.message).not.toContain('Token mismatch');
      expect(tokenCondition.message).not.toContain(env.url);
      expect(tokenCondition.message).not.toContain('not-the-token');
      expect((await env.store.get('default', 'bad-token'))!.status.phase).toBe(
        'Failed',
      );
      await wrongToken.stop();

      const badHmac = env.controller('eda', {
        eda: env.edaProvider({
          provisionStream: STREAMS.createHmac,
          auth: { type: 'hmac', secret: 'wrong-secret' },
        }),
      });
      badHmac.start();
      await env.create('bad-hmac');
      const hmacCondition = await env.waitFor(
        'signature failure reported',
        async () => {
          const c = await condition(env, 'bad-hmac');
          return c?.reason === 'AapAuthenticationFailed' ? c : undefined;
        },
      );
      expect(hmacCondition.message).toContain('HMAC signature');
      expect(hmacCondition.message).not.toContain('Signature mismatch');
      await badHmac.stop();
      expect(env.sim.jobs()).toEqual([]);
      expect(env.sim.requestCounts().eda_post).toBeGreaterThanOrEqual(2);

      const rejected = await env.store.get('default', 'bad-token');
      await env.store.delete('default', 'bad-token');
      await env.store.delete('default', 'bad-hmac');
      env.controller('eda').start();
      await env.waitGone('bad-token');
      await env.waitGone('bad-hmac');
      expect(env.sim.jobs()).toEqual([]);
      const events = await env.events.list(rejected!.metadata);
      expect(events.map(e => e.reason)).toEqual(
        expect.arrayContaining([
          'AapAuthenticationFailed',
          'DeprovisionSkipped',
        ]),
      );
    });

    it('deleted before the create playbook added its finalizer: the playbook stops, nothing is waited for, deprovisioning is skipped', async () => {
      env = await createEdaIntegrationEnv(knex, { queueDelayMs: 200 });
      env.controller('eda').start();
      const vm = await env.create('early');
      await env.waitFor(
        'create job launched',
        async () => env.simJobsOf('early').length > 0,
      );
      await env.store.delete('default', 'early');
      await env.waitGone('early');
      const [create] = env.simJobsOf('early');
      await env.waitFor(
        'create job finished',
        async () => env.simJobsOf('early')[0].finished,
      );
      expect(env.simJobsOf('early')).toEqual([
        expect.objectContaining({
          template: create.template,
          status: 'failed',
        }),
      ]);
      expect(env.sim.vms()).toEqual([]);
      const reasons = (await env.events.list(vm.metadata)).map(e => e.reason);
      expect(reasons).toEqual(
        expect.arrayContaining(['ProvisionJobCanceled', 'DeprovisionSkipped']),
      );
    });

    it('a good HMAC signature is accepted', async () => {
      env = await createEdaIntegrationEnv(knex);
      env
        .controller('eda', {
          eda: env.edaProvider({
            provisionStream: STREAMS.createHmac,
            auth: { type: 'hmac', secret: 'eda-hmac-secret-91aa' },
          }),
        })
        .start();
      await env.create('signed');
      const vm = await env.waitForPhase('signed', 'Running');
      expect(
        vm.metadata.annotations[env.names.reconciledConfigVersionAnnotation],
      ).toBe(vm.status.desiredConfigVersion);
    });

    it('switching EDA -> AAP Direct keeps existing instances consistent', async () => {
      env = await createEdaIntegrationEnv(knex, {
        durations: { provisionMs: 800, deprovisionMs: 200 },
      });
      const eda = env.controller('eda');
      eda.start();
      // One at a time, so only the two instances below are in flight at the switch.
      for (const name of ['run-1', 'run-2', 'start-b']) {
        await env.create(name);
        await env.waitForPhase(name, 'Running');
      }
      const restarting = (await env.store.get('default', 'start-b'))!;
      const restartRequestedAt = new Date().toISOString();
      await env.store.update({
        ...restarting,
        spec: { ...restarting.spec, restartRequestedAt },
      });
      await env.create('start-a');
      // Past the playbook's finalizer task, so start-a's create job will go on to create its VM.
      await env.waitFor('start-a carries the EDA finalizer', async () =>
        (
          await env.store.get('default', 'start-a')
        )?.metadata.finalizers.includes(env.names.aapFinalizer),
      );
      await eda.stop();

      env.controller('aap').start();
      const runOne = (await env.store.get('default', 'run-1'))!;
      const startA = (await env.store.get('default', 'start-a'))!;
      expect(startA.status.phase).toBe('Starting');
      expect(env.simJobsOf('start-a')[0].status).toBe('running');
      await env.store.delete('default', 'run-1');
      await env.store.delete('default', 'start-a');

      // Still starting: its EDA job is waited for, not canceled, and finishes the restart.
      const startB = await env.waitForPhase('start-b', 'Running');
      expect(
        startB.status.provisioningJobs!.map(j => [j.jobID, j.state]),
      ).toEqual([
        ['eda-webhook-1', 'Succeeded'],
        ['eda-webhook-2', 'Succeeded'],
      ]);
      expect(startB.status.lastRestartedAt).toBe(restartRequestedAt);

      await env.waitGone('run-1');
      await env.waitGone('start-a');
      const eventsOf = env.events;
      for (const vm of [runOne, startA]) {
        // The record goes once its finalizer is removed; the event says so right after.
        const events = await waitFor(
          `FinalizerRemoved of ${vm.metadata.name}`,
          async () => {
            const list = await eventsOf.list(vm.metadata);
            return list.some(e => e.reason === 'FinalizerRemoved') && list;
          },
        );
        const deprovision = events.find(
          e => e.reason === 'DeprovisionJobLaunched',
        );
        // Deprovisioned through AAP Direct (an AAP job id), and released despite the EDA finalizer.
        expect(deprovision && !isEdaJobId(deprovision.jobID!)).toBe(true);
        expect(events.map(e => e.reason)).toContain('FinalizerRemoved');
      }
      const [startACreate, startADelete] = env.simJobsOf('start-a');
      expect(startACreate).toMatchObject({
        template: 'osac-create-compute-instance',
        status: 'successful',
      });
      expect(startADelete.template).toBe('osac-delete-compute-instance');
      expect(Date.parse(startACreate.finished!)).toBeLessThanOrEqual(
        Date.parse(startADelete.created),
      );

      // Untouched, and new instances go through AAP Direct.
      expect(env.simJobsOf('run-2')).toHaveLength(1);
      expect((await env.store.get('default', 'run-2'))!.status.phase).toBe(
        'Running',
      );
      await env.create('new-1');
      const fresh = await env.waitForPhase('new-1', 'Running');
      expect(isEdaJobId(fresh.status.provisioningJobs![0].jobID)).toBe(false);
      expect(
        env.sim
          .vms()
          .map(v => v.name)
          .sort(),
      ).toEqual(['new-1', 'run-2', 'start-b']);
    });
  },
);
