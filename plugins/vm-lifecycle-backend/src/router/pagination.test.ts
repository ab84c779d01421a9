import { Server } from 'node:http';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import express from 'express';
import request from 'supertest';
import { Knex } from 'knex';
import {
  AuditorService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { PolicyDecision } from '@backstage/plugin-permission-common';
import {
  apiGroupNames,
  ComputeInstanceList,
  DEFAULT_PAGE_SIZE,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { DatabaseEventStore } from '../events/DatabaseEventStore';
import { VmLifecyclePermissionPolicy } from '../permissions/policy';
import { createInstanceRules } from '../permissions/rules';
import { ContinueTokens } from '../service/continueToken';
import { InstanceService } from '../service/InstanceService';
import { availableDatabases } from '../store/__testUtils__/testDatabases';
import { DatabaseStore } from '../store/DatabaseStore';
import { createRouter } from './createRouter';

/*
 * GET /instances?limit=&continue= through the real router, InstanceService and DatabaseStore on
 * SQLite and (when configured) PostgreSQL. Permissions are decided by the plugin's own policy, so
 * a user's list carries the same conditional decision the permission backend would hand over.
 */

const names = apiGroupNames();
const GROUPS: Record<string, string[]> = {
  'user:default/alice': ['group:default/team-a'],
  'user:default/admin': ['group:default/platform-admins'],
};
const TTL_MS = 60_000;

const spec = {
  templateID: 'fedora_small',
  image: {
    sourceType: 'registry' as const,
    sourceRef: 'quay.io/containerdisks/fedora:latest',
  },
  cores: 2,
  memoryGiB: 4,
  bootDisk: { sizeGiB: 20 },
  runStrategy: 'Always' as const,
};

const policy = new VmLifecyclePermissionPolicy({
  adminGroups: ['group:default/platform-admins'],
  delegate: { handle: async () => ({ result: 'DENY' as any }) },
});

/** The plugin's policy, asked as the permission backend asks it for each request. */
const permissions = {
  async authorizeConditional(requests: any[], { credentials }: any) {
    const ref = credentials.principal.userEntityRef;
    const user = {
      info: {
        userEntityRef: ref,
        ownershipEntityRefs: [ref, ...(GROUPS[ref] ?? [])],
      },
    } as any;
    return Promise.all(
      requests.map(
        r =>
          policy.handle({ permission: r.permission }, user) as Promise<
            PolicyDecision & any
          >,
      ),
    );
  },
  async authorize(requests: any[]) {
    return requests.map(() => ({ result: 'ALLOW' }));
  },
} as unknown as PermissionsService;

const auditor = {
  createEvent: async () => ({ success: async () => {}, fail: async () => {} }),
} as unknown as AuditorService;

describe.each(availableDatabases())(
  'GET /instances pages on %s',
  (_, factory) => {
    let knex: Knex;
    let store: DatabaseStore;
    let server: Server;
    let clock: number;

    beforeEach(async () => {
      knex = await factory();
      store = await DatabaseStore.create({ knex });
      const events = await DatabaseEventStore.create({
        knex,
        skipMigrations: true,
      });
      clock = Date.now();
      const service = new InstanceService({
        store,
        events,
        templates: [],
        names,
        defaultNamespace: 'default',
        continueTokens: new ContinueTokens({ ttlMs: TTL_MS }, () => clock),
        now: () => new Date(clock),
      });
      const logger = mockServices.logger.mock();
      const router = await createRouter({
        logger,
        service,
        httpAuth: mockServices.httpAuth(),
        permissions,
        auditor,
        rules: createInstanceRules(names),
      });
      const app = express()
        .use('/api/vm-lifecycle', router)
        .use(
          MiddlewareFactory.create({
            config: mockServices.rootConfig(),
            logger,
          }).error(),
        );
      server = app.listen(0, '127.0.0.1');
    });

    afterEach(async () => {
      await new Promise(resolve => server.close(resolve));
      await knex.destroy();
    });

    const list = (query: string, user = 'admin') =>
      request(server)
        .get(`/api/vm-lifecycle/instances${query}`)
        .set(
          'Authorization',
          mockCredentials.user.header(`user:default/${user}`),
        );

    async function page(query: string, user = 'admin') {
      const res = await list(query, user);
      expect(res.status).toBe(200);
      return res.body as ComputeInstanceList;
    }

    const key = (i: { metadata: { namespace: string; name: string } }) =>
      `${i.metadata.namespace}/${i.metadata.name}`;

    async function createVm(
      name: string,
      namespace: string,
      annotations: Record<string, string> = {},
    ) {
      return store.create({
        metadata: { name, namespace, annotations },
        spec,
      });
    }

    async function seed(
      n: number,
      annotate?: (i: number) => Record<string, string>,
    ) {
      for (let i = 0; i < n; i += 25) {
        await Promise.all(
          Array.from({ length: Math.min(25, n - i) }, (__, j) =>
            createVm(
              `vm-${String(i + j).padStart(3, '0')}`,
              (i + j) % 2 ? 'team-b' : 'team-a',
              annotate?.(i + j) ?? {},
            ),
          ),
        );
      }
    }

    it.each([
      ['namespace', 'asc'],
      ['name', 'desc'],
      ['creationTimestamp', 'asc'],
    ])(
      'serves every row exactly once while rows are created and deleted between pages (sort=%s, order=%s)',
      async (sort, order) => {
        await seed(120);
        const initial = new Set((await store.list()).map(key));
        const deleted = new Set<string>();
        const seen: string[] = [];
        let token: string | undefined;
        let created = 0;
        for (let round = 0; ; round++) {
          const query = `?limit=25&sort=${sort}&order=${order}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
          const body = await page(query);
          expect(body.kind).toBe('ComputeInstanceList');
          seen.push(...body.items.map(key));
          for (const k of body.items.map(key))
            expect(deleted.has(k)).toBe(false);
          token = body.metadata.continue;
          // A token exactly when more follow; every page but the last is full.
          expect(Boolean(token)).toBe(body.metadata.remainingItemCount > 0);
          expect(token ? body.items.length : 25).toBe(25);
          if (!token) break;
          // Between pages: remove two rows not served yet and one already served, add new ones on
          // both sides of the cursor.
          const remaining = [...initial].filter(
            k => !seen.includes(k) && !deleted.has(k),
          );
          for (const k of [
            remaining[3],
            remaining[remaining.length - 1],
            seen[0],
          ]) {
            if (!k || deleted.has(k)) continue;
            const [ns, name] = k.split('/');
            await store.delete(ns, name);
            deleted.add(k);
          }
          for (const name of [`aaa-${round}`, `zzz-${round}`]) {
            await createVm(name, round % 2 ? 'team-a' : 'team-b');
            created++;
          }
          expect(round).toBeLessThan(20);
        }
        expect(new Set(seen).size).toBe(seen.length);
        const survivors = [...initial].filter(k => !deleted.has(k));
        expect(survivors.filter(k => !seen.includes(k))).toEqual([]);
        expect(created).toBeGreaterThan(0);
      },
    );

    it('answers a default-sized page with a continue token when no limit is given', async () => {
      await seed(DEFAULT_PAGE_SIZE + 7);
      const first = await page('');
      expect(first.items).toHaveLength(DEFAULT_PAGE_SIZE);
      expect(first.metadata.remainingItemCount).toBe(7);
      expect(first.metadata.continue).toEqual(expect.any(String));
      const second = await page(
        `?continue=${encodeURIComponent(first.metadata.continue!)}`,
      );
      expect(second.items).toHaveLength(7);
      expect(second.metadata).toEqual({ remainingItemCount: 0 });
      expect(new Set([...first.items, ...second.items].map(key)).size).toBe(
        DEFAULT_PAGE_SIZE + 7,
      );
    });

    it('refuses a tampered, expired or foreign continue token with a 400 naming continue', async () => {
      await seed(5);
      const { metadata } = await page('?limit=2&phase=None');
      const token = metadata.continue!;
      const [body, mac] = token.split('.');
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
      const forged = Buffer.from(
        JSON.stringify({ ...payload, a: ['team-z', 'vm-999'] }),
      ).toString('base64url');
      const flipped = `${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
      for (const bad of [
        `${forged}.${mac}`,
        `${body}.${flipped}`,
        'garbage',
        `${body}`,
      ]) {
        const res = await list(
          `?limit=2&phase=None&continue=${encodeURIComponent(bad)}`,
        );
        expect(res.status).toBe(400);
        expect(res.body.error.message).toMatch(/^continue: /);
      }
      const otherQuery = await list(
        `?limit=2&continue=${encodeURIComponent(token)}`,
      );
      expect(otherQuery.status).toBe(400);
      expect(otherQuery.body.error.message).toMatch(
        /^continue: .*other filters/,
      );

      clock += TTL_MS + 1;
      const expired = await list(
        `?limit=2&phase=None&continue=${encodeURIComponent(token)}`,
      );
      expect(expired.status).toBe(400);
      expect(expired.body.error.message).toMatch(/^continue: .*expired/);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['sort=size', 'sort'],
      ['order=up', 'order'],
      ['phase=Booting', 'phase'],
      ['failedJobs=yes', 'failedJobs'],
      ['stuckDeletingMinutes=-1', 'stuckDeletingMinutes'],
      ['search=WEB', 'search'],
      ['search=a%25', 'search'],
      ['owner=', 'owner'],
      ['owner=not%20a%20ref!', 'owner'],
      ['requestedBy[x]=y', 'requestedBy'],
      ['colour=blue', 'colour'],
    ])('refuses %s with a 400 naming %s', async (query, parameter) => {
      const res = await list(`?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(new RegExp(`^${parameter}: `));
    });

    it('filters by phase, failed jobs, time in deletion and name, and sorts', async () => {
      const running = await createVm('web-1', 'team-a');
      await store.updateStatus({ ...running, status: { phase: 'Running' } });
      const failed = await createVm('db-1', 'team-b');
      await store.updateStatus({
        ...failed,
        status: {
          phase: 'Failed',
          provisioningJobs: [
            {
              jobID: '3',
              type: 'provision',
              timestamp: '2025-06-01T10:00:00Z',
              state: 'Failed',
              message: 'failed',
              configVersion: 'v1',
              blockDeletionOnFailure: false,
            },
          ],
        },
      });
      await store.create({
        metadata: {
          name: 'old-1',
          namespace: 'team-a',
          finalizers: ['x.io/keep'],
        },
        spec,
      });
      await store.delete('team-a', 'old-1');
      await createVm('web-2', 'team-b');
      const names$ = async (query: string) =>
        (await page(query)).items.map(i => i.metadata.name);

      expect(await names$('?phase=Running')).toEqual(['web-1']);
      expect(await names$('?phase=None')).toEqual(['old-1', 'web-2']);
      expect(await names$('?failedJobs=true')).toEqual(['db-1']);
      expect(await names$('?search=web&sort=name&order=desc')).toEqual([
        'web-2',
        'web-1',
      ]);
      // The cut-off follows the service's clock; the deletion happened just before this.
      clock = Date.now() + 1000;
      expect(await names$('?stuckDeletingMinutes=0')).toEqual(['old-1']);
      expect(await names$('?stuckDeletingMinutes=10')).toEqual([]);
      clock += 11 * 60_000;
      expect(await names$('?stuckDeletingMinutes=10')).toEqual(['old-1']);
      expect(await names$('?sort=phase')).toEqual([
        'old-1',
        'web-2',
        'db-1',
        'web-1',
      ]);
      expect(await names$('?namespace=team-b&sort=name')).toEqual([
        'db-1',
        'web-2',
      ]);
    });

    it("filters by the component a VM belongs to, and pages only that component's VMs", async () => {
      const pay = { [names.componentAnnotation]: 'component:default/payments' };
      for (let i = 0; i < 7; i++)
        await createVm(`vm-${i}`, 'team-a', i % 2 ? pay : {});
      await createVm('elsewhere', 'team-b', {
        [names.componentAnnotation]: 'component:default/search',
      });
      const first = await page('?component=payments&limit=2&sort=name');
      expect(first.items.map(i => i.metadata.name)).toEqual(['vm-1', 'vm-3']);
      expect(first.metadata.remainingItemCount).toBe(1);
      const second = await page(
        `?component=component:default/payments&limit=2&sort=name&continue=${encodeURIComponent(first.metadata.continue!)}`,
      );
      expect(second.items.map(i => i.metadata.name)).toEqual(['vm-5']);
      expect(
        (await page('?component=component:default/search')).items.map(
          i => i.metadata.name,
        ),
      ).toEqual(['elsewhere']);
    });

    it('gives a caller who may see few of many rows full pages, reading only those rows', async () => {
      // 200 instances; alice requested every 20th and her group owns every 25th: 18 in all.
      await seed(200, i => {
        const a: Record<string, string> = {
          [names.requestedByAnnotation]:
            i % 20 === 0 ? 'user:default/alice' : 'user:default/bob',
        };
        if (i % 25 === 7) a[names.ownerAnnotation] = 'group:default/team-a';
        return a;
      });
      const rowsRead = countRowsRead(knex);
      const pages: ComputeInstanceList[] = [];
      let token: string | undefined;
      do {
        const body = await page(
          `?limit=5&sort=name${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
          'alice',
        );
        pages.push(body);
        token = body.metadata.continue;
      } while (token);
      rowsRead.stop();
      expect(pages.map(p => p.items.length)).toEqual([5, 5, 5, 3]);
      expect(pages.map(p => p.metadata.remainingItemCount)).toEqual([
        13, 8, 3, 0,
      ]);
      for (const item of pages.flatMap(p => p.items)) {
        const a = item.metadata.annotations;
        expect(
          a[names.requestedByAnnotation] === 'user:default/alice' ||
            a[names.ownerAnnotation] === 'group:default/team-a',
        ).toBe(true);
      }
      // Four pages of at most 5 rows, and a one-row count for each full page.
      expect(rowsRead.rows).toBeLessThanOrEqual(4 * 5 + 3);
    });

    it('answers a caller who may see nothing without reading rows', async () => {
      await seed(150, () => ({
        [names.requestedByAnnotation]: 'user:default/bob',
      }));
      const rowsRead = countRowsRead(knex);
      const body = await page('?limit=50', 'erin');
      rowsRead.stop();
      expect(body).toEqual({
        kind: 'ComputeInstanceList',
        metadata: { remainingItemCount: 0 },
        items: [],
      });
      expect(rowsRead.rows).toBe(0);
      expect(rowsRead.queries).toBeLessThanOrEqual(1);
    });
  },
);

/** Rows the database returned to the plugin while counting. */
function countRowsRead(knex: Knex) {
  const counter = { rows: 0, queries: 0, stop: () => {} };
  const listener = (response: unknown) => {
    counter.queries++;
    if (Array.isArray(response)) counter.rows += response.length;
    else if (response && typeof response === 'object') counter.rows += 1;
  };
  knex.on('query-response', listener);
  counter.stop = () => knex.removeListener('query-response', listener);
  return counter;
}
