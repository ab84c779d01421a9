import { apiGroupNames } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { InMemoryEventStore } from '../events/InMemoryEventStore';
import { InMemoryStore } from '../store/InMemoryStore';
import { sampleSpec } from '../__testUtils__/harness';
import { InstanceService } from './InstanceService';

/** The service half of issue 18.7: what "retry now" and "release" write, and what they record. */
describe('InstanceService: retry and release of a stuck deletion', () => {
  const names = apiGroupNames();
  const setup = async () => {
    const store = new InMemoryStore();
    const events = new InMemoryEventStore();
    const service = new InstanceService({
      store,
      events,
      templates: [],
      names,
      defaultNamespace: 'default',
      now: () => new Date('2026-05-01T12:00:00.000Z'),
    });
    const created = await store.create({
      metadata: {
        name: 'vm1',
        namespace: 'default',
        finalizers: [names.finalizer, names.aapFinalizer, 'example.com/other'],
      },
      spec: sampleSpec(),
    });
    await store.delete('default', 'vm1');
    return { store, events, service, uid: created.metadata.uid };
  };

  it('retry stamps the annotation and records who asked', async () => {
    const { store, events, service, uid } = await setup();
    await service.requestDeletionRetry('default', 'vm1', 'user:default/alice');
    const stored = await store.get('default', 'vm1');
    expect(stored!.metadata.annotations[names.deletionRetryAnnotation]).toBe(
      '2026-05-01T12:00:00.000Z',
    );
    const recorded = await events.list({
      namespace: 'default',
      name: 'vm1',
      uid,
    });
    expect(recorded).toContainEqual(
      expect.objectContaining({
        reason: 'DeletionRetryRequested',
        message: expect.stringContaining('user:default/alice'),
      }),
    );
  });

  it("release removes the controller's and the playbooks' finalizers only, and records who and why", async () => {
    const { store, events, service, uid } = await setup();
    await service.releaseDeletion(
      'default',
      'vm1',
      { confirm: 'accept-risk', reason: 'Host decommissioned, OPS-42' },
      'user:default/carol',
    );
    // Another controller's finalizer still holds the record: ours are gone, theirs stays.
    const stored = await store.get('default', 'vm1');
    expect(stored!.metadata.finalizers).toEqual(['example.com/other']);
    const [released] = (
      await events.list({ namespace: 'default', name: 'vm1', uid })
    ).filter(e => e.reason === 'DeletionReleased');
    expect(released).toMatchObject({ type: 'Warning' });
    expect(released.message).toContain('user:default/carol');
    expect(released.message).toContain('orphan risk');
    expect(released.message).toContain('Host decommissioned, OPS-42');
  });

  it('refuses a release without a valid confirmation and reason, and changes nothing', async () => {
    const { store, events, service, uid } = await setup();
    await expect(
      service.releaseDeletion(
        'default',
        'vm1',
        { confirm: 'yes', reason: 'x' },
        'user:default/carol',
      ),
    ).rejects.toThrow(/confirm.*\n?.*|reason/);
    expect(
      (await store.get('default', 'vm1'))!.metadata.finalizers,
    ).toHaveLength(3);
    expect(
      await events.list({ namespace: 'default', name: 'vm1', uid }),
    ).toEqual([]);
  });
});
