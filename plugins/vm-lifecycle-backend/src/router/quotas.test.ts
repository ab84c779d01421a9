import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  quotasResponseSchema,
  QuotaStatus,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  apiCaller,
  ApiBackend,
  startApiBackend,
  TEMPLATES,
} from '../__testUtils__/apiBackend';
import { waitFor } from '../__testUtils__/waitFor';
import { availableDatabases } from '../store/__testUtils__/testDatabases';

jest.setTimeout(90_000);

const OWNER = 'osac.openshift.io/owner';
const QUOTAS = {
  defaultUser: { maxInstances: 2, cores: 8 },
  groups: [
    { group: 'group:default/team-a', cores: 16, memoryGiB: 64, diskGiB: 1000 },
  ],
};

function body(name: string, extra: Record<string, unknown> = {}) {
  return {
    metadata: { name, annotations: { [OWNER]: 'group:default/team-a' } },
    spec: { templateID: 'fedora_small', cores: 4, ...extra },
  };
}

describe.each(availableDatabases())(
  'quotas through the REST API on %s',
  (backend, newDatabase) => {
    const started: ApiBackend[] = [];
    const pools: Knex[] = [];

    afterEach(async () => {
      await Promise.all(started.splice(0).map(b => b.stop()));
      await Promise.all(pools.splice(0).map(p => p.destroy()));
    });

    /** `count` backends on one database: replicas of one deployment. */
    async function replicas(count: number) {
      const knex = await newDatabase();
      pools.push(knex);
      const result: ApiBackend[] = [];
      for (let i = 0; i < count; i++) {
        const own = i === 0 ? knex : knexFactory(knex.client.config);
        if (i > 0) pools.push(own);
        const b = await startApiBackend({
          knex: own,
          vmLifecycle: { quotas: QUOTAS, templates: TEMPLATES },
        });
        started.push(b);
        result.push(b);
      }
      return result;
    }

    it('refuses a request over the group quota with 422 naming limit, use and request, and stores nothing', async () => {
      const [b] = await replicas(1);
      const api = apiCaller(b.server);
      for (const name of ['a-1', 'a-2', 'a-3'])
        await api('post', '/instances').send(body(name)).expect(201);
      const refused = await api('post', '/instances')
        .send(body('a-4', { cores: 6 }))
        .expect(422);
      expect(refused.body.error.message).toBe(
        'quota of group:default/team-a: cores 12 of 16 used, this request needs 6',
      );
      await api('get', '/instances/default/a-4').expect(404);
      // What still fits is admitted: the refusal counted nothing.
      await api('post', '/instances').send(body('a-4')).expect(201);
      expect(b.auditEvents).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            eventId: 'instance-create',
            outcome: 'fail',
            error: expect.stringContaining('quota of group:default/team-a'),
          }),
        ]),
      );
    });

    it("charges a VM without owner to its requester's user quota", async () => {
      const [b] = await replicas(1);
      const api = apiCaller(b.server);
      const own = (name: string) => ({
        metadata: { name },
        spec: { templateID: 'fedora_small', cores: 2 },
      });
      await api('post', '/instances', 'bob').send(own('b-1')).expect(201);
      await api('post', '/instances', 'bob').send(own('b-2')).expect(201);
      const refused = await api('post', '/instances', 'bob')
        .send(own('b-3'))
        .expect(422);
      expect(refused.body.error.message).toBe(
        'quota of user:default/bob: VMs 2 of 2 used, this request needs 1',
      );
      // Alice's own quota is hers alone.
      await api('post', '/instances', 'alice').send(own('c-1')).expect(201);
    });

    it('GET /quotas answers the caller their quotas and use; ?all=true is for admins', async () => {
      const [b] = await replicas(1);
      const api = apiCaller(b.server);
      await api('post', '/instances').send(body('a-1')).expect(201);
      const mine = quotasResponseSchema.parse(
        (await api('get', '/quotas').expect(200)).body,
      );
      const bySubject = (items: QuotaStatus[], s: string) =>
        items.find(q => q.subject === s);
      expect(bySubject(mine.items, 'group:default/team-a')).toEqual({
        subject: 'group:default/team-a',
        kind: 'group',
        source: 'configured',
        limits: { cores: 16, memoryGiB: 64, diskGiB: 1000 },
        used: { instances: 1, cores: 4, memoryGiB: 4, diskGiB: 20 },
      });
      expect(bySubject(mine.items, 'user:default/alice')).toEqual(
        expect.objectContaining({
          kind: 'user',
          source: 'default',
          limits: { instances: 2, cores: 8 },
          used: { instances: 0, cores: 0, memoryGiB: 0, diskGiB: 0 },
        }),
      );
      // Bob is not in team-a: its quota is not his to see.
      const bobs = (await api('get', '/quotas', 'bob').expect(200)).body;
      expect(bobs.items.map((q: QuotaStatus) => q.subject)).toEqual([
        'user:default/bob',
      ]);
      await api('get', '/quotas?all=true', 'alice').expect(403);
      const all = (await api('get', '/quotas?all=true', 'carol').expect(200))
        .body;
      expect(bySubject(all.items, 'group:default/team-a')?.used.cores).toBe(4);
    });

    it('gives the quota back once the VM is finally removed', async () => {
      const [b] = await replicas(1);
      const api = apiCaller(b.server);
      for (const name of ['a-1', 'a-2', 'a-3', 'a-4'])
        await api('post', '/instances').send(body(name)).expect(201);
      await api('post', '/instances').send(body('a-5')).expect(422);
      await waitFor('a-1 to run', async () => {
        const res = await api('get', '/instances/default/a-1');
        return res.body.status?.phase === 'Running' || undefined;
      });
      await api('delete', '/instances/default/a-1').expect(202);
      // Still counted while it is being deleted: the VM still exists.
      await api('post', '/instances').send(body('a-5')).expect(422);
      await waitFor('a-1 to be gone', async () => {
        const res = await api('get', '/instances/default/a-1');
        return res.status === 404 || undefined;
      });
      await waitFor('the quota to be given back', async () => {
        const res = await api('post', '/instances').send(body('a-5'));
        return res.status === 201 || undefined;
      });
      const mine = (await api('get', '/quotas').expect(200)).body;
      expect(
        mine.items.find(
          (q: QuotaStatus) => q.subject === 'group:default/team-a',
        ).used.cores,
      ).toBe(16);
    });

    it(`of concurrent requests that each fit alone, admits only as many as fit together${backend === 'PostgreSQL' ? ' (two replicas)' : ''}`, async () => {
      const backends = await replicas(backend === 'PostgreSQL' ? 2 : 1);
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          request(backends[i % backends.length].server)
            .post('/api/vm-lifecycle/instances')
            .set(
              'Authorization',
              mockCredentials.user.header(
                i % 2 ? 'user:default/alice' : 'user:default/dave',
              ),
            )
            .send(body(`c-${i}`)),
        ),
      );
      const statuses = responses.map(r => r.status).sort();
      expect(statuses).toEqual([
        201, 201, 201, 201, 422, 422, 422, 422, 422, 422,
      ]);
      const list = await apiCaller(backends[0].server)(
        'get',
        '/instances',
        'carol',
      );
      expect(list.body.items).toHaveLength(4);
      const usage = (
        await apiCaller(backends[0].server)('get', '/quotas').expect(200)
      ).body;
      expect(
        usage.items.find(
          (q: QuotaStatus) => q.subject === 'group:default/team-a',
        ).used,
      ).toEqual({ instances: 4, cores: 16, memoryGiB: 16, diskGiB: 80 });
    });
  },
);
