import { apiGroupNames } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { InMemoryStore } from '../store/InMemoryStore';
import { sampleSpec } from '../__testUtils__/harness';
import {
  addAapFinalizer,
  removeAapFinalizer,
  setReconciledVersion,
} from './edaMetadata';

const names = apiGroupNames();

describe('EDA metadata writes', () => {
  it('re-apply the change on a fresh copy when the controller wrote in between', async () => {
    const store = new InMemoryStore();
    const vm = await store.create({
      metadata: {
        name: 'vm',
        namespace: 'default',
        finalizers: [names.finalizer],
      },
      spec: sampleSpec(),
    });
    let raced = 0;
    store.beforeWrite = async (kind, obj) => {
      if (kind === 'update' && raced++ < 2)
        await store.updateStatus({ ...obj, status: { phase: 'Starting' } });
    };
    const ref = { namespace: 'default', name: 'vm', uid: vm.metadata.uid };
    expect((await setReconciledVersion(store, names, ref, 'v1')).outcome).toBe(
      'updated',
    );
    expect((await addAapFinalizer(store, names, ref)).outcome).toBe('updated');
    const stored = (await store.get('default', 'vm'))!;
    expect(
      stored.metadata.annotations[names.reconciledConfigVersionAnnotation],
    ).toBe('v1');
    expect(stored.metadata.finalizers).toEqual([
      names.finalizer,
      names.aapFinalizer,
    ]);
    expect(stored.status.phase).toBe('Starting');
    expect((await setReconciledVersion(store, names, ref, 'v1')).outcome).toBe(
      'unchanged',
    );
  });

  it('never add a finalizer to an object being deleted; removing the last one removes the object', async () => {
    const store = new InMemoryStore();
    const vm = await store.create({
      metadata: {
        name: 'vm',
        namespace: 'default',
        finalizers: [names.aapFinalizer],
      },
      spec: sampleSpec(),
    });
    const ref = { namespace: 'default', name: 'vm', uid: vm.metadata.uid };
    await store.delete('default', 'vm');
    expect(
      (await addAapFinalizer(store, names, { ...ref, name: 'vm' })).outcome,
    ).toBe('unchanged');
    expect((await removeAapFinalizer(store, names, ref)).outcome).toBe(
      'removed',
    );
    expect(await store.get('default', 'vm')).toBeUndefined();
    expect((await removeAapFinalizer(store, names, ref)).outcome).toBe(
      'notFound',
    );

    const other = await store.create({
      metadata: {
        name: 'other',
        namespace: 'default',
        finalizers: [names.finalizer],
      },
      spec: sampleSpec(),
    });
    await store.delete('default', 'other');
    expect(
      (
        await addAapFinalizer(store, names, {
          namespace: 'default',
          name: 'other',
          uid: other.metadata.uid,
        })
      ).outcome,
    ).toBe('deleting');
    expect(
      (
        await addAapFinalizer(store, names, {
          namespace: 'default',
          name: 'other',
          uid: 'someone-else',
        })
      ).outcome,
    ).toBe('uidMismatch');
  });
});
