import { computeInstanceCrd } from '@internal/kube-test-apiserver';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { runStoreContractTests } from './storeContract';
import { KubernetesStore } from './KubernetesStore';
import { startKubeTestCluster } from '../cluster/__testUtils__/kubeTestCluster';

/*
 * The contract runs against the real CRD from deploy/, immutability rules (CEL) included, so the
 * adapter is checked against exactly what a cluster enforces.
 */
runStoreContractTests(
  'KubernetesStore on the kube test API server',
  async () => {
    const { server, kubeConfig } = await startKubeTestCluster({
      crds: [computeInstanceCrd()],
    });
    const store = await KubernetesStore.create({ kubeConfig: kubeConfig() });
    return {
      store,
      async close() {
        await store.close();
        await server.close();
      },
    };
  },
);

describe('KubernetesStore on the real CRD', () => {
  async function setUp(namespaces?: string[]) {
    const { server, kubeConfig } = await startKubeTestCluster();
    const store = await KubernetesStore.create({
      kubeConfig: kubeConfig(),
      namespaces,
    });
    return {
      server,
      kubeConfig,
      store,
      async close() {
        await store.close();
        await server.close();
      },
    };
  }

  const spec = {
    templateID: 'fedora_small',
    image: {
      sourceType: 'registry' as const,
      sourceRef: 'quay.io/containerdisks/fedora:latest',
    },
    cores: 2,
    memoryGiB: 4,
    bootDisk: { sizeGiB: 20 },
    runStrategy: 'Always' as const,
  };

  it("turns the API server's 422 into an InputError naming the field", async () => {
    const env = await setUp();
    try {
      await expect(
        env.store.create({
          metadata: { name: 'vm-1', namespace: 'team-a' },
          spec: { ...spec, cores: 0 },
        }),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(
          /spec\.cores.*greater than or equal to 1/,
        ),
      });
      const created = await env.store.create({
        metadata: { name: 'vm-1', namespace: 'team-a' },
        spec,
      });
      await expect(
        env.store.update({ ...created, spec: { ...spec, cores: 4 } }),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringContaining(
          'spec.cores: Invalid value: "integer": cores is immutable',
        ),
      });
      const halted = await env.store.update({
        ...created,
        spec: { ...spec, runStrategy: 'Halted' },
      });
      expect(halted?.spec.runStrategy).toBe('Halted');
    } finally {
      await env.close();
    }
  });

  it('writes only the fields it owns: annotations of other writers survive an update', async () => {
    const env = await setUp();
    try {
      const created = await env.store.create({
        metadata: { name: 'vm-1', namespace: 'team-a' },
        spec,
      });
      env.server.injectConcurrentWrite({
        plural: 'computeinstances',
        name: 'vm-1',
        verbs: ['patch'],
      });
      await expect(
        env.store.update({
          ...created,
          metadata: { ...created.metadata, labels: { a: 'b' } },
        }),
      ).rejects.toMatchObject({ name: 'StaleResourceVersionError' });
      const fresh = (await env.store.get('team-a', 'vm-1'))!;
      const updated = await env.store.update({
        ...fresh,
        metadata: { ...fresh.metadata, labels: { a: 'b' } },
      });
      expect(updated!.metadata.labels).toEqual({ a: 'b' });
      expect(Object.keys(updated!.metadata.annotations)).toEqual([
        'kube-test-apiserver/concurrent-write',
      ]);
      const patches = env.server.requests.filter(r => r.method === 'PATCH');
      expect(patches.map(p => p.status)).toEqual([409, 200]);
    } finally {
      await env.close();
    }
  });

  it('keeps watching across a lost watch and a 410 Gone: re-lists and reports what changed meanwhile', async () => {
    const env = await setUp();
    try {
      await env.store.create({
        metadata: { name: 'vm-1', namespace: 'team-a' },
        spec,
      });
      const events: string[] = [];
      env.store.watch(e => events.push(`${e.type} ${e.object.metadata.name}`));
      const lists = () =>
        env.server.requests.filter(
          r =>
            r.method === 'GET' &&
            r.path.endsWith('/computeinstances') &&
            !r.query.includes('watch'),
        ).length;
      const listsBefore = lists();
      // The watch drops and cannot come back while another client deletes and creates; then etcd compacts.
      const release = env.server.holdWatches();
      env.server.dropWatches();
      const other = env.kubeConfig().makeApiClient(CustomObjectsApi);
      const ci = {
        group: 'osac.openshift.io',
        version: 'v1alpha1',
        plural: 'computeinstances',
        namespace: 'team-a',
      };
      await other.deleteNamespacedCustomObject({ ...ci, name: 'vm-1' });
      await other.createNamespacedCustomObject({
        ...ci,
        body: {
          apiVersion: 'osac.openshift.io/v1alpha1',
          kind: 'ComputeInstance',
          metadata: { name: 'vm-2' },
          spec,
        },
      });
      env.server.compact();
      release();
      const deadline = Date.now() + 5000;
      while (events.length < 2 && Date.now() < deadline)
        await new Promise(r => setTimeout(r, 10));
      expect(events.sort()).toEqual(['ADDED vm-2', 'DELETED vm-1']);
      expect(lists()).toBe(listsBefore + 1);
      // And the store keeps working on the new watch.
      await env.store.create({
        metadata: { name: 'vm-3', namespace: 'team-a' },
        spec,
      });
      expect(events).toContain('ADDED vm-3');
    } finally {
      await env.close();
    }
  });

  it('manages only the configured namespaces', async () => {
    const env = await setUp(['team-a']);
    try {
      await env.store.create({
        metadata: { name: 'vm-1', namespace: 'team-a' },
        spec,
      });
      await expect(
        env.store.create({
          metadata: { name: 'vm-1', namespace: 'team-b' },
          spec,
        }),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringContaining('team-b is not managed'),
      });
      expect((await env.store.list()).map(i => i.metadata.namespace)).toEqual([
        'team-a',
      ]);
      expect(await env.store.list({ namespace: 'team-b' })).toEqual([]);
      expect(
        env.server.requests.some(
          r =>
            r.path ===
              '/apis/osac.openshift.io/v1alpha1/namespaces/team-a/computeinstances' &&
            r.query.includes('watch=true'),
        ),
      ).toBe(true);
    } finally {
      await env.close();
    }
  });
});
