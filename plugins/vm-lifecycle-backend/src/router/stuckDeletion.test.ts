import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { waitFor } from '../__testUtils__/waitFor';
import {
  ApiBackend,
  apiCaller,
  startApiBackend,
} from '../__testUtils__/apiBackend';

jest.setTimeout(90_000);

/*
 * Issue 18.7 through the real plugin (router, permission policy, controller) against the simulator
 * over HTTP: a deletion blocked by a failed deprovision says why on the resource, and admins get
 * "retry now" and "release", both permission-gated and audited.
 */
describe('a way out of stuck deletions', () => {
  let api: ApiBackend;
  let call: ReturnType<typeof apiCaller>;

  beforeAll(async () => {
    api = await startApiBackend({
      durations: { provisionMs: 300, deprovisionMs: 100 },
      vmLifecycle: {
        controller: {
          pollInterval: { milliseconds: 100 },
          resyncInterval: { seconds: 2 },
          deletionStuckAfter: { seconds: 2 },
        },
      },
    });
    call = apiCaller(api.server);
  });
  afterAll(async () => {
    await api.stop();
  });

  async function get(name: string, user = 'alice') {
    return call('get', `/instances/default/${name}`, user);
  }

  async function createRunning(name: string) {
    api.sim.setFaults({ jobFailureRate: 0 });
    const res = await call('post', '/instances').send({
      metadata: { name, namespace: 'default' },
      spec: { templateID: 'fedora_small' },
    });
    expect(res.status).toBe(201);
    await waitFor(`${name} Running`, async () => {
      const r = await get(name);
      return r.body.status?.phase === 'Running';
    });
  }

  /** Deletes with every new AAP job failing: the deprovision fails and blocks the deletion. */
  async function deleteIntoBlock(name: string): Promise<ComputeInstance> {
    api.sim.setFaults({ jobFailureRate: 1 });
    expect((await call('delete', `/instances/default/${name}`)).status).toBe(
      202,
    );
    return waitFor(`${name} deletion blocked`, async () => {
      const r = await get(name);
      const c = (r.body as ComputeInstance).status?.conditions?.find(
        x => x.type === 'DeletionBlocked',
      );
      return c?.status === 'True' ? (r.body as ComputeInstance) : undefined;
    });
  }

  function deprovisionJobs(name: string) {
    return api.sim
      .jobs()
      .filter(j => j.instance?.name === name && j.template.includes('delete'));
  }

  it('a failed deprovision sets DeletionBlocked with the next attempt; "retry now" runs it at once', async () => {
    await createRunning('stuck-1');
    const blocked = await deleteIntoBlock('stuck-1');
    const condition = blocked.status.conditions!.find(
      c => c.type === 'DeletionBlocked',
    )!;
    expect(condition.reason).toBe('DeprovisionFailed');
    expect(condition.message).toMatch(/next attempt at \d{4}-\d\d-\d\dT/);
    const events = (await call('get', '/instances/default/stuck-1/events')).body
      .items;
    expect(events.map((e: any) => e.reason)).toContain('DeletionBlocked');
    expect(deprovisionJobs('stuck-1')).toHaveLength(1);

    // Someone who may not read it learns nothing; the requester may retry.
    const foreign = await call(
      'post',
      '/instances/default/stuck-1/deletion/retry',
      'bob',
    );
    expect(foreign.status).toBe(404);

    api.sim.setFaults({ jobFailureRate: 0 });
    const retry = await call(
      'post',
      '/instances/default/stuck-1/deletion/retry',
    );
    expect(retry.status).toBe(202);
    // The backoff would wait 2 minutes; the retry launches the second deprovision job now.
    await waitFor('stuck-1 gone', async () => {
      return (await get('stuck-1')).status === 404;
    });
    const jobs = deprovisionJobs('stuck-1');
    expect(jobs.map(j => j.status)).toEqual(['failed', 'successful']);
    expect(api.sim.vms().filter(v => v.name === 'stuck-1')).toEqual([]);
    expect(api.auditEvents).toContainEqual(
      expect.objectContaining({
        eventId: 'instance-deletion-retry',
        outcome: 'success',
      }),
    );
  });

  it('"release" is for admins, wants a confirmation and a reason, and lets the record go', async () => {
    await createRunning('stuck-2');
    await deleteIntoBlock('stuck-2');
    const path = '/instances/default/stuck-2/deletion/release';

    const byRequester = await call('post', path).send({
      confirm: 'vm-gone',
      reason: 'I think it is gone',
    });
    expect(byRequester.status).toBe(403);

    const noReason = await call('post', path, 'carol').send({
      confirm: 'vm-gone',
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toContain('reason');
    const badConfirm = await call('post', path, 'carol').send({
      confirm: 'sure',
      reason: 'Removed by hand in vCenter, ticket OPS-1',
    });
    expect(badConfirm.status).toBe(400);
    expect(badConfirm.body.error.message).toContain('confirm');
    expect((await get('stuck-2')).status).toBe(200);

    const released = await call('post', path, 'carol').send({
      confirm: 'vm-gone',
      reason: 'Removed by hand in vCenter, ticket OPS-1',
    });
    expect(released.status).toBe(204);
    expect((await get('stuck-2')).status).toBe(404);
    expect(api.auditEvents).toContainEqual(
      expect.objectContaining({
        eventId: 'instance-deletion-release',
        outcome: 'success',
        meta: expect.objectContaining({
          confirm: 'vm-gone',
          reason: 'Removed by hand in vCenter, ticket OPS-1',
        }),
      }),
    );
    expect(api.auditEvents).toContainEqual(
      expect.objectContaining({
        eventId: 'instance-deletion-release',
        outcome: 'fail',
      }),
    );
  });

  it('both answer 409 for an instance that is not being deleted', async () => {
    await createRunning('alive-1');
    const retry = await call(
      'post',
      '/instances/default/alive-1/deletion/retry',
    );
    expect(retry.status).toBe(409);
    const release = await call(
      'post',
      '/instances/default/alive-1/deletion/release',
      'carol',
    ).send({ confirm: 'accept-risk', reason: 'Testing the release route' });
    expect(release.status).toBe(409);
    expect((await get('alive-1')).body.metadata.finalizers).toHaveLength(1);
  });
});
