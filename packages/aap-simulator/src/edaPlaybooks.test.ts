import {
  FakeServer,
  startFakeKubeApi,
  startFakeServer,
} from './testing/fakeCallbackServers';
import {
  isFinished,
  SimHarness,
  startSimulator,
} from './testing/simTestHarness';

const CREATE_STREAM = '5e0d2c1a-aaaa-4b4b-9c9c-000000000001';
const DELETE_STREAM = '5e0d2c1a-bbbb-4b4b-9c9c-000000000002';
const TOKEN = 'eda-stream-token';
const GROUP = 'osac.openshift.io';
const FINALIZER = `${GROUP}/computeinstance-aap`;
const ANNOTATION = `${GROUP}/reconciled-config-version`;

function instance(name: string, uid: string, version = 'cafe0123') {
  return {
    apiVersion: `${GROUP}/v1alpha1`,
    kind: 'ComputeInstance',
    metadata: { namespace: 'team-a', name, uid },
    spec: { templateID: 'small', runStrategy: 'Always' },
    status: { desiredConfigVersion: version },
  };
}

describe('EDA playbook side effects', () => {
  let h: SimHarness;
  let target: FakeServer | undefined;

  const send = (uuid: string, body: object, token = `Bearer ${TOKEN}`) =>
    fetch(
      `${h.url}/eda-event-streams/api/eda/v1/external_event_stream/${uuid}/post/`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: token },
        body: JSON.stringify(body),
      },
    );
  const lastJob = async (template: string) => {
    const job = h.sim
      .jobs()
      .filter(j => j.template === template)
      .pop()!;
    return h.waitForJob(job.id, isFinished);
  };

  beforeEach(async () => {
    h = await startSimulator({
      edaStreams: [
        { uuid: CREATE_STREAM, action: 'provision', token: TOKEN },
        { uuid: DELETE_STREAM, action: 'deprovision', token: TOKEN },
      ],
    });
  });

  afterEach(async () => {
    await h.close();
    await target?.close();
    target = undefined;
  });

  describe('callback target (database mode)', () => {
    let vmsAtCall: number[];

    async function useCallback(answer: (path: string) => number = () => 200) {
      vmsAtCall = [];
      target = await startFakeServer(call => {
        vmsAtCall.push(h.sim.vms().length);
        return { status: answer(call.path), body: { outcome: 'updated' } };
      });
      h.sim.setEdaTarget({
        type: 'callback',
        baseUrl: `${target.url}/api/vm-lifecycle/`,
        token: 'callback-token',
      });
    }

    it('create adds the AAP finalizer before the VM exists and sets the reconciled version at the end', async () => {
      await useCallback();
      expect((await send(CREATE_STREAM, instance('web', 'u1'))).status).toBe(
        200,
      );
      expect((await lastJob('osac-create-compute-instance')).status).toBe(
        'successful',
      );
      expect(target!.calls.map(c => [c.method, c.path, c.body])).toEqual([
        [
          'POST',
          '/api/vm-lifecycle/eda/callback/team-a/web/aap-finalizer',
          { action: 'add', uid: 'u1' },
        ],
        [
          'POST',
          '/api/vm-lifecycle/eda/callback/team-a/web/reconciled',
          { configVersion: 'cafe0123', uid: 'u1' },
        ],
      ]);
      expect(target!.calls[0].headers.authorization).toBe(
        'Bearer callback-token',
      );
      expect(vmsAtCall).toEqual([0, 1]);
    });

    it('delete removes the AAP finalizer once the VM is gone', async () => {
      await useCallback();
      await send(CREATE_STREAM, instance('web', 'u1'));
      await lastJob('osac-create-compute-instance');
      target!.calls.length = 0;
      vmsAtCall.length = 0;
      await send(DELETE_STREAM, instance('web', 'u1'));
      expect((await lastJob('osac-delete-compute-instance')).status).toBe(
        'successful',
      );
      expect(target!.calls.map(c => [c.path, c.body])).toEqual([
        [
          '/api/vm-lifecycle/eda/callback/team-a/web/aap-finalizer',
          { action: 'remove', uid: 'u1' },
        ],
      ]);
      expect(vmsAtCall).toEqual([0]);
    });

    it('a refused callback fails the task, so a create that cannot add its finalizer creates no VM', async () => {
      await useCallback(path => (path.endsWith('aap-finalizer') ? 409 : 200));
      await send(CREATE_STREAM, instance('late', 'u2'));
      const job = await lastJob('osac-create-compute-instance');
      expect(job.status).toBe('failed');
      expect(job.result_traceback).toContain('TASK [Validate request]');
      expect(job.result_traceback).toContain('HTTP 409');
      expect(h.sim.vms()).toEqual([]);
      expect(target!.calls).toHaveLength(1);
    });

    it('retries a callback that fails with a server error', async () => {
      let failures = 2;
      await useCallback(() => (failures-- > 0 ? 503 : 200));
      await send(CREATE_STREAM, instance('flaky', 'u3'));
      expect((await lastJob('osac-create-compute-instance')).status).toBe(
        'successful',
      );
      expect(target!.calls.map(c => c.path.split('/').pop())).toEqual([
        'aap-finalizer',
        'aap-finalizer',
        'aap-finalizer',
        'reconciled',
      ]);
    });

    it('fails the create when the event carries no desiredConfigVersion', async () => {
      await useCallback();
      const { status: _status, ...withoutStatus } = instance('nover', 'u4');
      await send(CREATE_STREAM, withoutStatus);
      const job = await lastJob('osac-create-compute-instance');
      expect(job.status).toBe('failed');
      expect(job.result_traceback).toContain('desiredConfigVersion');
    });

    it('AAP Direct launches and EDA events without a target touch nothing but the inventory', async () => {
      await useCallback();
      await h.launch('osac-create-compute-instance', {
        namespace: 'team-a',
        name: 'direct',
        uid: 'd1',
      });
      await lastJob('osac-create-compute-instance');
      h.sim.setEdaTarget(undefined);
      await send(CREATE_STREAM, instance('untargeted', 'u5'));
      await lastJob('osac-create-compute-instance');
      expect(target!.calls).toEqual([]);
      expect(h.sim.vms()).toHaveLength(2);
    });
  });

  describe('kubernetes target (cluster mode)', () => {
    it('patches the CR: finalizer during create, annotation at its end, finalizer removal at the end of delete', async () => {
      const kube = await startFakeKubeApi(GROUP);
      target = kube;
      kube.add('team-a', 'web', 'u1', [`${GROUP}/computeinstance`]);
      h.sim.setEdaTarget({
        type: 'kubernetes',
        apiServerUrl: kube.url,
        token: 'sa-token',
      });
      kube.conflictNextPatches(1);

      await send(CREATE_STREAM, instance('web', 'u1'));
      expect((await lastJob('osac-create-compute-instance')).status).toBe(
        'successful',
      );
      const created = kube.objects.get('team-a/web')!.metadata;
      expect(created.finalizers).toEqual([
        `${GROUP}/computeinstance`,
        FINALIZER,
      ]);
      expect(created.annotations[ANNOTATION]).toBe('cafe0123');
      const patches = kube.calls.filter(c => c.method === 'PATCH');
      expect(patches[0].headers.authorization).toBe('Bearer sa-token');
      // The conflict made it read again and resend with the fresh resourceVersion.
      expect(patches).toHaveLength(3);

      await send(DELETE_STREAM, instance('web', 'u1'));
      expect((await lastJob('osac-delete-compute-instance')).status).toBe(
        'successful',
      );
      expect(kube.objects.get('team-a/web')!.metadata.finalizers).toEqual([
        `${GROUP}/computeinstance`,
      ]);
    });

    it('does not add the finalizer to a CR being deleted, nor touch a newer CR that reused the name', async () => {
      const kube = await startFakeKubeApi(GROUP);
      target = kube;
      h.sim.setEdaTarget({ type: 'kubernetes', apiServerUrl: kube.url });
      kube.add('team-a', 'gone', 'u1', [`${GROUP}/computeinstance`]);
      kube.markDeleted('team-a', 'gone');
      await send(CREATE_STREAM, instance('gone', 'u1'));
      const job = await lastJob('osac-create-compute-instance');
      expect(job.status).toBe('failed');
      expect(job.result_traceback).toContain('being deleted');

      kube.add('team-a', 'reused', 'new-uid', [FINALIZER]);
      await send(DELETE_STREAM, instance('reused', 'old-uid'));
      expect((await lastJob('osac-delete-compute-instance')).status).toBe(
        'successful',
      );
      expect(kube.objects.get('team-a/reused')!.metadata.finalizers).toEqual([
        FINALIZER,
      ]);
    });
  });

  it('accepts the token with or without "Bearer ", as EDA does', async () => {
    expect((await send(CREATE_STREAM, instance('a', 'a'), TOKEN)).status).toBe(
      200,
    );
    expect(
      (await send(CREATE_STREAM, instance('b', 'b'), `Bearer ${TOKEN}`)).status,
    ).toBe(200);
    expect(
      (await send(CREATE_STREAM, instance('c', 'c'), 'Bearer wrong')).status,
    ).toBe(403);
  });
});
