import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  apiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import express from 'express';
import request from 'supertest';
import { InMemoryStore } from '../store/InMemoryStore';
import { sampleSpec } from '../__testUtils__/harness';
import { vmLifecyclePlugin } from '../plugin';
import { createEdaCallbackRouter } from './edaCallbackRouter';

const names = apiGroupNames();
const TOKEN = 'callback-token-0d9f-5e1a-4c2b-9f7e-31d8';

function app(
  token: string | null = TOKEN,
  failedAttempts?: { limit: number; windowMs: number },
) {
  const store = new InMemoryStore();
  const written: string[] = [];
  const logger = mockServices.logger.mock();
  const server = express();
  server.use(
    createEdaCallbackRouter({
      store,
      names,
      logger,
      token: token ?? undefined,
      failedAttempts,
      onWrite: i =>
        written.push(`${i.metadata.name}@${i.metadata.resourceVersion}`),
    }),
  );
  server.use(
    MiddlewareFactory.create({
      config: mockServices.rootConfig(),
      logger,
    }).error(),
  );
  return { server, store, written };
}

async function instance(
  store: InMemoryStore,
  name = 'vm',
  finalizers = [names.finalizer],
): Promise<ComputeInstance> {
  return store.create({
    metadata: { name, namespace: 'default', finalizers },
    spec: sampleSpec(),
  });
}

const post = (
  server: express.Express,
  path: string,
  body: object,
  token: string | null = TOKEN,
) => {
  const req = request(server).post(`/eda/callback/default/${path}`).send(body);
  return token === null ? req : req.set('Authorization', `Bearer ${token}`);
};

