import request from 'supertest';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  NotificationSendOptions,
  notificationService,
} from '@backstage/plugin-notifications-node';
import {
  AapSimulator,
  createAapSimulator,
} from '@vm-selfservice/aap-simulator';
import { waitFor } from '../__testUtils__/waitFor';
import { vmLifecyclePlugin } from '../plugin';

jest.setTimeout(60_000);

const TEMPLATE = {
  id: 'small',
  title: 'Small',
  defaults: {
    image: { sourceType: 'registry', sourceRef: 'quay.io/fedora:latest' },
    cores: 1,
    memoryGiB: 1,
    bootDisk: { sizeGiB: 10 },
    runStrategy: 'Always',
  },
  editableFields: ['runStrategy'],
};

const TEAM_A: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'team-a', namespace: 'default' },
  spec: { type: 'team', children: [] },
  relations: [{ type: 'hasMember', targetRef: 'user:default/mock' }],
};

const ADMINS = 'group:default/platform-admins';
const REQUESTER_AND_OWNER = {
  type: 'entity',
  entityRef: ['user:default/mock', 'group:default/team-a'],
};

describe('notifications of VM transitions', () => {
  let sim: AapSimulator;
  let sent: NotificationSendOptions[];
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  beforeEach(async () => {
    sim = createAapSimulator({
      token: 't',
      durations: { provisionMs: 300, deprovisionMs: 100 },
      queueDelayMs: 10,
    });
    const { url } = await sim.listen(0, '127.0.0.1');
    sent = [];
    backend = await startTestBackend({
      features: [
        vmLifecyclePlugin,
        catalogServiceMock.factory({ entities: [TEAM_A] }),
        // The notifications service mock: records what the plugin sends.
        createServiceFactory({
          service: notificationService,
          deps: {},
          factory: () => ({
            send: async (options: NotificationSendOptions) => {
              sent.push(options);
            },
          }),
        }),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://portal.test' },
            vmLifecycle: {
              adminGroups: [ADMINS],
              provider: { aap: { baseUrl: `${url}/api/v2`, token: 't' } },
              controller: {
                pollInterval: { milliseconds: 100 },
                // Frequent resyncs rewrite nothing but replay every VM to the watchers.
                resyncInterval: { milliseconds: 500 },
              },
              notifications: { stuckDeletionAfter: { seconds: 1 } },
              templates: [TEMPLATE],
            },
          },
        }),
      ],
    });
  });

  afterEach(async () => {
    await backend.stop();
    await sim.close();
  });

  const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string) =>
    request(backend.server)
      [method](`/api/vm-lifecycle${path}`)
      .set('Authorization', mockCredentials.user.header());

  const requestVm = (name: string) =>
    api('post', '/instances')
      .send({
        metadata: {
          name,
          annotations: { 'osac.openshift.io/owner': 'group:default/team-a' },
        },
        spec: { templateID: 'small' },
      })
      .expect(201);

  const titled = (pattern: RegExp) =>
    sent.filter(n => pattern.test(n.payload.title));

  const phase = async (name: string) =>
    (await api('get', `/instances/default/${name}`)).body?.status?.phase;

  it('tells the requester and the owning group once that the VM is ready, and once that it is deleted', async () => {
    await requestVm('ready-vm');
    await waitFor('the ready notification', () =>
      titled(/ready-vm is ready/).length > 0 ? true : undefined,
    );
    expect(titled(/ready-vm is ready/)[0]).toEqual({
      recipients: REQUESTER_AND_OWNER,
      payload: expect.objectContaining({
        link: 'http://portal.test/virtual-machines/default/ready-vm',
        topic: 'vm-lifecycle',
        severity: 'normal',
        scope: expect.stringMatching(/^vm-lifecycle:.+:ready@/),
      }),
    });
    // Later writes and resyncs of the same state are no new transition.
    await api('patch', '/instances/default/ready-vm')
      .send({ spec: { runStrategy: 'Always' } })
      .expect(200);
    await new Promise(r => setTimeout(r, 1500));
    expect(titled(/ready-vm is ready/)).toHaveLength(1);

    await api('delete', '/instances/default/ready-vm').expect(202);
    await waitFor('the deleted notification', () =>
      titled(/ready-vm was deleted/).length > 0 ? true : undefined,
    );
    await new Promise(r => setTimeout(r, 600));
    expect(titled(/ready-vm was deleted/)).toEqual([
      {
        recipients: REQUESTER_AND_OWNER,
        payload: expect.objectContaining({ severity: 'low' }),
      },
    ]);
    expect(titled(/ready-vm is ready/)).toHaveLength(1);
  });

  it("tells them once that provisioning failed, with AAP's message and a link to the job", async () => {
    sim.setFaults({ jobFailureRate: 1 });
    await requestVm('bad-vm');
    await waitFor('the failure notification', () =>
      titled(/Provisioning VM default\/bad-vm failed/).length > 0
        ? true
        : undefined,
    );
    const vm = (await api('get', '/instances/default/bad-vm')).body;
    const job = vm.status.provisioningJobs.find(
      (j: any) => j.type === 'provision',
    );
    expect(job.message).not.toBe('');
    await new Promise(r => setTimeout(r, 1200));
    expect(titled(/bad-vm failed/)).toEqual([
      {
        recipients: REQUESTER_AND_OWNER,
        payload: expect.objectContaining({
          description: job.message,
          // No AAP UI link configured: the VM's page, which shows the job output.
          link: 'http://portal.test/virtual-machines/default/bad-vm',
          severity: 'high',
          scope: expect.stringContaining(`failed@${job.jobID}`),
        }),
      },
    ]);
  });

  it('tells them once that the deletion is blocked, the admins once that it is stuck, and all of them once that it is gone', async () => {
    await requestVm('stuck-vm');
    await waitFor('Running', async () =>
      (await phase('stuck-vm')) === 'Running' ? true : undefined,
    );
    sim.setFaults({ jobFailureRate: 1 });
    await api('delete', '/instances/default/stuck-vm').expect(202);
    await waitFor('the blocked notification', () =>
      titled(/Deletion of VM default\/stuck-vm is blocked/).length > 0
        ? true
        : undefined,
    );
    expect(titled(/stuck-vm is blocked/)[0]).toMatchObject({
      recipients: REQUESTER_AND_OWNER,
      payload: {
        description: expect.stringMatching(/^Deprovision job \d+ failed/),
      },
    });
    await waitFor(
      'the stuck notification to the admins',
      () => (titled(/stuck-vm stuck for/).length > 0 ? true : undefined),
      10_000,
    );
    expect(titled(/stuck-vm stuck for/)[0]).toMatchObject({
      recipients: { type: 'entity', entityRef: [ADMINS] },
      payload: { severity: 'high', topic: 'vm-lifecycle' },
    });

    // A retry that fails again keeps the deletion blocked: no new notification.
    await api('post', '/instances/default/stuck-vm/deletion/retry').expect(202);
    await waitFor('a second deprovision attempt', () =>
      sim.jobs().filter(j => j.template.includes('delete')).length >= 2
        ? true
        : undefined,
    );
    sim.setFaults({ jobFailureRate: 0 });
    await new Promise(r => setTimeout(r, 1500));
    expect(titled(/stuck-vm is blocked/)).toHaveLength(1);
    expect(titled(/stuck-vm stuck for/)).toHaveLength(1);

    await api('post', '/instances/default/stuck-vm/deletion/retry').expect(202);
    await waitFor('the deleted notification', () =>
      titled(/stuck-vm was deleted/).length > 0 ? true : undefined,
    );
    await new Promise(r => setTimeout(r, 600));
    expect(titled(/stuck-vm was deleted/)).toHaveLength(1);
  });
});
