import { Knex } from 'knex';
import { ComputeInstanceStatus } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { isStaleResourceVersionError } from '../store/errors';
import { availableDatabases } from '../store/__testUtils__/testDatabases';
import { createIntegrationEnv } from '../__testUtils__/integration';

jest.setTimeout(60_000);

/*
 * Status is shared: playbooks and OSAC's other controllers write fields of it that we do not own.
 * Our controller's status writes are read-modify-writes with optimistic concurrency, so whatever
 * another writer set (before our first write, or between two of ours) must still be there after
 * a reconcile, including fields our schema does not know. The cluster-mode twin of this test is
 * cluster/osacCrd.integration.test.ts (on OSAC's own CRD).
 */

const OTHERS = {
  externalIPAddress: '203.0.113.7',
  tenantReference: { name: 'tenant-a', namespace: 'osac-tenants' },
  virtualMachineReference: {
    namespace: 'tenant-a-vms',
    kubeVirtVirtualMachineName: 'web-1-x7k2',
  },
  conditions: [
    {
      type: 'osac.openshift.io/SubnetReady',
      status: 'True',
      reason: 'SubnetFound',
      message: 'subnet-a is ready',
      lastTransitionTime: '2026-08-03T08:00:00Z',
    },
  ],
  // A field of a newer CRD than ours.
  migrationState: { phase: 'Idle' },
} as unknown as ComputeInstanceStatus;

describe.each(availableDatabases())(
  'status fields of other writers, controller + %s store',
  (_db, makeKnex) => {
    let knex: Knex;
    let env: Awaited<ReturnType<typeof createIntegrationEnv>>;

    beforeEach(async () => {
      knex = await makeKnex();
    });

    afterEach(async () => {
      await env?.close();
      await knex.destroy();
    });

    it('survive a reconcile to Running, set before it started and while its job ran', async () => {
      env = await createIntegrationEnv(knex, {
        durations: { provisionMs: 1500, deprovisionMs: 300 },
      });
      const created = await env.create('web-1');
      await env.store.updateStatus({ ...created, status: { ...OTHERS } });

      env.newController().controller.start();
      await env.waitFor('the provision job to run', () =>
        env.simJobsOf('web-1').some(j => j.status === 'running'),
      );
      // Between two of our writes: the external IP is attached while the job runs.
      for (;;) {
        const current = (await env.store.get('default', 'web-1'))!;
        try {
          await env.store.updateStatus({
            ...current,
            status: { ...current.status, externalIPAddress: '203.0.113.8' },
          });
          break;
        } catch (e) {
          if (!isStaleResourceVersionError(e)) throw e;
        }
      }

      const running = await env.waitForPhase('web-1', 'Running');
      const { conditions, ...fields } = OTHERS;
      expect(conditions).toHaveLength(1);
      expect(running.status).toMatchObject({
        ...fields,
        externalIPAddress: '203.0.113.8',
      });
      expect(running.status.conditions).toEqual(
        expect.arrayContaining(conditions!),
      );
      expect(running.status.provisioningJobs).toEqual([
        expect.objectContaining({ type: 'provision', state: 'Succeeded' }),
      ]);
      // Read back from the database by a fresh query, not from a cache.
      expect((await env.store.get('default', 'web-1'))!.status).toEqual(
        running.status,
      );
    });
  },
);
