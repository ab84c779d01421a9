import { Knex } from 'knex';
import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { isLaunchIntent } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { availableDatabases } from '../store/__testUtils__/testDatabases';
import {
  createIntegrationEnv,
  jobsOfInstanceProblems,
} from '../__testUtils__/integration';
import { ComputeInstanceStore } from '../store/types';
import { ProvisioningProvider } from '../providers/types';

jest.setTimeout(90_000);

type Env = Awaited<ReturnType<typeof createIntegrationEnv>>;

/*
 * DOMAIN.md "Lost answers: exactly one job per intent", end to end: the controller on the database
 * store against the simulator over HTTP, with the simulator losing answers after AAP did the work.
 * Every case ends with exactly one job of each type per instance, none overlapping, no VM left.
 */
describe.each(availableDatabases())(
  'lost answers: controller + %s store + AAP simulator over HTTP',
  (_db, makeKnex) => {
    let knex: Knex;
    let env: Env;

    beforeEach(async () => {
      knex = await makeKnex();
      env = await createIntegrationEnv(knex, {
        durations: { provisionMs: 1200, deprovisionMs: 300 },
      });
    });

    afterEach(async () => {
      await env?.close();
      await knex.destroy();
    });

    async function runToEnd(name: string) {
      await env.waitForPhase(name, 'Running', 30_000);
      await env.store.delete('default', name);
      await env.waitGone(name, 30_000);
      expect(env.sim.vms()).toEqual([]);
      expect(
        jobsOfInstanceProblems(env.simJobsOf(name), {
          provision: 1,
          deprovision: 1,
        }),
      ).toEqual([]);
    }

    it('a lost launch answer: the job is found by its launch id and adopted', async () => {
      env.sim.setFaults({ lostAnswers: { launch: { next: 1 } } });
      env.newController().controller.start();
      await env.create('lost-1');
      await runToEnd('lost-1');
      expect(env.sim.requestCounts().job_lookup).toBeGreaterThan(0);
    });

    it('a gateway 504 after AAP created the job: adopted, not relaunched', async () => {
      env.sim.setFaults({
        gatewayErrors: { launch: { next: 1, status: 504 } },
      });
      env.newController().controller.start();
      await env.create('gw-1');
      await runToEnd('gw-1');
      // One provision and one deprovision job in AAP, nothing else.
      expect(env.sim.jobs()).toHaveLength(2);
    });

    it('an answer slower than the client time-out: adopted, not relaunched', async () => {
      env.sim.setFaults({
        slowAnswers: { launch: { next: 1, delayMs: 1500 } },
      });
      env
        .newController({ unknownOutcomeSettleMs: 3000 }, { timeoutMs: 500 })
        .controller.start();
      await env.create('slow-1');
      await runToEnd('slow-1');
      expect(env.sim.jobs()).toHaveLength(2);
    });

    it('a lost deprovision launch answer: one deprovision job, the record goes', async () => {
      env.newController().controller.start();
      await env.create('lost-d');
      await env.waitForPhase('lost-d', 'Running', 30_000);
      env.sim.setFaults({ lostAnswers: { launch: { next: 1 } } });
      await env.store.delete('default', 'lost-d');
      await env.waitGone('lost-d', 30_000);
      expect(env.sim.vms()).toEqual([]);
      expect(
        jobsOfInstanceProblems(env.simJobsOf('lost-d'), {
          provision: 1,
          deprovision: 1,
        }),
      ).toEqual([]);
    });

    it('a lost cancel answer: the deprovision job starts only after AAP shows the provision job ended', async () => {
      env.newController().controller.start();
      await env.create('lost-c');
      await env.waitFor('provision running', async () =>
        env.simJobsOf('lost-c').some(j => j.status === 'running'),
      );
      env.sim.setFaults({ lostAnswers: { cancel: { next: 1 } } });
      await env.store.delete('default', 'lost-c');
      await env.waitGone('lost-c', 30_000);
      expect(env.sim.vms()).toEqual([]);
      const jobs = env.simJobsOf('lost-c');
      expect(
        jobsOfInstanceProblems(jobs, { provision: 1, deprovision: 1 }),
      ).toEqual([]);
      const provision = jobs.find(j => j.template.includes('create'))!;
      expect(provision.canceledAt).toBeDefined();
    });

    it('status reads that time out or meet a gateway 502/504 are retried and never change a job state', async () => {
      env
        .newController({}, { timeoutMs: 400, retryBaseDelayMs: 50 })
        .controller.start();
      const states: string[] = [];
      const unwatch = env.store.watch(event => {
        if (event.object.metadata.name !== 'reads-1') return;
        const job = event.object.status.provisioningJobs?.find(
          j => j.type === 'provision' && !isLaunchIntent(j),
        );
        if (job && states[states.length - 1] !== job.state)
          states.push(job.state);
      });
      await env.create('reads-1');
      await env.waitFor(
        'provision launched',
        async () => env.simJobsOf('reads-1').length > 0,
      );
      env.sim.setFaults({
        gatewayErrors: {
          batch_status: { next: 4, status: 504 },
          job_status: { next: 4, status: 502 },
        },
        slowAnswers: { batch_status: { next: 3, delayMs: 800 } },
      });
      await env.waitForPhase('reads-1', 'Running', 30_000);
      unwatch();
      // Only ever forward, and nothing but what AAP reported.
      const order = ['Pending', 'Waiting', 'Running', 'Succeeded'];
      expect(states.every(s => order.includes(s))).toBe(true);
      expect(states.map(s => order.indexOf(s))).toEqual(
        [...states.map(s => order.indexOf(s))].sort((a, b) => a - b),
      );
      expect(states[states.length - 1]).toBe('Succeeded');
      expect(
        env.sim.requestCounts().batch_status +
          env.sim.requestCounts().job_status,
      ).toBeGreaterThan(8);
      await env.store.delete('default', 'reads-1');
      await env.waitGone('reads-1', 30_000);
      expect(
        jobsOfInstanceProblems(env.simJobsOf('reads-1'), {
          provision: 1,
          deprovision: 1,
        }),
      ).toEqual([]);
    });

    it('a controller killed between the launch and the status write: its successor adopts the job', async () => {
      // The first controller's store dies at the write that would record the job id.
      let crashed!: () => void;
      const crash = new Promise<void>(resolve => (crashed = resolve));
      const dying = killedAtJobIdWrite(env.store, crashed);
      const first = env.newController({ store: dying }).controller;
      first.start();
      await env.create('killed-1');
      await crash;
      await first.stop();
      const [entry] = (await env.store.get('default', 'killed-1'))!.status
        .provisioningJobs!;
      expect(isLaunchIntent(entry)).toBe(true);
      expect(env.simJobsOf('killed-1')).toHaveLength(1);

      env.newController().controller.start();
      await runToEnd('killed-1');
    });

    it('a controller killed between the intent and the launch: its successor launches once, after the settle time', async () => {
      let crashed!: () => void;
      const crash = new Promise<void>(resolve => (crashed = resolve));
      // The first controller records the intent and dies before its launch request leaves.
      const dying = {
        name: 'dying',
        triggerProvision: () => {
          crashed();
          return new Promise(() => {});
        },
      } as unknown as ProvisioningProvider;
      const first = env.newController({ provider: dying }).controller;
      first.start();
      await env.create('killed-2');
      await crash;
      env.abandon(first);
      const [entry] = (await env.store.get('default', 'killed-2'))!.status
        .provisioningJobs!;
      expect(isLaunchIntent(entry)).toBe(true);
      expect(env.sim.jobs()).toHaveLength(0);

      env.newController({ unknownOutcomeSettleMs: 2000 }).controller.start();
      await runToEnd('killed-2');
    });
  },
);

/** A store whose status write replacing a launch intent by a job id never lands (the process died). */
function killedAtJobIdWrite(
  store: ComputeInstanceStore,
  onCrash: () => void,
): ComputeInstanceStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'updateStatus') {
        return async (instance: ComputeInstance) => {
          const current = await target.get(
            instance.metadata.namespace,
            instance.metadata.name,
          );
          const hadIntent =
            current?.status.provisioningJobs?.some(isLaunchIntent);
          const recordsJob = instance.status.provisioningJobs?.some(
            j => !isLaunchIntent(j),
          );
          if (hadIntent && recordsJob) {
            onCrash();
            throw new Error('the controller process died');
          }
          return target.updateStatus(instance);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
