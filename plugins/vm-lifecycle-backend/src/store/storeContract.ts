/* eslint-disable jest/no-export, jest/valid-title -- a reusable suite: exported, titled by its caller */
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "expectRejection"] }] */
import {
  ComputeInstance,
  ComputeInstanceSpec,
  JOB_STATES,
  JobState,
  PHASES,
  ProvisioningJob,
  apiGroupNames,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { sortKeyOf } from './pageOrder';
import {
  ComputeInstanceStore,
  ListPage,
  ListPageRequest,
  NewComputeInstance,
  PermissionFilter,
  WatchEvent,
} from './types';

/*
 * The behaviour every ComputeInstanceStore adapter must share (Kubernetes API semantics), written
 * once and run against each adapter. Written against the port only: errors are matched by name and
 * watch events are awaited, so an adapter whose events arrive asynchronously (a Kubernetes informer)
 * passes the same suite. The factory's store must use the default API group (osac.openshift.io)
 * and start empty.
 */

export interface StoreUnderTest {
  store: ComputeInstanceStore;
  close(): Promise<void>;
}

const names = apiGroupNames();
const NS = 'team-a';

const baseSpec: ComputeInstanceSpec = {
  templateID: 'osac.templates.ocp_virt_vm',
  image: {
    sourceType: 'registry',
    sourceRef: 'quay.io/containerdisks/fedora:latest',
  },
  cores: 2,
  memoryGiB: 4,
  bootDisk: { sizeGiB: 20 },
  runStrategy: 'Always',
};

function newInstance(
  name: string,
  metadata: Partial<NewComputeInstance['metadata']> = {},
): NewComputeInstance {
  return {
    metadata: { name, namespace: NS, ...metadata },
    spec: { ...baseSpec },
  };
}

function job(
  state: JobState,
  overrides: Partial<ProvisioningJob> = {},
): ProvisioningJob {
  return {
    jobID: '42',
    type: 'provision',
    timestamp: '2025-06-01T10:00:00Z',
    state,
    message: `job is ${state}`,
    configVersion: 'abc123',
    blockDeletionOnFailure: false,
    ...overrides,
  };
}

async function expectRejection(
  promise: Promise<unknown>,
  name: string,
  message?: RegExp,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).name).toBe(name);
  if (message) expect((error as Error).message).toMatch(message);
}

async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

