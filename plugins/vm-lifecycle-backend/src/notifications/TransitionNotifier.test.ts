import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import {
  apiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { readInstanceLinks } from '@vm-selfservice/plugin-vm-lifecycle-node';
import { InMemoryStore } from '../store/InMemoryStore';
import { TransitionNotifier } from './TransitionNotifier';

const names = apiGroupNames('osac.openshift.io');
const links = readInstanceLinks(new ConfigReader({}));

const SPEC = {
  templateID: 'small',
  image: { sourceType: 'registry' as const, sourceRef: 'quay.io/f:1' },
  cores: 1,
  memoryGiB: 1,
  bootDisk: { sizeGiB: 10 },
  runStrategy: 'Always' as const,
};

/**
 * Replicas share one store and each runs a notifier that sees every change; `leader` says which
 * one's controller leads. (The database and cluster stores deliver the other replicas' writes to
 * every watcher the same way; see the store contract tests.)
 */
function replicas(store: InMemoryStore, count: number) {
  const sent: Array<{ replica: number; options: NotificationSendOptions }> = [];
  const state = { leader: 0 };
  const notifiers = Array.from(
    { length: count },
    (_, replica) =>
      new TransitionNotifier({
        store,
        notifications: {
          send: async options => {
            sent.push({ replica, options });
          },
        },
        names,
        links,
        adminGroups: ['group:default/admins'],
        isLeader: () => state.leader === replica,
        stuckDeletionAfterMs: 60 * 60_000,
        logger: mockServices.logger.mock(),
      }),
  );
  return { sent, state, notifiers };
}

async function running(store: InMemoryStore, vm: ComputeInstance, at: string) {
  return store.updateStatus({
    ...vm,
    status: {
      phase: 'Running',
      ipAddress: '10.0.0.7',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Running',
          message: 'ok',
          lastTransitionTime: at,
        },
      ],
    },
  });
}

const tick = () => new Promise(r => setTimeout(r, 10));

describe('TransitionNotifier with several replicas', () => {
  it('sends each transition once, from the leader, also across a change of leadership', async () => {
    const store = new InMemoryStore();
    const { sent, state, notifiers } = replicas(store, 2);
    await Promise.all(notifiers.map(n => n.start()));

    const vm = await store.create({
      metadata: {
        name: 'vm-1',
        namespace: 'default',
        annotations: { [names.requestedByAnnotation]: 'user:default/alice' },
      },
      spec: SPEC,
    });
    const up = await running(store, vm, '2026-01-01T10:00:00Z');
    await tick();
    expect(sent.map(s => [s.replica, s.options.payload.title])).toEqual([
      [0, 'VM default/vm-1 is ready'],
    ]);
    expect(sent[0].options.payload.description).toBe('Running at 10.0.0.7.');

    // Replica 1 takes over; the same state written again is old news to it too.
    state.leader = 1;
    await store.updateStatus({ ...up, status: { ...up.status } });
    await tick();
    expect(sent).toHaveLength(1);

    await store.delete('default', 'vm-1');
    await tick();
    expect(sent.map(s => [s.replica, s.options.payload.title])).toEqual([
      [0, 'VM default/vm-1 is ready'],
      [1, 'VM default/vm-1 was deleted'],
    ]);
    notifiers.forEach(n => n.stop());
  });

  it('does not repeat what was already so when a replica starts', async () => {
    const store = new InMemoryStore();
    const vm = await store.create({
      metadata: {
        name: 'vm-1',
        namespace: 'default',
        annotations: { [names.requestedByAnnotation]: 'user:default/alice' },
      },
      spec: SPEC,
    });
    const up = await running(store, vm, '2026-01-01T10:00:00Z');
    const { sent, notifiers } = replicas(store, 1);
    await notifiers[0].start();
    await store.updateStatus({ ...up, status: { ...up.status } });
    await tick();
    expect(sent).toEqual([]);

    // Ready again later (after a restart of the VM) is a new transition.
    const again = (await store.get('default', 'vm-1'))!;
    await running(store, again, '2026-01-01T11:00:00Z');
    await tick();
    expect(sent.map(s => s.options.payload.scope)).toEqual([
      `vm-lifecycle:${vm.metadata.uid}:ready@2026-01-01T11:00:00Z`,
    ]);
    notifiers[0].stop();
  });
});
