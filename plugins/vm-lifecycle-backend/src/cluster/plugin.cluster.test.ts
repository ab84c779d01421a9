import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { createAapSimulator } from '@vm-selfservice/aap-simulator';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { vmLifecyclePlugin } from '../plugin';
import {
  SMALL_TEMPLATE,
  startKubeTestCluster,
} from './__testUtils__/kubeTestCluster';

jest.setTimeout(60_000);

/*
 * The plugin as a cluster operator would run it: vmLifecycle.store.type kubernetes with a kubeconfig
 * file. Requests through the REST API become ComputeInstance custom resources that the controller
 * provisions and deletes.
 */
describe('vm-lifecycle plugin in cluster mode', () => {
  it('serves the API on ComputeInstance custom resources: create -> Running, delete -> CR gone', async () => {
    const { server } = await startKubeTestCluster({});
    const sim = createAapSimulator({
      token: 't',
      durations: { provisionMs: 400, deprovisionMs: 150 },
      queueDelayMs: 10,
    });
    const { url } = await sim.listen(0, '127.0.0.1');
    const dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    const kubeconfigPath = join(dir, 'config');
    await writeFile(kubeconfigPath, server.kubeconfigYaml());
    const backend = await startTestBackend({
      features: [
        vmLifecyclePlugin,
        mockServices.rootConfig.factory({
          data: {
            vmLifecycle: {
              store: { type: 'kubernetes' },
              kubernetes: {
                connection: 'kubeconfig',
                kubeconfigPath,
                kubevirt: 'disabled',
                leaderElection: {
                  leaseDuration: { seconds: 2 },
                  retryPeriod: { milliseconds: 200 },
                },
              },
              provider: { aap: { baseUrl: `${url}/api/v2`, token: 't' } },
              controller: { pollInterval: { milliseconds: 100 } },
              templates: [SMALL_TEMPLATE],
            },
          },
        }),
      ],
    });
    const api = (method: 'get' | 'post' | 'delete', path: string) =>
      request(backend.server)
        [method](`/api/vm-lifecycle${path}`)
        .set('Authorization', mockCredentials.user.header());
    const kube = async (path: string) =>
      fetch(`${server.url}${path}`).then(r => ({
        status: r.status,
        body: r.status === 200 ? r.json() : undefined,
      }));
    const crPath =
      '/apis/osac.openshift.io/v1alpha1/namespaces/default/computeinstances/cluster-vm';
    const until = async (what: string, probe: () => Promise<boolean>) => {
      const deadline = Date.now() + 20_000;
      while (!(await probe())) {
        if (Date.now() > deadline)
          throw new Error(`Timed out waiting for ${what}`);
        await new Promise(r => setTimeout(r, 50));
      }
    };
    try {
      expect((await api('get', '/settings')).body.store).toBe('kubernetes');
      const created = await api('post', '/instances').send({
        metadata: { name: 'cluster-vm' },
        spec: { templateID: 'small' },
      });
      expect(created.status).toBe(201);
      expect((await kube(crPath)).status).toBe(200);
      await until(
        'Running',
        async () =>
          (await api('get', '/instances/default/cluster-vm')).body.status
            ?.phase === 'Running',
      );
      const cr = await (await kube(crPath)).body;
      expect(cr.metadata.finalizers).toContain(
        'osac.openshift.io/computeinstance',
      );
      expect(cr.status.provisioningJobs).toEqual([
        expect.objectContaining({ type: 'provision', state: 'Succeeded' }),
      ]);
      expect(
        (await api('delete', '/instances/default/cluster-vm')).status,
      ).toBe(202);
      await until('CR gone', async () => (await kube(crPath)).status === 404);
      expect(
        sim.jobs().filter(j => j.template.includes('delete')),
      ).toHaveLength(1);
      expect(sim.vms()).toEqual([]);

      // The history outlives the CR and the Kubernetes event TTL: the API server's Events of the
      // instance are removed here (as their TTL would), the database's copy still answers.
      const uid = created.body.metadata.uid;
      await until('the history of the deleted CR', async () => {
        return (await api('get', `/instances/by-uid/${uid}`)).status === 200;
      });
      const events = await fetch(
        `${server.url}/api/v1/namespaces/default/events`,
      )
        .then(r => r.json())
        .then(
          (list: { items: Array<{ metadata: { name: string } }> }) =>
            list.items,
        );
      expect(events.length).toBeGreaterThan(0);
      for (const event of events) {
        const removed = await fetch(
          `${server.url}/api/v1/namespaces/default/events/${event.metadata.name}`,
          { method: 'DELETE' },
        );
        expect(removed.status).toBe(200);
      }
      const deleted = await api('get', `/instances/by-uid/${uid}`);
      expect(deleted.body.instance.status.provisioningJobs).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'deprovision', state: 'Succeeded' }),
        ]),
      );
      const history = await api('get', `/instances/by-uid/${uid}/events`);
      expect(history.status).toBe(200);
      expect(
        history.body.items.map((e: { reason: string }) => e.reason),
      ).toEqual(
        expect.arrayContaining([
          'ProvisionJobSucceeded',
          'DeprovisionJobSucceeded',
        ]),
      );
    } finally {
      await backend.stop();
      await sim.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
