import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import request from 'supertest';
import WebSocket from 'ws';
import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import { discoveryServiceFactory } from '@backstage/backend-defaults/discovery';
import { httpRouterServiceFactory } from '@backstage/backend-defaults/httpRouter';
import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { createSpecializedBackend } from '@backstage/backend-app-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import eventsBackendPlugin from '@backstage/plugin-events-backend';
import signalsBackendPlugin from '@backstage/plugin-signals-backend';
import {
  AapSimulator,
  createAapSimulator,
} from '@vm-selfservice/aap-simulator';
import { JsonObject } from '@backstage/types';
import knexFactory, { Knex } from 'knex';
import {
  AAP_TOKEN,
  TEMPLATES,
  userInfoFactory,
} from './__testUtils__/apiBackend';
import { jobsOfInstanceProblems } from './__testUtils__/integration';
import { waitFor } from './__testUtils__/waitFor';
import { vmLifecyclePlugin } from './plugin';
import {
  POSTGRES_CONNECTION_ENV,
  postgresConfigured,
} from './store/__testUtils__/testDatabases';

/**
 * Two replicas of the real plugin (each with the events and signals backends, as
 * packages/backend runs them) on one PostgreSQL database, behind no load balancer: the test talks to
 * each directly. The resync is set far beyond every wait, so what reaches the other replica in time
 * came through the change feed, and live updates through the events bus.
 */
