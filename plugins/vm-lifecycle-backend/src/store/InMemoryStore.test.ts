import { mockServices } from '@backstage/backend-test-utils';
import {
  ComputeInstance,
  apiGroupNames,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { InMemoryStore, InMemoryWriteKind } from './InMemoryStore';
import { runStoreContractTests } from './storeContract';

runStoreContractTests('InMemoryStore', async () => ({
  store: new InMemoryStore({ logger: mockServices.logger.mock() }),
  close: async () => {},
}));

describe('InMemoryStore test hooks', () => {
  const names = apiGroupNames();
  const spec = {
    templateID: 'tpl',
    image: { sourceType: 'registry' as const, sourceRef: 'quay.io/x/y:latest' },
    cores: 1,
    memoryGiB: 1,
    bootDisk: { sizeGiB: 10 },
    runStrategy: 'Always' as const,
  };

  it('lets beforeWrite inject a concurrent write that makes the outer write stale', async () => {
    const store = new InMemoryStore();
    const created = await store.create({
      metadata: { name: 'vm-1', namespace: 'ns' },
      spec,
    });
    const seen: Array<[InMemoryWriteKind, string]> = [];
    store.beforeWrite = async (kind, obj) => {
      seen.push([kind, obj.metadata.resourceVersion]);
      // Nested writes do not re-enter the hook.
      await store.updateStatus({ ...obj, status: { phase: 'Failed' } });
    };
    await expect(
      store.updateStatus({ ...created, status: { phase: 'Running' } }),
    ).rejects.toMatchObject({
      name: 'StaleResourceVersionError',
    });
    expect(seen).toEqual([['updateStatus', created.metadata.resourceVersion]]);
    expect((await store.get('ns', 'vm-1'))!.status).toEqual({
      phase: 'Failed',
    });

    // A conflict-retry loop, as the controller writes it, recovers with a fresh read.
    store.beforeWrite = undefined;
    let attempts = 0;
    let result: ComputeInstance | undefined;
    let base = created;
    while (!result) {
      attempts++;
      try {
        result = await store.updateStatus({
          ...base,
          status: { phase: 'Running' },
        });
      } catch (e) {
        base = (await store.get('ns', 'vm-1'))!;
      }
    }
    expect(attempts).toBe(2);
    expect(result.status.phase).toBe('Running');
  });

  it('calls beforeWrite for update and delete with copies', async () => {
    const kinds: InMemoryWriteKind[] = [];
    const store = new InMemoryStore({
      beforeWrite: (kind, obj) => {
        kinds.push(kind);
        obj.metadata.labels.mutated = 'yes';
      },
    });
    const created = await store.create({
      metadata: {
        name: 'vm-1',
        namespace: 'ns',
        finalizers: [names.finalizer],
      },
      spec,
    });
    await store.update({
      ...created,
      metadata: { ...created.metadata, labels: { a: 'b' } },
    });
    await store.delete('ns', 'vm-1');
    await expect(store.delete('ns', 'missing')).rejects.toMatchObject({
      name: 'NotFoundError',
    });
    expect(kinds).toEqual(['update', 'delete']);
    expect((await store.get('ns', 'vm-1'))!.metadata.labels).toEqual({
      a: 'b',
    });
  });

  it('reports a throwing watch listener to the logger', async () => {
    const logger = mockServices.logger.mock();
    const store = new InMemoryStore({ logger });
    store.watch(() => {
      throw new Error('listener bug');
    });
    await store.create({ metadata: { name: 'vm-1', namespace: 'ns' }, spec });
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('ADDED ns/vm-1'),
      expect.objectContaining({ message: 'listener bug' }),
    );
  });

  it('uses the configured API group', async () => {
    const store = new InMemoryStore({ apiGroup: 'cloudkit.openshift.io' });
    const created = await store.create({
      metadata: {
        name: 'vm-1',
        namespace: 'ns',
        annotations: { 'cloudkit.openshift.io/owner': 'group:default/x' },
      },
      spec,
    });
    expect(created.apiVersion).toBe('cloudkit.openshift.io/v1alpha1');
    expect(await store.list({ owner: 'group:default/x' })).toHaveLength(1);
  });
});
