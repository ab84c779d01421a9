import { waitFor } from '../__testUtils__/waitFor';
import {
  ApiBackend,
  apiCaller,
  startApiBackend,
} from '../__testUtils__/apiBackend';

jest.setTimeout(60_000);

/*
 * A deleted VM's history by uid (issue 16), through the plugin's REST API on the database store
 * and the AAP simulator: readable by whoever could read the VM (requester, owner's members,
 * admins), 404 for anyone else, and gone once vmLifecycle.history.retention has passed.
 */

const RETENTION_MS = 6000;

describe('GET /instances/by-uid/:uid (history of deleted instances)', () => {
  let backend: ApiBackend;
  let call: ReturnType<typeof apiCaller>;

  beforeEach(async () => {
    backend = await startApiBackend({
      vmLifecycle: { history: { retention: { milliseconds: RETENTION_MS } } },
    });
    call = apiCaller(backend.server);
  });

  afterEach(async () => {
    await backend.stop();
  });

  async function deletedVm() {
    const created = await call('post', '/instances').send({
      metadata: { name: 'web-1' },
      spec: { templateID: 'fedora_small' },
    });
    expect(created.status).toBe(201);
    await waitFor('web-1 to run', async () => {
      const res = await call('get', '/instances/default/web-1');
      return res.body.status?.phase === 'Running' || undefined;
    });
    expect((await call('delete', '/instances/default/web-1')).status).toBe(202);
    await waitFor('web-1 to be gone', async () => {
      const res = await call('get', '/instances/default/web-1');
      return res.status === 404 || undefined;
    });
    return created.body.metadata.uid as string;
  }

  it('keeps the final state and events for the requester and admins, 404 for others, until the retention ends', async () => {
    const uid = await deletedVm();
    const deletedAt = Date.now();

    const mine = await call('get', `/instances/by-uid/${uid}`);
    expect(mine.status).toBe(200);
    expect(mine.body.uid).toBe(uid);
    expect(mine.body.instance.metadata).toMatchObject({
      namespace: 'default',
      name: 'web-1',
      uid,
    });
    expect(mine.body.instance.status.provisioningJobs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'provision', state: 'Succeeded' }),
        expect.objectContaining({ type: 'deprovision', state: 'Succeeded' }),
      ]),
    );
    const events = await call('get', `/instances/by-uid/${uid}/events`);
    expect(events.status).toBe(200);
    expect(events.body.items.map((e: { reason: string }) => e.reason)).toEqual(
      expect.arrayContaining([
        'ProvisionJobSucceeded',
        'DeprovisionJobSucceeded',
      ]),
    );
    expect(
      (await call('get', '/instances/default/web-1/history')).body,
    ).toEqual({ items: [{ uid, deletedAt: expect.any(String) }] });

    // An admin reads it too; someone of another team cannot even learn it existed.
    expect(
      (await call('get', `/instances/by-uid/${uid}`, 'carol')).status,
    ).toBe(200);
    expect(
      (await call('get', `/instances/by-uid/${uid}/events`, 'carol')).status,
    ).toBe(200);
    expect((await call('get', `/instances/by-uid/${uid}`, 'bob')).status).toBe(
      404,
    );
    expect(
      (await call('get', `/instances/by-uid/${uid}/events`, 'bob')).status,
    ).toBe(404);
    expect(
      (await call('get', '/instances/default/web-1/history', 'bob')).body,
    ).toEqual({ items: [] });
    expect(
      (
        await call(
          'get',
          '/instances/by-uid/00000000-0000-0000-0000-000000000000',
        )
      ).status,
    ).toBe(404);
    expect((await call('get', '/instances/by-uid/..%2F')).status).toBe(400);

    // The deleted signal said how it ended.
    const signal = backend.published
      .map(p => p.message)
      .find(m => m.deleted && m.name === 'web-1');
    expect(signal).toMatchObject({
      uid,
      finalJob: { type: 'deprovision', state: 'Succeeded' },
    });

    // Past the retention it is gone for everyone.
    await new Promise(r =>
      setTimeout(r, Math.max(0, deletedAt + RETENTION_MS + 200 - Date.now())),
    );
    expect((await call('get', `/instances/by-uid/${uid}`)).status).toBe(404);
    expect(
      (await call('get', `/instances/by-uid/${uid}`, 'carol')).status,
    ).toBe(404);
    expect((await call('get', `/instances/by-uid/${uid}/events`)).status).toBe(
      404,
    );
    expect(
      (await call('get', '/instances/default/web-1/history')).body,
    ).toEqual({ items: [] });
  });
});