/** A port the system says is free; the replica binds it right away. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise(resolve => probe.close(resolve));
  return port;
}

async function startPluginBackend(options: {
  simUrl: string;
  database: JsonObject;
  running: Array<{ stop(): Promise<void> }>;
}) {
  const { simUrl, database } = options;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // Backstage's own database, HTTP routers, discovery and events services, the rest mocked: the
  // test backend's router offers no WebSocket routes, which the signals backend needs.
  const backend = createSpecializedBackend({
    defaultServiceFactories: [
      mockServices.auth.factory(),
      mockServices.auditor.factory(),
      mockServices.cache.factory(),
      mockServices.httpAuth.factory(),
      mockServices.lifecycle.factory(),
      mockServices.logger.factory(),
      mockServices.permissions.factory(),
      mockServices.permissionsRegistry.factory(),
      mockServices.rootHealth.factory(),
      mockServices.rootLifecycle.factory(),
      mockServices.rootLogger.factory(),
      mockServices.scheduler.factory(),
      mockServices.urlReader.factory(),
      userInfoFactory(),
      databaseServiceFactory,
      rootHttpRouterServiceFactory(),
      httpRouterServiceFactory,
      discoveryServiceFactory,
      eventsServiceFactory,
      mockServices.rootConfig.factory({
        data: {
          backend: {
            baseUrl,
            listen: { host: '127.0.0.1', port },
            database,
          },
          vmLifecycle: {
            provider: {
              aap: {
                baseUrl: `${simUrl}/api/controller/v2`,
                token: AAP_TOKEN,
              },
            },
            controller: {
              pollInterval: { milliseconds: 100 },
              resyncInterval: { minutes: 30 },
            },
            templates: TEMPLATES,
          },
        },
      }),
    ],
  });
  backend.add(vmLifecyclePlugin);
  backend.add(eventsBackendPlugin);
  backend.add(signalsBackendPlugin);
  await backend.start();
  const replica = {
    port,
    stopped: false,
    async stop() {
      if (replica.stopped) return;
      replica.stopped = true;
      await backend.stop();
    },
    call(method: 'get' | 'post' | 'delete', path: string) {
      return request(baseUrl)
        [method](`/api/vm-lifecycle${path}`)
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/alice'),
        );
    },
  };
  options.running.push(replica);
  return replica;
}

/** The WebSocket of the signals backend, subscribed to our channel; `messages` fill as they come. */
async function subscribeSignals(port: number) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/signals`, {
    headers: {
      Authorization: mockCredentials.user.header('user:default/alice'),
    },
  });
  const messages: any[] = [];
  socket.on('message', data => messages.push(JSON.parse(String(data))));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ action: 'subscribe', channel: 'vm-lifecycle' }));
  // The subscription is registered by a message the test cannot await; give it a beat.
  await new Promise(resolve => setTimeout(resolve, 500));
  return { messages, close: () => socket.close() };
}

/*
 * SQLite is one process: its writes reach the controller and the signals through the store's
 * in-process watch, with no change feed to publish them a second time.
 */
describe('one replica on SQLite', () => {
  jest.setTimeout(120_000);
  let sim: AapSimulator;
  const running: Array<{ stop(): Promise<void> }> = [];

  afterAll(async () => {
    for (const backend of running.splice(0)) await backend.stop();
    await sim?.close();
  });

  it('runs a requested VM and publishes each of its status changes once', async () => {
    sim = createAapSimulator({
      token: AAP_TOKEN,
      durations: { provisionMs: 500, deprovisionMs: 200 },
      queueDelayMs: 20,
    });
    const simUrl = (await sim.listen(0, '127.0.0.1')).url;
    const replica = await startPluginBackend({
      simUrl,
      database: { client: 'better-sqlite3', connection: ':memory:' },
      running,
    });
    const signals = await subscribeSignals(replica.port);
    try {
      await replica
        .call('post', '/instances')
        .send({
          metadata: { name: 'solo' },
          spec: { templateID: 'fedora_small' },
        })
        .expect(201);
      const runningSignal = await waitFor(
        'the Running signal',
        () =>
          signals.messages.find(
            m => m.message?.name === 'solo' && m.message?.phase === 'Running',
          ),
        60_000,
        50,
      );
      const versions = signals.messages
        .filter(m => m.message?.name === 'solo')
        .map(m => m.message.resourceVersion);
      expect(new Set(versions).size).toBe(versions.length);
      expect(versions).toContain(runningSignal.message.resourceVersion);
      expect(sim.jobs().filter(j => j.instance?.name === 'solo')).toHaveLength(
        1,
      );
    } finally {
      signals.close();
    }
  });
});

// Gated rather than skipped: without the variable there is no PostgreSQL suite at all.
if (postgresConfigured) {
  describe('two replicas on one PostgreSQL database', () => {
    jest.setTimeout(180_000);
    const url = process.env[POSTGRES_CONNECTION_ENV]!;
    const prefix = `vmlc_replicas_${randomBytes(5).toString('hex')}_`;
    let sim: AapSimulator;
    let simUrl: string;
    let admin: Knex;
    const replicasRunning: Array<{ stop(): Promise<void> }> = [];

    beforeAll(async () => {
      sim = createAapSimulator({
        token: AAP_TOKEN,
        durations: { provisionMs: 1500, deprovisionMs: 300 },
        queueDelayMs: 20,
      });
      simUrl = (await sim.listen(0, '127.0.0.1')).url;
      admin = knexFactory({
        client: 'pg',
        connection: url,
        pool: { min: 0, max: 1 },
      });
    });

    afterAll(async () => {
      for (const backend of replicasRunning.splice(0)) await backend.stop();
      await sim?.close();
      const databases = await admin
        .select('datname')
        .from('pg_database')
        .where('datname', 'like', `${prefix}%`);
      for (const { datname } of databases)
        await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [datname]);
      await admin.destroy();
    });

    const startReplica = () =>
      startPluginBackend({
        simUrl,
        database: { client: 'pg', connection: url, prefix },
        running: replicasRunning,
      });

    let leader: Awaited<ReturnType<typeof startReplica>>;
    let follower: Awaited<ReturnType<typeof startReplica>>;
    let plugin: Knex;

    const phaseVia = async (
      replica: typeof follower,
      name: string,
    ): Promise<string | undefined> => {
      const res = await replica.call('get', `/instances/default/${name}`);
      if (res.status === 404) return 'gone';
      return res.body?.status?.phase;
    };
    const jobsOf = (name: string) =>
      sim.jobs().filter(j => j.instance?.name === name);

    it('starts a leader, then a follower', async () => {
      leader = await startReplica();
      plugin = knexFactory({
        client: 'pg',
        connection: Object.assign(new URL(url), {
          pathname: `/${prefix}vm-lifecycle`,
        }).toString(),
        pool: { min: 0, max: 1 },
      });
      // The follower starts once the first replica holds the lease, so which one leads is known.
      await waitFor(
        'the first replica to hold the lease',
        async () =>
          await plugin('vm_lifecycle_leases')
            .first('holder')
            .catch(() => undefined),
      );
      follower = await startReplica();
      expect(
        (await follower.call('get', '/settings').expect(200)).body,
      ).toMatchObject({ store: 'database' });
    });

    afterAll(async () => {
      await plugin?.destroy();
    });

    it('runs a VM requested through the follower', async () => {
      await follower
        .call('post', '/instances')
        .send({
          metadata: { name: 'via-follower' },
          spec: { templateID: 'fedora_small' },
        })
        .expect(201);
      await waitFor(
        'via-follower to be Running',
        async () => (await phaseVia(follower, 'via-follower')) === 'Running',
        60_000,
        100,
      );
      expect(
        jobsOfInstanceProblems(jobsOf('via-follower'), {
          provision: 1,
          deprovision: 0,
        }),
      ).toEqual([]);
    });

    it("carries the leader's status changes to a signal subscriber of the follower", async () => {
      const { messages, close } = await subscribeSignals(follower.port);
      try {
        // Created through the leader: every write of this instance happens on the other replica.
        await leader
          .call('post', '/instances')
          .send({
            metadata: { name: 'signalled' },
            spec: { templateID: 'fedora_small' },
          })
          .expect(201);
        const running = await waitFor(
          'the Running signal at the follower',
          () =>
            messages.find(
              m =>
                m.message?.name === 'signalled' &&
                m.message?.phase === 'Running',
            ),
          60_000,
          50,
        );
        expect(running.channel).toBe('vm-lifecycle');
        // Published once, by the leader: no copy from the follower's own watch.
        const copies = messages.filter(
          m =>
            m.message?.name === 'signalled' &&
            m.message?.resourceVersion === running.message.resourceVersion,
        );
        expect(copies).toHaveLength(1);
      } finally {
        close();
      }
    });

    it('deletes through the follower while provisioning: one deprovision job, then gone', async () => {
      await follower
        .call('post', '/instances')
        .send({
          metadata: { name: 'early-delete' },
          spec: { templateID: 'fedora_small' },
        })
        .expect(201);
      await waitFor(
        'the provision job to run',
        () => jobsOf('early-delete').some(j => j.status === 'running'),
        60_000,
        20,
      );
      await follower
        .call('delete', '/instances/default/early-delete')
        .expect(202);
      await waitFor(
        'early-delete to be gone on both replicas',
        async () =>
          (await phaseVia(follower, 'early-delete')) === 'gone' &&
          (await phaseVia(leader, 'early-delete')) === 'gone',
        60_000,
        100,
      );
      const jobs = jobsOf('early-delete');
      expect(jobs.filter(j => j.template.includes('delete'))).toHaveLength(1);
      expect(
        jobsOfInstanceProblems(jobs, { provision: 1, deprovision: 1 }),
      ).toEqual([]);
    });

    it('hands over to the follower when the leader stops, with no second job', async () => {
      await follower
        .call('post', '/instances')
        .send({
          metadata: { name: 'handover' },
          spec: { templateID: 'fedora_small' },
        })
        .expect(201);
      await waitFor(
        'the provision job to be launched',
        () => jobsOf('handover').length > 0,
        60_000,
        20,
      );
      await leader.stop();
      await waitFor(
        'handover to be Running through the former follower',
        async () => (await phaseVia(follower, 'handover')) === 'Running',
        90_000,
        100,
      );
      expect(
        jobsOfInstanceProblems(jobsOf('handover'), {
          provision: 1,
          deprovision: 0,
        }),
      ).toEqual([]);
      // The former follower leads now: a new request runs too.
      await follower
        .call('post', '/instances')
        .send({
          metadata: { name: 'after-handover' },
          spec: { templateID: 'fedora_small' },
        })
        .expect(201);
      await waitFor(
        'after-handover to be Running',
        async () => (await phaseVia(follower, 'after-handover')) === 'Running',
        90_000,
        100,
      );
      expect(jobsOf('after-handover')).toHaveLength(1);
    });
  });
}
