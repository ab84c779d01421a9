import { ConfigReader } from '@backstage/config';
import {
  apiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { readInstanceLinks } from '@vm-selfservice/plugin-vm-lifecycle-node';
import { ExpiryNotifications } from './ExpiryNotifications';

const names = apiGroupNames();
const vm = {
  apiVersion: names.apiVersion,
  kind: 'ComputeInstance',
  metadata: {
    name: 'dev-1',
    namespace: 'default',
    uid: 'u-1',
    resourceVersion: '3',
    creationTimestamp: '2026-12-01T00:00:00.000Z',
    annotations: {
      [names.requestedByAnnotation]: 'user:default/alice',
      [names.ownerAnnotation]: 'group:default/team-a',
    },
  },
  spec: {},
  status: {},
} as unknown as ComputeInstance;

describe('ExpiryNotifications', () => {
  it("tells the VM's requester and owner of a reminder and of the expiry, each keyed by the expiry", async () => {
    const sent: any[] = [];
    const notifier = new ExpiryNotifications({
      notifications: { send: async (o: unknown) => void sent.push(o) } as any,
      names,
      links: readInstanceLinks(
        new ConfigReader({ app: { baseUrl: 'https://portal.example.com' } }),
      ),
    });
    await notifier.expiryReminder(vm, {
      expiresAt: '2026-12-10T00:00:00.000Z',
      beforeMs: 3 * 86_400_000,
    });
    await notifier.expired(vm, { expiresAt: '2026-12-10T00:00:00.000Z' });
    expect(sent).toHaveLength(2);
    for (const s of sent) {
      expect(s.recipients).toEqual({
        type: 'entity',
        entityRef: ['user:default/alice', 'group:default/team-a'],
      });
      expect(s.payload.link).toMatch(
        /^https:\/\/portal\.example\.com\/.*default\/dev-1$/,
      );
    }
    expect(sent[0].payload.title).toBe('VM default/dev-1 expires in 3 days');
    expect(sent[0].payload.scope).toBe(
      'vm-lifecycle:u-1:expiry-reminder@2026-12-10T00:00:00.000Z@259200000',
    );
    expect(sent[1].payload).toMatchObject({
      title: 'VM default/dev-1 expired and is being deleted',
      severity: 'high',
      scope: 'vm-lifecycle:u-1:expired@2026-12-10T00:00:00.000Z',
    });
  });
});
