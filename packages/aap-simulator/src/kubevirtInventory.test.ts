import { FakeServer, startFakeServer } from './testing/fakeCallbackServers';
import {
  isFinished,
  SimHarness,
  startSimulator,
} from './testing/simTestHarness';

/*
 * The `kubevirt` option: the playbooks' VMs are KubeVirt objects in a Kubernetes API server. Here a
 * recording fake stands in for the API server; the vm-lifecycle backend's cluster tests run the
 * option against the kube test API server.
 */

const CREATE = 'osac-create-compute-instance';
const DELETE = 'osac-delete-compute-instance';
const VMS = '/apis/kubevirt.io/v1/namespaces/team-a/virtualmachines';
const VMIS = '/apis/kubevirt.io/v1/namespaces/team-a/virtualmachineinstances';

describe('AAP simulator with VMs as KubeVirt objects', () => {
  let kube: FakeServer;
  let h: SimHarness;
  let refuseCreate = false;

  beforeEach(async () => {
    refuseCreate = false;
    kube = await startFakeServer(call => {
      if (call.method === 'POST' && refuseCreate) {
        return {
          status: 403,
          body: {
            kind: 'Status',
            message: 'virtualmachines.kubevirt.io is forbidden',
          },
        };
      }
      if (call.method === 'GET') {
        return {
          status: 200,
          body: { items: [{ metadata: { name: 'web-u1abc' } }] },
        };
      }
      return {
        status: call.method === 'POST' ? 201 : 200,
        body: call.body ?? {},
      };
    });
    h = await startSimulator({
      kubevirt: { apiServerUrl: kube.url, token: 'kube-token' },
    });
  });

  afterEach(async () => {
    await h.close();
    await kube.close();
  });

  it('creates a labelled VirtualMachine and its running VMI, and deletes them by label', async () => {
    const created = await h.launch(CREATE, {
      namespace: 'team-a',
      name: 'web',
      uid: 'u1abc-0000',
    });
    expect((await h.waitForJob(created, isFinished)).status).toBe('successful');
    const labels = {
      'osac.openshift.io/computeinstance': 'web',
      'osac.openshift.io/computeinstance-uid': 'u1abc-0000',
    };
    expect(kube.calls.map(c => `${c.method} ${c.path}`)).toEqual([
      `POST ${VMS}`,
      `PATCH ${VMS}/web-u1abc/status`,
      `POST ${VMIS}`,
      `PATCH ${VMIS}/web-u1abc/status`,
    ]);
    expect(kube.calls[0].body.metadata).toMatchObject({
      name: 'web-u1abc',
      namespace: 'team-a',
      labels,
    });
    expect(kube.calls[0].headers.authorization).toBe('Bearer kube-token');
    expect(kube.calls[1].headers['content-type']).toBe(
      'application/merge-patch+json',
    );
    expect(kube.calls[2].body.metadata.labels).toEqual(labels);
    expect(kube.calls[3].body.status).toEqual({
      phase: 'Running',
      interfaces: [
        {
          name: 'default',
          ipAddress: expect.stringMatching(/^10\.128\.\d+\.\d+$/),
        },
      ],
    });
    // The in-memory inventory is not used.
    expect(h.sim.vms()).toEqual([]);

    kube.calls.length = 0;
    const deleted = await h.launch(DELETE, {
      namespace: 'team-a',
      name: 'web',
      uid: 'u1abc-0000',
    });
    expect((await h.waitForJob(deleted, isFinished)).status).toBe('successful');
    expect(
      kube.calls.map(c => `${c.method} ${decodeURIComponent(c.path)}`),
    ).toEqual([
      `GET ${VMS}?labelSelector=osac.openshift.io/computeinstance=web,osac.openshift.io/computeinstance-uid=u1abc-0000`,
      `DELETE ${VMIS}/web-u1abc`,
      `DELETE ${VMS}/web-u1abc`,
    ]);
  });

  it('fails the Create VM task with what the API server said', async () => {
    refuseCreate = true;
    const id = await h.launch(CREATE, {
      namespace: 'team-a',
      name: 'web',
      uid: 'u1abc-0000',
    });
    const job = await h.waitForJob(id, isFinished);
    expect(job.status).toBe('failed');
    expect(job.result_traceback).toContain('TASK [Create VM]');
    expect(job.result_traceback).toContain(
      'Failed to create VirtualMachine: 403 virtualmachines.kubevirt.io is forbidden',
    );
  });
});