describe('EDA callback router', () => {
  it('sets the reconciled-config-version annotation', async () => {
    const { server, store, written } = app();
    const vm = await instance(store);
    const res = await post(server, 'vm/reconciled', {
      configVersion: 'a1b2c3',
      uid: vm.metadata.uid,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      outcome: 'updated',
      uid: vm.metadata.uid,
      reconciledConfigVersion: 'a1b2c3',
    });
    expect(res.body.annotations).toBeUndefined();
    expect(
      (await store.get('default', 'vm'))!.metadata.annotations[
        names.reconciledConfigVersionAnnotation
      ],
    ).toBe('a1b2c3');
    expect(written).toHaveLength(1);
    expect(
      (
        await post(server, 'vm/reconciled', {
          configVersion: 'a1b2c3',
          uid: vm.metadata.uid,
        })
      ).body.outcome,
    ).toBe('unchanged');
  });

  it('adds and removes the AAP finalizer; removal is idempotent and may release the record', async () => {
    const { server, store } = app();
    const vm = await instance(store);
    expect(
      (
        await post(server, 'vm/aap-finalizer', {
          action: 'add',
          uid: vm.metadata.uid,
        })
      ).body.finalizers,
    ).toEqual([names.finalizer, names.aapFinalizer]);
    const removed = await post(server, 'vm/aap-finalizer', {
      action: 'remove',
      uid: vm.metadata.uid,
    });
    expect(removed.body).toMatchObject({
      outcome: 'updated',
      finalizers: [names.finalizer],
    });
    expect(
      (
        await post(server, 'vm/aap-finalizer', {
          action: 'remove',
          uid: vm.metadata.uid,
        })
      ).body.outcome,
    ).toBe('unchanged');

    const last = await instance(store, 'last', [names.aapFinalizer]);
    await store.delete('default', 'last');
    expect(
      (
        await post(server, 'last/aap-finalizer', {
          action: 'remove',
          uid: last.metadata.uid,
        })
      ).body,
    ).toEqual({ outcome: 'removed' });
    expect(await store.get('default', 'last')).toBeUndefined();
    const gone = await post(server, 'last/aap-finalizer', {
      action: 'remove',
      uid: last.metadata.uid,
    });
    expect(gone.status).toBe(200);
    expect(gone.body).toEqual({ outcome: 'notFound' });
  });

  it('refuses to add the finalizer to an instance being deleted (409), so the create playbook stops', async () => {
    const { server, store } = app();
    const vm = await instance(store);
    await store.delete('default', 'vm');
    const res = await post(server, 'vm/aap-finalizer', {
      action: 'add',
      uid: vm.metadata.uid,
    });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('is being deleted');
  });

  it('never touches a newer instance that reused the name', async () => {
    const { server, store } = app();
    const vm = await instance(store);
    const res = await post(server, 'vm/reconciled', {
      configVersion: 'v',
      uid: 'an-old-uid',
    });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain(vm.metadata.uid);
    const remove = await post(server, 'vm/aap-finalizer', {
      action: 'remove',
      uid: 'an-old-uid',
    });
    expect(remove.body).toEqual({ outcome: 'uidMismatch' });
    expect((await store.get('default', 'vm'))!.metadata.annotations).toEqual(
      {},
    );
  });

  it('answers 404 for an unknown instance and 400 for a bad body', async () => {
    const { server, store } = app();
    const { uid } = (await instance(store)).metadata;
    expect(
      (await post(server, 'nope/reconciled', { configVersion: 'v', uid }))
        .status,
    ).toBe(404);
    const bad = await post(server, 'vm/reconciled', {
      configVersion: 'has spaces',
      uid,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('configVersion');
    expect(
      (await post(server, 'vm/aap-finalizer', { action: 'toggle', uid }))
        .status,
    ).toBe(400);
    const malformed = await request(server)
      .post('/eda/callback/default/vm/reconciled')
      .set('Authorization', `Bearer ${TOKEN}`)
      .set('Content-Type', 'application/json')
      .send('{not json');
    expect(malformed.status).toBe(400);
  });

  it('checks the shared token itself: 401 without, 403 wrong, 503 when none is configured', async () => {
    const { server, store } = app();
    await instance(store);
    expect(
      (await post(server, 'vm/reconciled', { configVersion: 'v' }, null))
        .status,
    ).toBe(401);
    expect(
      (await post(server, 'vm/reconciled', { configVersion: 'v' }, 'wrong'))
        .status,
    ).toBe(403);
    expect(
      (await post(server, 'vm/reconciled', { configVersion: 'v' }, `${TOKEN}x`))
        .status,
    ).toBe(403);
    expect((await store.get('default', 'vm'))!.metadata.annotations).toEqual(
      {},
    );

    const disabled = app(null);
    const res = await post(disabled.server, 'vm/reconciled', {
      configVersion: 'v',
    });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain('callbackToken');
  });

  it('retries its write when the controller wrote in between', async () => {
    const { server, store } = app();
    const vm = await instance(store);
    let raced = 0;
    store.beforeWrite = async (kind, obj) => {
      if (kind === 'update' && raced++ < 3)
        await store.updateStatus({ ...obj, status: { phase: 'Starting' } });
    };
    expect(
      (
        await post(server, 'vm/aap-finalizer', {
          action: 'add',
          uid: vm.metadata.uid,
        })
      ).status,
    ).toBe(200);
    expect((await store.get('default', 'vm'))!.metadata.finalizers).toContain(
      names.aapFinalizer,
    );
  });

  it('requires the uid, so a late callback can never touch a recreated instance of the same name', async () => {
    const { server, store, written } = app();
    const old = await instance(store, 'vm', []);
    await store.delete('default', 'vm');
    const recreated = await instance(store);
    expect(recreated.metadata.uid).not.toBe(old.metadata.uid);
    for (const [route, body] of [
      ['reconciled', { configVersion: 'v1' }],
      ['aap-finalizer', { action: 'add' }],
      ['aap-finalizer', { action: 'remove' }],
    ] as const) {
      const res = await post(server, `vm/${route}`, body);
      expect({ route, status: res.status }).toEqual({ route, status: 400 });
      expect(res.body.error.message).toContain('uid');
    }
    const now = (await store.get('default', 'vm'))!;
    expect(now.metadata.annotations).toEqual({});
    expect(now.metadata.finalizers).toEqual([names.finalizer]);
    expect(written).toEqual([]);
  });

  it('refuses a client that failed the token check too often, even with the right token, until the window passes', async () => {
    const { server, store } = app(TOKEN, { limit: 3, windowMs: 1500 });
    const { uid } = (await instance(store)).metadata;
    const body = { configVersion: 'v1', uid };
    for (let i = 0; i < 3; i++) {
      expect((await post(server, 'vm/reconciled', body, 'guess')).status).toBe(
        403,
      );
    }
    const refused = await post(server, 'vm/reconciled', body);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.body.error.name).toBe('TooManyRequestsError');
    expect((await store.get('default', 'vm'))!.metadata.annotations).toEqual(
      {},
    );
    await new Promise(r => setTimeout(r, 1600));
    expect((await post(server, 'vm/reconciled', body)).status).toBe(200);
  });

  it('does not count successful calls against the client', async () => {
    const { server, store } = app(TOKEN, { limit: 2, windowMs: 60_000 });
    const { uid } = (await instance(store)).metadata;
    for (let i = 0; i < 5; i++) {
      expect(
        (await post(server, 'vm/reconciled', { configVersion: `v${i}`, uid }))
          .status,
      ).toBe(200);
    }
  });

  it('leaves other routes alone', async () => {
    const { server } = app();
    expect((await request(server).get('/instances')).status).toBe(404);
  });

  describe('at start-up', () => {
    const start = (callbackToken: string) =>
      startTestBackend({
        features: [
          vmLifecyclePlugin,
          mockServices.rootConfig.factory({
            data: {
              vmLifecycle: {
                provider: {
                  type: 'eda',
                  eda: {
                    provisionUrl: 'http://127.0.0.1:9/provision',
                    deprovisionUrl: 'http://127.0.0.1:9/deprovision',
                    auth: { type: 'token', token: 'stream-token' },
                    callbackToken,
                  },
                },
              },
            },
          }),
        ],
      });

    it('refuses a callback token shorter than 32 characters, saying which setting', async () => {
      await expect(start('x'.repeat(31))).rejects.toThrow(
        'Invalid config vmLifecycle.provider.eda.callbackToken: must be at least 32 characters (it has 31)',
      );
    });

    it('starts with a token of 32 characters', async () => {
      const backend = await start('x'.repeat(32));
      const health = await request(backend.server).get(
        '/api/vm-lifecycle/health',
      );
      expect(health.status).toBe(200);
      await backend.stop();
    });
  });
});