/** Registers the store contract as a jest `describe` block named `name`; a fresh store per test. */
export function runStoreContractTests(
  name: string,
  factory: () => Promise<StoreUnderTest>,
): void {
  describe(name, () => {
    let subject: StoreUnderTest;
    let store: ComputeInstanceStore;

    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });

    afterEach(async () => {
      await subject.close();
    });

    /** Records watch events; `settle` writes a marker object and waits for it, so everything before it has arrived. */
    function recordEvents() {
      const events: WatchEvent[] = [];
      const unsubscribe = store.watch(e => events.push(e));
      let markers = 0;
      return {
        events,
        unsubscribe,
        async settle(): Promise<WatchEvent[]> {
          const marker = `marker-${++markers}`;
          await store.create({
            ...newInstance(marker),
            metadata: { name: marker, namespace: 'markers' },
          });
          await waitFor(
            () => events.some(e => e.object.metadata.name === marker),
            `the ${marker} event`,
          );
          return events.filter(e => e.object.metadata.namespace !== 'markers');
        },
      };
    }

    describe('create and get', () => {
      it('assigns uid, resourceVersion, creationTimestamp, generation and the defaults', async () => {
        const before = Date.now();
        const created = await store.create(newInstance('vm-1'));
        expect(created.apiVersion).toBe('osac.openshift.io/v1alpha1');
        expect(created.kind).toBe('ComputeInstance');
        expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
        expect(typeof created.metadata.resourceVersion).toBe('string');
        expect(created.metadata.resourceVersion).not.toBe('');
        expect(
          Date.parse(created.metadata.creationTimestamp),
        ).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
        expect(created.metadata.generation).toBe(1);
        expect(created.metadata.deletionTimestamp).toBeUndefined();
        expect(created.metadata.labels).toEqual({});
        expect(created.metadata.annotations).toEqual({});
        expect(created.metadata.finalizers).toEqual([]);
        expect(created.status).toEqual({});
        expect(created.spec).toEqual(baseSpec);
      });

      it('get returns what create returned, and undefined for an unknown name', async () => {
        const created = await store.create(
          newInstance('vm-1', {
            labels: { env: 'dev' },
            annotations: {
              [names.requestedByAnnotation]: 'user:default/alice',
            },
            finalizers: [names.finalizer],
          }),
        );
        expect(await store.get(NS, 'vm-1')).toEqual(created);
        expect(await store.get(NS, 'nope')).toBeUndefined();
        expect(await store.get('other', 'vm-1')).toBeUndefined();
      });

      it('gives every object its own uid', async () => {
        const a = await store.create(newInstance('vm-1'));
        const b = await store.create(newInstance('vm-2'));
        expect(a.metadata.uid).not.toBe(b.metadata.uid);
      });

      it('keeps a status given at create after validating it', async () => {
        const created = await store.create({
          ...newInstance('vm-1'),
          status: { phase: 'Starting', provisioningJobs: [job('Pending')] },
        });
        expect(created.status).toEqual({
          phase: 'Starting',
          provisioningJobs: [job('Pending')],
        });
        await expectRejection(
          store.create({
            ...newInstance('vm-2'),
            status: { phase: 'Exploded' as any },
          }),
          'InputError',
          /status\.phase/,
        );
        expect(await store.get(NS, 'vm-2')).toBeUndefined();
      });

      it('refuses a name taken in the namespace with AlreadyExistsError, but not in another namespace', async () => {
        await store.create(newInstance('vm-1'));
        await expectRejection(
          store.create(newInstance('vm-1')),
          'AlreadyExistsError',
          /team-a\/vm-1/,
        );
        const elsewhere = await store.create({
          ...newInstance('vm-1'),
          metadata: { name: 'vm-1', namespace: 'team-b' },
        });
        expect(elsewhere.metadata.namespace).toBe('team-b');
      });

      it('refuses the name while the old object is still being deleted', async () => {
        await store.create(
          newInstance('vm-1', { finalizers: [names.finalizer] }),
        );
        await store.delete(NS, 'vm-1');
        await expectRejection(
          store.create(newInstance('vm-1')),
          'AlreadyExistsError',
        );
      });

      it('gives a recreated name a new uid', async () => {
        const first = await store.create(newInstance('vm-1'));
        await store.delete(NS, 'vm-1');
        const second = await store.create(newInstance('vm-1'));
        expect(second.metadata.uid).not.toBe(first.metadata.uid);
      });

      it.each(['Bad_Name', '-leading', 'x'.repeat(64), ''])(
        'refuses the name %j with InputError',
        async bad => {
          await expectRejection(
            store.create(newInstance(bad)),
            'InputError',
            /metadata\.name/,
          );
        },
      );

      it('hands out copies: mutating a returned object does not change the store', async () => {
        const created = await store.create(
          newInstance('vm-1', { labels: { env: 'dev' } }),
        );
        created.metadata.labels.env = 'prod';
        created.spec.cores = 99;
        const read = (await store.get(NS, 'vm-1'))!;
        expect(read.metadata.labels.env).toBe('dev');
        expect(read.spec.cores).toBe(2);
        read.metadata.labels.env = 'prod';
        expect((await store.get(NS, 'vm-1'))!.metadata.labels.env).toBe('dev');
        expect((await store.list())[0].metadata.labels.env).toBe('dev');
      });
    });

    describe('list', () => {
      beforeEach(async () => {
        await store.create(
          newInstance('web-2', {
            labels: { app: 'web', env: 'prod' },
            annotations: {
              [names.requestedByAnnotation]: 'user:default/alice',
              [names.ownerAnnotation]: 'group:default/web',
            },
          }),
        );
        await store.create(
          newInstance('web-1', {
            labels: { app: 'web', env: 'dev' },
            annotations: { [names.requestedByAnnotation]: 'user:default/bob' },
          }),
        );
        await store.create({
          ...newInstance('db-1'),
          metadata: {
            name: 'db-1',
            namespace: 'team-b',
            labels: { app: 'db', env: 'prod' },
            annotations: {
              [names.requestedByAnnotation]: 'user:default/alice',
              [names.ownerAnnotation]: 'group:default/dba',
            },
          },
        });
      });

      const keys = (items: ComputeInstance[]) =>
        items.map(i => `${i.metadata.namespace}/${i.metadata.name}`);

      it('lists everything ordered by namespace then name', async () => {
        expect(keys(await store.list())).toEqual([
          'team-a/web-1',
          'team-a/web-2',
          'team-b/db-1',
        ]);
      });

      it('filters by namespace', async () => {
        expect(keys(await store.list({ namespace: 'team-a' }))).toEqual([
          'team-a/web-1',
          'team-a/web-2',
        ]);
        expect(await store.list({ namespace: 'nobody' })).toEqual([]);
      });

      it('filters by exact label match, all pairs required', async () => {
        expect(keys(await store.list({ labels: { app: 'web' } }))).toEqual([
          'team-a/web-1',
          'team-a/web-2',
        ]);
        expect(keys(await store.list({ labels: { env: 'prod' } }))).toEqual([
          'team-a/web-2',
          'team-b/db-1',
        ]);
        expect(
          keys(await store.list({ labels: { app: 'web', env: 'prod' } })),
        ).toEqual(['team-a/web-2']);
        expect(await store.list({ labels: { app: 'we' } })).toEqual([]);
        expect(
          keys(
            await store.list({ namespace: 'team-b', labels: { env: 'prod' } }),
          ),
        ).toEqual(['team-b/db-1']);
      });

      it('filters by the requested-by and owner annotations', async () => {
        expect(
          keys(await store.list({ requestedBy: 'user:default/alice' })),
        ).toEqual(['team-a/web-2', 'team-b/db-1']);
        expect(keys(await store.list({ owner: 'group:default/dba' }))).toEqual([
          'team-b/db-1',
        ]);
        expect(
          keys(
            await store.list({
              requestedBy: 'user:default/alice',
              namespace: 'team-a',
            }),
          ),
        ).toEqual(['team-a/web-2']);
        expect(await store.list({ owner: 'group:default/nobody' })).toEqual([]);
      });

      it('follows annotation changes made by update', async () => {
        const web1 = (await store.get(NS, 'web-1'))!;
        web1.metadata.annotations[names.ownerAnnotation] = 'group:default/dba';
        await store.update(web1);
        expect(keys(await store.list({ owner: 'group:default/dba' }))).toEqual([
          'team-a/web-1',
          'team-b/db-1',
        ]);
      });

      it('returns full objects equal to get', async () => {
        const listed = await store.list({ namespace: 'team-a' });
        expect(listed[0]).toEqual(await store.get(NS, 'web-1'));
      });
    });

    describe('listPage', () => {
      const ALICE = 'user:default/alice';
      const BOB = 'user:default/bob';
      const WEB = 'group:default/web';
      const DBA = 'group:default/dba';
      const asc = (field: ListPageRequest['sort']['field']) => ({
        field,
        order: 'asc' as const,
      });
      const keys = (items: ComputeInstance[]) =>
        items.map(i => `${i.metadata.namespace}/${i.metadata.name}`);

      /** Names chosen so that code-unit order differs from a locale's ('-' before letters). */
      async function seed() {
        const made = [
          {
            ns: 'team-a',
            name: 'web-b',
            by: ALICE,
            owner: WEB,
            phase: 'Running',
          },
          {
            ns: 'team-a',
            name: 'webb',
            by: BOB,
            owner: undefined,
            phase: undefined,
          },
          {
            ns: 'team-a',
            name: 'web-a',
            by: BOB,
            owner: WEB,
            phase: 'Failed',
            failed: true,
          },
          {
            ns: 'team-b',
            name: 'db-1',
            by: ALICE,
            owner: DBA,
            phase: 'Running',
          },
          {
            ns: 'team-b',
            name: 'db-2',
            by: undefined,
            owner: DBA,
            phase: 'Starting',
            failed: true,
          },
          {
            ns: 'team-b',
            name: 'cache',
            by: BOB,
            owner: undefined,
            phase: 'Running',
            deleting: true,
          },
        ] as const;
        for (const m of made) {
          const annotations: Record<string, string> = {};
          if (m.by) annotations[names.requestedByAnnotation] = m.by;
          if (m.owner) annotations[names.ownerAnnotation] = m.owner;
          const created = await store.create({
            metadata: {
              name: m.name,
              namespace: m.ns,
              annotations,
              finalizers: 'deleting' in m ? ['example.com/keep'] : [],
            },
            spec: { ...baseSpec },
          });
          if (m.phase) {
            await store.updateStatus({
              ...created,
              status: {
                phase: m.phase,
                provisioningJobs: [
                  job('failed' in m ? 'Failed' : 'Succeeded', { jobID: '7' }),
                  job('Succeeded', {
                    jobID: '8',
                    timestamp: '2025-06-01T11:00:00Z',
                  }),
                ],
              },
            });
          }
          if ('deleting' in m) await store.delete(m.ns, m.name);
        }
      }

      async function allPages(
        request: Omit<ListPageRequest, 'after'>,
      ): Promise<{ items: ComputeInstance[]; pages: ListPage[] }> {
        const pages: ListPage[] = [];
        let after: string[] | undefined;
        for (;;) {
          const page = await store.listPage({ ...request, after });
          pages.push(page);
          if (page.remainingItemCount === 0) break;
          expect(page.items).toHaveLength(request.limit);
          after = sortKeyOf(
            page.items[page.items.length - 1],
            request.sort.field,
          );
          if (pages.length > 50) throw new Error('no end of pages');
        }
        return { items: pages.flatMap(p => p.items), pages };
      }

      it('pages in namespace/name order by code unit, with the count of what follows', async () => {
        await seed();
        const { items, pages } = await allPages({
          filter: {},
          sort: asc('namespace'),
          limit: 4,
        });
        expect(keys(items)).toEqual([
          'team-a/web-a',
          'team-a/web-b',
          'team-a/webb',
          'team-b/cache',
          'team-b/db-1',
          'team-b/db-2',
        ]);
        expect(pages.map(p => [p.items.length, p.remainingItemCount])).toEqual([
          [4, 2],
          [2, 0],
        ]);
        expect(items[0]).toEqual(await store.get('team-a', 'web-a'));
      });

      it('sorts by name, phase and creation time, both ways', async () => {
        await seed();
        const all = (sort: ListPageRequest['sort']) =>
          allPages({ filter: {}, sort, limit: 2 }).then(r => keys(r.items));
        const byName = [
          'team-b/cache',
          'team-b/db-1',
          'team-b/db-2',
          'team-a/web-a',
          'team-a/web-b',
          'team-a/webb',
        ];
        expect(await all(asc('name'))).toEqual(byName);
        expect(await all({ field: 'name', order: 'desc' })).toEqual(
          [...byName].reverse(),
        );
        expect(await all(asc('phase'))).toEqual([
          'team-a/webb', // no phase yet sorts first
          'team-a/web-a', // Failed
          'team-a/web-b', // Running
          'team-b/cache',
          'team-b/db-1',
          'team-b/db-2', // Starting
        ]);
        const byCreation = await allPages({
          filter: {},
          sort: { field: 'creationTimestamp', order: 'desc' },
          limit: 4,
        });
        const stamps = byCreation.items.map(i =>
          sortKeyOf(i, 'creationTimestamp').join(' '),
        );
        expect(stamps).toHaveLength(6);
        expect([...stamps].sort().reverse()).toEqual(stamps);
      });

      it('filters by namespace, requester, owner, phase, failed jobs, deletion and name', async () => {
        await seed();
        const find = (filter: ListPageRequest['filter']) =>
          store
            .listPage({ filter, sort: asc('namespace'), limit: 100 })
            .then(p => keys(p.items));
        expect(await find({ namespace: 'team-b' })).toEqual([
          'team-b/cache',
          'team-b/db-1',
          'team-b/db-2',
        ]);
        expect(await find({ requestedBy: ALICE })).toEqual([
          'team-a/web-b',
          'team-b/db-1',
        ]);
        expect(await find({ owner: WEB, requestedBy: BOB })).toEqual([
          'team-a/web-a',
        ]);
        expect(await find({ phase: 'Running' })).toEqual([
          'team-a/web-b',
          'team-b/cache',
          'team-b/db-1',
        ]);
        expect(await find({ phase: '' })).toEqual(['team-a/webb']);
        expect(await find({ failedJobs: true })).toEqual([
          'team-a/web-a',
          'team-b/db-2',
        ]);
        expect(await find({ failedJobs: false, namespace: 'team-a' })).toEqual([
          'team-a/web-b',
          'team-a/webb',
        ]);
        const later = new Date(Date.now() + 3_600_000).toISOString();
        const earlier = new Date(Date.now() - 3_600_000).toISOString();
        expect(await find({ deletionBefore: later })).toEqual(['team-b/cache']);
        expect(await find({ deletionBefore: earlier })).toEqual([]);
        expect(await find({ nameContains: 'web-' })).toEqual([
          'team-a/web-a',
          'team-a/web-b',
        ]);
        expect(await find({ nameContains: 'b-' })).toEqual([
          'team-a/web-a',
          'team-a/web-b',
          'team-b/db-1',
          'team-b/db-2',
        ]);
        expect(await find({ nameContains: 'WEB' })).toEqual([]);
        expect(await find({ owner: 'group:default/nobody' })).toEqual([]);
      });

      it('applies the permission filter in the query: every page is full', async () => {
        // 20 instances, 6 of them the caller's own or their group's.
        for (let i = 0; i < 20; i++) {
          const annotations: Record<string, string> = {
            [names.requestedByAnnotation]: i % 5 === 0 ? ALICE : BOB,
          };
          if (i % 7 === 3) annotations[names.ownerAnnotation] = DBA;
          await store.create(
            newInstance(`vm-${String(i).padStart(2, '0')}`, { annotations }),
          );
        }
        const permission: PermissionFilter = {
          anyOf: [
            { property: 'requestedBy', values: [ALICE] },
            { property: 'owner', values: [DBA, 'group:default/other'] },
          ],
        };
        const { items, pages } = await allPages({
          filter: {},
          permission,
          sort: asc('name'),
          limit: 3,
        });
        expect(items.map(i => i.metadata.name)).toEqual([
          'vm-00',
          'vm-03',
          'vm-05',
          'vm-10',
          'vm-15',
          'vm-17',
        ]);
        expect(pages.map(p => [p.items.length, p.remainingItemCount])).toEqual([
          [3, 3],
          [3, 0],
        ]);
        const none = await store.listPage({
          filter: {},
          permission: { property: 'owner', values: ['group:default/nobody'] },
          sort: asc('namespace'),
          limit: 3,
        });
        expect(none).toEqual({ items: [], remainingItemCount: 0 });
        const notAlice = await store.listPage({
          filter: { nameContains: 'vm-1' },
          permission: {
            allOf: [
              { not: { property: 'requestedBy', values: [ALICE] } },
              { not: { property: 'owner', values: [DBA] } },
            ],
          },
          sort: asc('name'),
          limit: 100,
        });
        // Rows without an owner annotation are not owned by DBA: `not` keeps them.
        expect(notAlice.items.map(i => i.metadata.name)).toEqual([
          'vm-11',
          'vm-12',
          'vm-13',
          'vm-14',
          'vm-16',
          'vm-18',
          'vm-19',
        ]);
      });

      it('continues after a key whose object is gone, and sees objects created meanwhile', async () => {
        await seed();
        const first = await store.listPage({
          filter: { namespace: 'team-a' },
          sort: asc('namespace'),
          limit: 1,
        });
        expect(keys(first.items)).toEqual(['team-a/web-a']);
        await store.delete('team-a', 'web-a');
        await store.create(newInstance('web-c'));
        await store.create(newInstance('aaa'));
        const rest = await store.listPage({
          filter: { namespace: 'team-a' },
          sort: asc('namespace'),
          limit: 10,
          after: sortKeyOf(first.items[0], 'namespace'),
        });
        expect(keys(rest.items)).toEqual([
          'team-a/web-b',
          'team-a/web-c',
          'team-a/webb',
        ]);
        expect(rest.remainingItemCount).toBe(0);
      });
    });

    describe('update (metadata and spec)', () => {
      it('writes spec, labels, annotations and finalizers, but not status', async () => {
        const created = await store.create(newInstance('vm-1'));
        const withStatus = await store.updateStatus({
          ...created,
          status: { phase: 'Running' },
        });
        const updated = await store.update({
          ...withStatus,
          metadata: {
            ...withStatus.metadata,
            labels: { env: 'prod' },
            annotations: { note: 'hello' },
            finalizers: [names.finalizer],
          },
          spec: { ...withStatus.spec, runStrategy: 'Halted' },
          status: { phase: 'Failed' },
        });
        expect(updated!.spec.runStrategy).toBe('Halted');
        expect(updated!.metadata.labels).toEqual({ env: 'prod' });
        expect(updated!.metadata.annotations).toEqual({ note: 'hello' });
        expect(updated!.metadata.finalizers).toEqual([names.finalizer]);
        expect(updated!.status).toEqual({ phase: 'Running' });
        expect(await store.get(NS, 'vm-1')).toEqual(updated);
      });

      it('changes the resourceVersion and bumps generation only when the spec changes', async () => {
        const created = await store.create(newInstance('vm-1'));
        const labelled = (await store.update({
          ...created,
          metadata: { ...created.metadata, labels: { a: 'b' } },
        }))!;
        expect(labelled.metadata.resourceVersion).not.toBe(
          created.metadata.resourceVersion,
        );
        expect(labelled.metadata.generation).toBe(1);
        const respecced = (await store.update({
          ...labelled,
          spec: { ...labelled.spec, runStrategy: 'Halted' },
        }))!;
        expect(respecced.metadata.generation).toBe(2);
        const statused = await store.updateStatus({
          ...respecced,
          status: { phase: 'Stopped' },
        });
        expect(statused.metadata.generation).toBe(2);
      });

      it('keeps uid, name, namespace, creationTimestamp and deletionTimestamp', async () => {
        const created = await store.create(
          newInstance('vm-1', { finalizers: [names.finalizer] }),
        );
        const updated = (await store.update({
          ...created,
          metadata: {
            ...created.metadata,
            creationTimestamp: '2000-01-01T00:00:00Z',
          },
        }))!;
        expect(updated.metadata.creationTimestamp).toBe(
          created.metadata.creationTimestamp,
        );
        expect(updated.metadata.uid).toBe(created.metadata.uid);

        const deleting = (await store.delete(NS, 'vm-1'))!;
        const attempted = (await store.update({
          ...deleting,
          metadata: {
            ...deleting.metadata,
            deletionTimestamp: undefined,
            labels: { x: 'y' },
          },
        }))!;
        expect(attempted.metadata.deletionTimestamp).toBe(
          deleting.metadata.deletionTimestamp,
        );
        expect(attempted.metadata.labels).toEqual({ x: 'y' });
      });

      it('refuses a changed uid and a deletionTimestamp set by update', async () => {
        const created = await store.create(newInstance('vm-1'));
        await expectRejection(
          store.update({
            ...created,
            metadata: {
              ...created.metadata,
              uid: '00000000-0000-0000-0000-000000000000',
            },
          }),
          'InputError',
          /uid/,
        );
        await expectRejection(
          store.update({
            ...created,
            metadata: {
              ...created.metadata,
              deletionTimestamp: new Date().toISOString(),
            },
          }),
          'InputError',
          /deletionTimestamp/,
        );
        expect(await store.get(NS, 'vm-1')).toEqual(created);
      });

      it('refuses a write without resourceVersion with InputError', async () => {
        const created = await store.create(newInstance('vm-1'));
        await expectRejection(
          store.update({
            ...created,
            metadata: { ...created.metadata, resourceVersion: '' },
          }),
          'InputError',
          /resourceVersion/,
        );
      });

      it('fails with NotFoundError when the object is gone', async () => {
        const created = await store.create(newInstance('vm-1'));
        await store.delete(NS, 'vm-1');
        await expectRejection(store.update(created), 'NotFoundError');
        await expectRejection(store.updateStatus(created), 'NotFoundError');
      });

      it('treats a write that changes nothing as a no-op: same resourceVersion, no event', async () => {
        const created = await store.create(
          newInstance('vm-1', { labels: { a: 'b' } }),
        );
        const recorder = recordEvents();
        const same = await store.update(created);
        expect(same).toEqual(created);
        const sameStatus = await store.updateStatus(created);
        expect(sameStatus).toEqual(created);
        expect(await recorder.settle()).toEqual([]);
      });
    });

    describe('updateStatus (the status subresource)', () => {
      it('writes status only: spec and metadata in the request are ignored', async () => {
        const created = await store.create(
          newInstance('vm-1', { labels: { env: 'dev' } }),
        );
        const updated = await store.updateStatus({
          ...created,
          metadata: {
            ...created.metadata,
            labels: { env: 'prod' },
            finalizers: ['x/y'],
          },
          spec: { ...created.spec, cores: 64 },
          status: {
            phase: 'Running',
            desiredConfigVersion: 'v1',
            ipAddress: '10.0.0.7',
          },
        });
        expect(updated.status).toEqual({
          phase: 'Running',
          desiredConfigVersion: 'v1',
          ipAddress: '10.0.0.7',
        });
        expect(updated.spec.cores).toBe(2);
        expect(updated.metadata.labels).toEqual({ env: 'dev' });
        expect(updated.metadata.finalizers).toEqual([]);
        expect(updated.metadata.resourceVersion).not.toBe(
          created.metadata.resourceVersion,
        );
        expect(await store.get(NS, 'vm-1')).toEqual(updated);
      });

      it("keeps OSAC's status fields of other writers through a later write that carries them on", async () => {
        const created = await store.create(newInstance('vm-1'));
        const others = {
          externalIPAddress: '203.0.113.7',
          tenantReference: { name: 'tenant-a', namespace: 'osac-tenants' },
          virtualMachineReference: {
            namespace: 'tenant-a-vms',
            kubeVirtVirtualMachineName: 'vm-1-x7k2',
          },
        };
        const first = await store.updateStatus({ ...created, status: others });
        const second = await store.updateStatus({
          ...first,
          status: { ...first.status, phase: 'Running' },
        });
        expect(second.status).toEqual({ ...others, phase: 'Running' });
        expect((await store.get(NS, 'vm-1'))!.status).toEqual(second.status);
      });

      it('replaces the whole status', async () => {
        const created = await store.create(newInstance('vm-1'));
        const first = await store.updateStatus({
          ...created,
          status: { phase: 'Starting', ipAddress: '10.0.0.7' },
        });
        const second = await store.updateStatus({
          ...first,
          status: { phase: 'Running' },
        });
        expect(second.status).toEqual({ phase: 'Running' });
      });

      it('accepts every job state, including Canceled and Unknown', async () => {
        let current = await store.create(newInstance('vm-1'));
        const jobs = JOB_STATES.map((state, i) =>
          job(state, {
            jobID: String(i + 1),
            timestamp: `2025-06-01T10:0${i}:00Z`,
          }),
        );
        current = await store.updateStatus({
          ...current,
          status: { provisioningJobs: jobs },
        });
        expect(current.status.provisioningJobs!.map(j => j.state)).toEqual([
          'Pending',
          'Waiting',
          'Running',
          'Succeeded',
          'Failed',
          'Canceled',
          'Unknown',
        ]);
        for (const state of ['Canceled', 'Unknown'] as const) {
          current = await store.updateStatus({
            ...current,
            status: {
              phase: 'Deleting',
              provisioningJobs: [
                job(state, {
                  type: 'deprovision',
                  blockDeletionOnFailure: true,
                }),
              ],
            },
          });
          expect(current.status.provisioningJobs![0].state).toBe(state);
        }
      });

      it('accepts every phase and a full condition', async () => {
        let current = await store.create(newInstance('vm-1'));
        for (const phase of PHASES) {
          current = await store.updateStatus({
            ...current,
            status: {
              phase,
              conditions: [
                {
                  type: 'Provisioned',
                  status: 'True',
                  reason: 'JobSucceeded',
                  message: 'ok',
                  lastTransitionTime: '2025-06-01T10:00:00.123Z',
                },
              ],
              lastRestartedAt: '2025-06-01T10:00:00+02:00',
            },
          });
          expect(current.status.phase).toBe(phase);
        }
      });

      it('refuses an unknown job state with InputError naming the field, and writes nothing', async () => {
        const created = await store.create(newInstance('vm-1'));
        const withJob = await store.updateStatus({
          ...created,
          status: { phase: 'Starting', provisioningJobs: [job('Running')] },
        });
        const recorder = recordEvents();
        await expectRejection(
          store.updateStatus({
            ...withJob,
            status: {
              phase: 'Running',
              provisioningJobs: [job('Running'), job('Exploded' as JobState)],
            },
          }),
          'InputError',
          /status\.provisioningJobs\[1\]\.state/,
        );
        expect(await store.get(NS, 'vm-1')).toEqual(withJob);
        expect(await recorder.settle()).toEqual([]);
      });

      it.each<[string, unknown, RegExp]>([
        ['an unknown phase', { phase: 'Exploding' }, /status\.phase/],
        [
          'a bad job type',
          { provisioningJobs: [job('Pending', { type: 'restart' as any })] },
          /provisioningJobs\[0\]\.type/,
        ],
        [
          'a missing blockDeletionOnFailure',
          {
            provisioningJobs: [
              { ...job('Pending'), blockDeletionOnFailure: undefined },
            ],
          },
          /blockDeletionOnFailure/,
        ],
        [
          'a numeric jobID',
          { provisioningJobs: [{ ...job('Pending'), jobID: 42 }] },
          /jobID/,
        ],
        [
          'a non-timestamp',
          { provisioningJobs: [job('Pending', { timestamp: 'yesterday' })] },
          /provisioningJobs\[0\]\.timestamp/,
        ],
        [
          'an unknown job field',
          { provisioningJobs: [{ ...job('Pending'), colour: 'blue' }] },
          /status\.provisioningJobs\[0\]\.colour/,
        ],
        [
          'a bad condition status',
          {
            conditions: [
              {
                type: 'Ready',
                status: 'Maybe',
                reason: 'r',
                message: 'm',
                lastTransitionTime: '2025-06-01T10:00:00Z',
              },
            ],
          },
          /conditions\[0\]\.status/,
        ],
        [
          'provisioningJobs not an array',
          { provisioningJobs: {} },
          /status\.provisioningJobs/,
        ],
      ])('refuses %s', async (_what, status, field) => {
        const created = await store.create(newInstance('vm-1'));
        await expectRejection(
          store.updateStatus({ ...created, status: status as any }),
          'InputError',
          field,
        );
        expect(await store.get(NS, 'vm-1')).toEqual(created);
      });
    });

    describe('optimistic concurrency', () => {
      it('refuses a stale update and a stale status write, and writes nothing', async () => {
        const created = await store.create(newInstance('vm-1'));
        const fresh = (await store.update({
          ...created,
          metadata: { ...created.metadata, labels: { v: '2' } },
        }))!;
        const recorder = recordEvents();
        await expectRejection(
          store.update({ ...created, spec: { ...created.spec, cores: 8 } }),
          'StaleResourceVersionError',
          new RegExp(
            `resourceVersion ${created.metadata.resourceVersion}\\b.*current one is ${fresh.metadata.resourceVersion}\\b`,
          ),
        );
        await expectRejection(
          store.updateStatus({ ...created, status: { phase: 'Failed' } }),
          'StaleResourceVersionError',
        );
        expect(await store.get(NS, 'vm-1')).toEqual(fresh);
        expect(await recorder.settle()).toEqual([]);
      });

      it('reports a stale write as a 409 conflict', async () => {
        const created = await store.create(newInstance('vm-1'));
        await store.updateStatus({ ...created, status: { phase: 'Running' } });
        const error = await store
          .updateStatus({ ...created, status: { phase: 'Failed' } })
          .catch((e: unknown) => e);
        expect((error as { statusCode?: number }).statusCode).toBe(409);
      });

      it.each([
        ['two updates', 'update', 'update'],
        ['two status writes', 'updateStatus', 'updateStatus'],
        ['an update and a status write', 'update', 'updateStatus'],
      ] as const)(
        'lets exactly one of %s with the same resourceVersion win',
        async (_, a, b) => {
          const created = await store.create(newInstance('vm-1'));
          const write = (kind: 'update' | 'updateStatus', n: number) =>
            kind === 'update'
              ? store.update({
                  ...created,
                  metadata: {
                    ...created.metadata,
                    labels: { writer: String(n) },
                  },
                })
              : store.updateStatus({
                  ...created,
                  status: { phase: 'Running', ipAddress: `10.0.0.${n}` },
                });
          const results = await Promise.allSettled([write(a, 1), write(b, 2)]);
          const won = results.filter(r => r.status === 'fulfilled');
          const lost = results.filter(
            (r): r is PromiseRejectedResult => r.status === 'rejected',
          );
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(1);
          expect((lost[0].reason as Error).name).toBe(
            'StaleResourceVersionError',
          );
          const stored = (await store.get(NS, 'vm-1'))!;
          expect(stored).toEqual(
            (won[0] as PromiseFulfilledResult<ComputeInstance>).value,
          );
        },
      );

      it('lets exactly one of many concurrent writers win', async () => {
        const created = await store.create(newInstance('vm-1'));
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, n) =>
            store.updateStatus({
              ...created,
              status: { ipAddress: `10.0.0.${n}` },
            }),
          ),
        );
        expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(1);
        const reasons = results.flatMap(r =>
          r.status === 'rejected' ? [(r.reason as Error).name] : [],
        );
        expect(reasons).toEqual(
          Array(results.length - 1).fill('StaleResourceVersionError'),
        );
      });

      it('gives every successful write a new resourceVersion', async () => {
        const seen = new Set<string>();
        const note = (obj: ComputeInstance | undefined) => {
          expect(obj).toBeDefined();
          expect(seen.has(obj!.metadata.resourceVersion)).toBe(false);
          seen.add(obj!.metadata.resourceVersion);
          return obj!;
        };
        let obj = note(await store.create(newInstance('vm-1')));
        note(await store.create(newInstance('vm-2')));
        obj = note(
          await store.update({
            ...obj,
            metadata: { ...obj.metadata, finalizers: [names.finalizer] },
          }),
        );
        obj = note(
          await store.updateStatus({ ...obj, status: { phase: 'Starting' } }),
        );
        obj = note(
          // runStrategy: the one spec field a cluster's CRD lets change after creation.
          await store.update({
            ...obj,
            spec: { ...obj.spec, runStrategy: 'Halted' },
          }),
        );
        obj = note(
          await store.updateStatus({ ...obj, status: { phase: 'Running' } }),
        );
        obj = note(await store.delete(NS, 'vm-1'));
        note(
          await store.updateStatus({ ...obj, status: { phase: 'Deleting' } }),
        );
        expect(seen.size).toBe(8);
      });
    });

    describe('delete and finalizers', () => {
      it('removes an object without finalizers at once', async () => {
        await store.create(newInstance('vm-1'));
        expect(await store.delete(NS, 'vm-1')).toBeUndefined();
        expect(await store.get(NS, 'vm-1')).toBeUndefined();
        expect(await store.list()).toEqual([]);
      });

      it('fails with NotFoundError for a missing object, also once it is gone', async () => {
        await expectRejection(
          store.delete(NS, 'nope'),
          'NotFoundError',
          /team-a\/nope/,
        );
        await store.create(newInstance('vm-1'));
        await store.delete(NS, 'vm-1');
        await expectRejection(store.delete(NS, 'vm-1'), 'NotFoundError');
      });

      it('only marks an object with finalizers, once: a second delete changes nothing', async () => {
        const created = await store.create(
          newInstance('vm-1', { finalizers: [names.finalizer] }),
        );
        const deleting = (await store.delete(NS, 'vm-1'))!;
        expect(deleting).toBeDefined();
        expect(Date.parse(deleting.metadata.deletionTimestamp!)).not.toBeNaN();
        expect(deleting.metadata.resourceVersion).not.toBe(
          created.metadata.resourceVersion,
        );
        expect(deleting.metadata.finalizers).toEqual([names.finalizer]);
        expect(await store.get(NS, 'vm-1')).toEqual(deleting);

        await new Promise(resolve => setTimeout(resolve, 5));
        const again = await store.delete(NS, 'vm-1');
        expect(again).toEqual(deleting);
        expect((await store.get(NS, 'vm-1'))!.metadata.deletionTimestamp).toBe(
          deleting.metadata.deletionTimestamp,
        );
      });

      it('still accepts status and spec writes while deleting', async () => {
        await store.create(
          newInstance('vm-1', { finalizers: [names.finalizer] }),
        );
        const deleting = (await store.delete(NS, 'vm-1'))!;
        const statused = await store.updateStatus({
          ...deleting,
          status: { phase: 'Deleting' },
        });
        expect(statused.status.phase).toBe('Deleting');
        expect(statused.metadata.deletionTimestamp).toBe(
          deleting.metadata.deletionTimestamp,
        );
      });

      it('removes the object when the last finalizer goes', async () => {
        await store.create(
          newInstance('vm-1', {
            finalizers: [names.finalizer, names.aapFinalizer],
          }),
        );
        const deleting = (await store.delete(NS, 'vm-1'))!;
        const recorder = recordEvents();
        const one = (await store.update({
          ...deleting,
          metadata: { ...deleting.metadata, finalizers: [names.finalizer] },
        }))!;
        expect(one.metadata.finalizers).toEqual([names.finalizer]);
        expect(await store.get(NS, 'vm-1')).toEqual(one);

        const removed = await store.update({
          ...one,
          metadata: { ...one.metadata, finalizers: [] },
        });
        expect(removed).toBeUndefined();
        expect(await store.get(NS, 'vm-1')).toBeUndefined();
        const events = await recorder.settle();
        expect(events.map(e => e.type)).toEqual(['MODIFIED', 'DELETED']);
        expect(events[1].object.metadata.uid).toBe(deleting.metadata.uid);
        expect(events[1].object.metadata.finalizers).toEqual([]);
        expect(events[1].object.metadata.deletionTimestamp).toBe(
          deleting.metadata.deletionTimestamp,
        );
      });

      it('keeps an object whose finalizers are removed before any delete', async () => {
        const created = await store.create(
          newInstance('vm-1', { finalizers: [names.finalizer] }),
        );
        const updated = await store.update({
          ...created,
          metadata: { ...created.metadata, finalizers: [] },
        });
        expect(updated!.metadata.finalizers).toEqual([]);
        expect(await store.get(NS, 'vm-1')).toEqual(updated);
      });

      it('refuses a new finalizer while deleting, and writes nothing', async () => {
        await store.create(
          newInstance('vm-1', { finalizers: [names.finalizer] }),
        );
        const deleting = (await store.delete(NS, 'vm-1'))!;
        await expectRejection(
          store.update({
            ...deleting,
            metadata: {
              ...deleting.metadata,
              finalizers: [names.finalizer, names.aapFinalizer],
            },
          }),
          'InputError',
          new RegExp(
            `being deleted.*${names.aapFinalizer.replace(/\./g, '\\.')}`,
          ),
        );
        expect(await store.get(NS, 'vm-1')).toEqual(deleting);
        // Reordering or keeping the existing finalizers is not adding one.
        const kept = await store.update({
          ...deleting,
          metadata: { ...deleting.metadata, labels: { still: 'ok' } },
        });
        expect(kept!.metadata.labels).toEqual({ still: 'ok' });
      });
    });

    describe('watch', () => {
      it('reports every write in order with the stored object as payload', async () => {
        const recorder = recordEvents();
        const created = await store.create(newInstance('vm-1'));
        const updated = (await store.update({
          ...created,
          metadata: { ...created.metadata, finalizers: [names.finalizer] },
        }))!;
        const statused = await store.updateStatus({
          ...updated,
          status: { phase: 'Running' },
        });
        const deleting = (await store.delete(NS, 'vm-1'))!;
        await store.update({
          ...deleting,
          metadata: { ...deleting.metadata, finalizers: [] },
        });

        const events = await recorder.settle();
        expect(events.map(e => e.type)).toEqual([
          'ADDED',
          'MODIFIED',
          'MODIFIED',
          'MODIFIED',
          'DELETED',
        ]);
        expect(events[0].object).toEqual(created);
        expect(events[1].object).toEqual(updated);
        expect(events[2].object).toEqual(statused);
        expect(events[3].object).toEqual(deleting);
        expect(events[4].object.metadata.uid).toBe(created.metadata.uid);
        expect(events[4].object.status).toEqual({ phase: 'Running' });
      });

      it('reports an immediate delete as DELETED with the last state', async () => {
        const created = await store.create(
          newInstance('vm-1', { labels: { a: 'b' } }),
        );
        const recorder = recordEvents();
        await store.delete(NS, 'vm-1');
        const events = await recorder.settle();
        expect(events.map(e => e.type)).toEqual(['DELETED']);
        expect(events[0].object.metadata.uid).toBe(created.metadata.uid);
        expect(events[0].object.metadata.labels).toEqual({ a: 'b' });
      });

      it('stops reporting after unsubscribe', async () => {
        const recorder = recordEvents();
        const other: WatchEvent[] = [];
        const unsubscribeOther = store.watch(e => other.push(e));
        await store.create(newInstance('vm-1'));
        unsubscribeOther();
        await store.create(newInstance('vm-2'));
        const events = await recorder.settle();
        expect(events.map(e => e.object.metadata.name)).toEqual([
          'vm-1',
          'vm-2',
        ]);
        expect(other.map(e => e.object.metadata.name)).toEqual(['vm-1']);
        recorder.unsubscribe();
      });

      it('does not let a throwing listener break the write or other listeners', async () => {
        const unsubscribeBad = store.watch(() => {
          throw new Error('listener bug');
        });
        const unsubscribeAsyncBad = store.watch(async () => {
          throw new Error('async listener bug');
        });
        const recorder = recordEvents();
        const created = await store.create(newInstance('vm-1'));
        const updated = await store.updateStatus({
          ...created,
          status: { phase: 'Running' },
        });
        expect(updated.status.phase).toBe('Running');
        expect((await recorder.settle()).map(e => e.type)).toEqual([
          'ADDED',
          'MODIFIED',
        ]);
        unsubscribeBad();
        unsubscribeAsyncBad();
      });

      it('does not report failed writes', async () => {
        const created = await store.create(newInstance('vm-1'));
        const recorder = recordEvents();
        await expectRejection(
          store.create(newInstance('vm-1')),
          'AlreadyExistsError',
        );
        await expectRejection(store.delete(NS, 'nope'), 'NotFoundError');
        await expectRejection(
          store.updateStatus({ ...created, status: { phase: 'Nope' as any } }),
          'InputError',
        );
        expect(await recorder.settle()).toEqual([]);
      });
    });
  });
}
