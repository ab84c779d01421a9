import {
  ApisApi,
  CoordinationV1Api,
  CoreV1Api,
  ListWatch,
  PatchStrategy,
  Watch,
  setHeaderOptions,
} from '@kubernetes/client-node';
import {
  CI,
  GROUP,
  Harness,
  nsPath,
  rejection,
  sampleInstance,
  sampleSpec,
  startHarness,
} from './__testUtils__/harness';

jest.setTimeout(15_000);

async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 5000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 5));
  }
}

describe('kube test API server', () => {
  let h: Harness;

  afterEach(async () => {
    await h?.close();
  });

  describe('discovery', () => {
    it('lists the API groups, the CRD resource with its short name and status subresource', async () => {
      h = await startHarness();
      const groups = await h.kubeConfig.makeApiClient(ApisApi).getAPIVersions();
      expect(groups.groups.map(g => g.name)).toEqual(
        expect.arrayContaining(['coordination.k8s.io', GROUP]),
      );
      expect(groups.groups.map(g => g.name)).not.toContain('kubevirt.io');
      const resources = await h.call('GET', `/apis/${GROUP}/v1alpha1`);
      expect(resources.body.resources).toEqual([
        expect.objectContaining({
          name: 'computeinstances',
          kind: 'ComputeInstance',
          namespaced: true,
          shortNames: ['ci'],
        }),
        expect.objectContaining({
          name: 'computeinstances/status',
          verbs: ['get', 'patch', 'update'],
        }),
      ]);
      expect(
        (await h.call('GET', '/api/v1')).body.resources.map((r: any) => r.name),
      ).toContain('events');
      expect((await h.call('GET', '/api')).body.versions).toEqual(['v1']);
    });

    it('serves KubeVirt only when asked to, and a configurable API group', async () => {
      h = await startHarness({
        kubevirt: true,
        group: 'cloudkit.openshift.io',
      });
      const names = (
        await h.kubeConfig.makeApiClient(ApisApi).getAPIVersions()
      ).groups.map(g => g.name);
      expect(names).toEqual(
        expect.arrayContaining(['kubevirt.io', 'cloudkit.openshift.io']),
      );
      expect(names).not.toContain(GROUP);
    });
  });

  describe('CRUD and the status subresource', () => {
    beforeEach(async () => {
      h = await startHarness();
    });

    it('creates with server-set fields, drops status on create, and refuses a taken name', async () => {
      const created = await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: sampleInstance('vm-1', { status: { phase: 'Running' } }),
      });
      expect(created.metadata).toMatchObject({
        name: 'vm-1',
        namespace: 'team-a',
        generation: 1,
        uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        resourceVersion: expect.stringMatching(/^\d+$/),
        creationTimestamp: expect.stringMatching(
          /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/,
        ),
      });
      expect(created.status).toBeUndefined();
      expect(
        await h.api.getNamespacedCustomObject({
          ...CI,
          namespace: 'team-a',
          name: 'vm-1',
        }),
      ).toEqual(created);
      const taken = await rejection(
        h.api.createNamespacedCustomObject({
          ...CI,
          namespace: 'team-a',
          body: sampleInstance('vm-1'),
        }),
      );
      expect(taken).toMatchObject({
        code: 409,
        status: {
          reason: 'AlreadyExists',
          message: `computeinstances.${GROUP} "vm-1" already exists`,
        },
      });
      const missing = await rejection(
        h.api.getNamespacedCustomObject({
          ...CI,
          namespace: 'team-a',
          name: 'nope',
        }),
      );
      expect(missing).toMatchObject({
        code: 404,
        status: { reason: 'NotFound' },
      });
    });

    it('updates with resourceVersion preconditions and bumps generation only for spec changes', async () => {
      const created = await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: sampleInstance('vm-1'),
      });
      const labelled = await h.api.replaceNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
        body: {
          ...created,
          metadata: { ...created.metadata, labels: { a: 'b' } },
          status: { phase: 'Failed' },
        },
      });
      expect(labelled.metadata.generation).toBe(1);
      expect(labelled.status).toBeUndefined();
      const stale = await rejection(
        h.api.replaceNamespacedCustomObject({
          ...CI,
          namespace: 'team-a',
          name: 'vm-1',
          body: created,
        }),
      );
      expect(stale).toMatchObject({
        code: 409,
        status: {
          reason: 'Conflict',
          message: `Operation cannot be fulfilled on computeinstances.${GROUP} "vm-1": the object has been modified; please apply your changes to the latest version and try again`,
        },
      });
      const halted = await h.api.replaceNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
        body: {
          ...labelled,
          spec: { ...labelled.spec, runStrategy: 'Halted' },
        },
      });
      expect(halted.metadata.generation).toBe(2);
      const statused = await h.api.replaceNamespacedCustomObjectStatus({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
        body: {
          ...halted,
          spec: { ...halted.spec, cores: 64 },
          status: { phase: 'Stopped' },
        },
      });
      expect(statused.status).toEqual({ phase: 'Stopped' });
      expect(statused.spec.cores).toBe(2);
      expect(statused.metadata.generation).toBe(2);
    });

    it('treats a write that changes nothing as a no-op: same resourceVersion', async () => {
      const created = await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: sampleInstance('vm-1'),
      });
      const same = await h.api.replaceNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
        body: created,
      });
      expect(same.metadata.resourceVersion).toBe(
        created.metadata.resourceVersion,
      );
      expect(h.server.resourceVersion).toBe(
        Number(created.metadata.resourceVersion),
      );
    });

    it('applies JSON patch and merge patch; a resourceVersion in the patch is a precondition', async () => {
      const created = await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: sampleInstance('vm-1'),
      });
      const jsonPatched = await h.api.patchNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
        body: [
          {
            op: 'add',
            path: '/metadata/finalizers',
            value: [`${GROUP}/computeinstance`],
          },
        ],
      });
      expect(jsonPatched.metadata.finalizers).toEqual([
        `${GROUP}/computeinstance`,
      ]);
      const merged = await h.api.patchNamespacedCustomObject(
        {
          ...CI,
          namespace: 'team-a',
          name: 'vm-1',
          body: { spec: { runStrategy: 'Halted' } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      expect(merged.spec.runStrategy).toBe('Halted');
      const stale = await rejection(
        h.api.patchNamespacedCustomObject(
          {
            ...CI,
            namespace: 'team-a',
            name: 'vm-1',
            body: {
              metadata: {
                resourceVersion: created.metadata.resourceVersion,
                labels: { x: 'y' },
              },
            },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      );
      expect(stale.code).toBe(409);
      const statusPatched = await h.api.patchNamespacedCustomObjectStatus(
        {
          ...CI,
          namespace: 'team-a',
          name: 'vm-1',
          body: { status: { phase: 'Stopped' }, spec: { cores: 99 } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      expect(statusPatched.status).toEqual({ phase: 'Stopped' });
      expect(statusPatched.spec.cores).toBe(2);
      const strategic = await h.call(
        'PATCH',
        `${nsPath()}/vm-1`,
        { spec: { runStrategy: 'Always' } },
        { 'Content-Type': 'application/strategic-merge-patch+json' },
      );
      expect(strategic.status).toBe(415);
    });

    it('lists with label and field selectors, in key order', async () => {
      for (const [name, app] of [
        ['web-2', 'web'],
        ['web-1', 'web'],
        ['db-1', 'db'],
      ]) {
        await h.api.createNamespacedCustomObject({
          ...CI,
          namespace: 'team-a',
          body: {
            ...sampleInstance(name),
            metadata: { name, namespace: 'team-a', labels: { app } },
          },
        });
      }
      await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-b',
        body: {
          ...sampleInstance('web-0'),
          metadata: { name: 'web-0', namespace: 'team-b' },
        },
      });
      const names = (list: any) =>
        list.items.map(
          (i: any) => `${i.metadata.namespace}/${i.metadata.name}`,
        );
      expect(names(await h.api.listClusterCustomObject({ ...CI }))).toEqual([
        'team-a/db-1',
        'team-a/web-1',
        'team-a/web-2',
        'team-b/web-0',
      ]);
      expect(
        names(
          await h.api.listNamespacedCustomObject({
            ...CI,
            namespace: 'team-a',
            labelSelector: 'app=web',
          }),
        ),
      ).toEqual(['team-a/web-1', 'team-a/web-2']);
      expect(
        names(
          await h.api.listClusterCustomObject({
            ...CI,
            fieldSelector: 'metadata.name=web-0',
          }),
        ),
      ).toEqual(['team-b/web-0']);
      const list = await h.api.listClusterCustomObject({ ...CI });
      expect(list).toMatchObject({
        kind: 'ComputeInstanceList',
        metadata: { resourceVersion: String(h.server.resourceVersion) },
      });
    });

    it('serves printer columns as a Table for kubectl get', async () => {
      await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: sampleInstance('vm-1'),
      });
      const table = await h.call('GET', nsPath(), undefined, {
        Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      });
      expect(table.body.kind).toBe('Table');
      expect(table.body.columnDefinitions.map((c: any) => c.name)).toEqual([
        'Name',
        'Template',
        'Cores',
        'Memory(GiB)',
        'OS',
        'RunStrategy',
        'Phase',
        'IP',
        'ExternalIP',
        'Age',
      ]);
      expect(table.body.rows[0].cells).toEqual([
        'vm-1',
        'osac.templates.ocp_virt_vm',
        2,
        4,
        null,
        'Always',
        null,
        null,
        null,
        expect.stringMatching(/^\d+s$/),
      ]);
    });
  });

  describe('deletion and finalizers', () => {
    beforeEach(async () => {
      h = await startHarness();
    });

    const finalizer = `${GROUP}/computeinstance`;

    it('only marks an object with finalizers, once; the last finalizer removal deletes it', async () => {
      await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: {
          ...sampleInstance('vm-1'),
          metadata: {
            name: 'vm-1',
            namespace: 'team-a',
            finalizers: [finalizer],
          },
        },
      });
      const marked = await h.api.deleteNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
      });
      expect(marked.metadata).toMatchObject({
        deletionTimestamp: expect.any(String),
        generation: 2,
        finalizers: [finalizer],
      });
      const again = await h.api.deleteNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
      });
      expect(again).toEqual(marked);
      const added = await rejection(
        h.api.replaceNamespacedCustomObject({
          ...CI,
          namespace: 'team-a',
          name: 'vm-1',
          body: {
            ...marked,
            metadata: {
              ...marked.metadata,
              finalizers: [finalizer, 'example.com/other'],
            },
          },
        }),
      );
      expect(added).toMatchObject({ code: 422 });
      expect(added.status.message).toContain(
        'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/other"}',
      );
      const removed = await h.api.replaceNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
        body: { ...marked, metadata: { ...marked.metadata, finalizers: [] } },
      });
      expect(removed.metadata.finalizers).toEqual([]);
      expect(
        (
          await rejection(
            h.api.getNamespacedCustomObject({
              ...CI,
              namespace: 'team-a',
              name: 'vm-1',
            }),
          )
        ).code,
      ).toBe(404);
      expect(h.server.objects('computeinstances')).toEqual([]);
    });

    it('checks delete preconditions and refuses to change uid or deletionTimestamp', async () => {
      const created = await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: sampleInstance('vm-1'),
      });
      const uid = await rejection(
        h.api.replaceNamespacedCustomObject({
          ...CI,
          namespace: 'team-a',
          name: 'vm-1',
          body: {
            ...created,
            metadata: {
              ...created.metadata,
              uid: '00000000-0000-0000-0000-000000000000',
            },
          },
        }),
      );
      expect(uid.status.message).toMatch(
        /metadata\.uid: Invalid value: .*field is immutable/,
      );
      const deletion = await rejection(
        h.api.replaceNamespacedCustomObject({
          ...CI,
          namespace: 'team-a',
          name: 'vm-1',
          body: {
            ...created,
            metadata: {
              ...created.metadata,
              deletionTimestamp: '2025-01-01T00:00:00Z',
            },
          },
        }),
      );
      expect(deletion.status.message).toMatch(/metadata\.deletionTimestamp/);
      const precondition = await h.call('DELETE', `${nsPath()}/vm-1`, {
        preconditions: { uid: 'other' },
      });
      expect(precondition.status).toBe(409);
      expect(precondition.body.message).toMatch(
        /Precondition failed: UID in precondition: other/,
      );
    });
  });

  describe('validation against the CRD', () => {
    beforeEach(async () => {
      h = await startHarness();
    });

    it('answers 422 Invalid with every violation, worded as the apiserver does', async () => {
      const bad = await rejection(
        h.api.createNamespacedCustomObject({
          ...CI,
          namespace: 'team-a',
          body: {
            ...sampleInstance('vm-1'),
            spec: {
              ...sampleSpec({
                cores: 0,
                memoryGiB: 'lots',
                runStrategy: 'Sometimes',
                templateID: '9x',
                restartRequestedAt: 'soon',
              }),
              image: { sourceType: 'registry', sourceRef: '' },
              bootDisk: {},
            },
          },
        }),
      );
      expect(bad.code).toBe(422);
      expect(bad.status.reason).toBe('Invalid');
      expect(bad.status.message).toMatch(
        /^ComputeInstance\.osac\.openshift\.io "vm-1" is invalid: \[/,
      );
      for (const part of [
        'spec.templateID: Invalid value: "9x": spec.templateID in body should match \'^[a-zA-Z_][a-zA-Z0-9._]*$\'',
        'spec.image.sourceRef: Invalid value: "": spec.image.sourceRef in body should be at least 1 chars long',
        'spec.cores: Invalid value: 0: spec.cores in body should be greater than or equal to 1',
        'spec.memoryGiB: Invalid value: "string": spec.memoryGiB in body must be of type integer: "string"',
        'spec.bootDisk.sizeGiB: Required value',
        'spec.runStrategy: Unsupported value: "Sometimes": supported values: "Always", "Halted"',
        'spec.restartRequestedAt: Invalid value: "soon": spec.restartRequestedAt in body must be of type date-time: "soon"',
      ]) {
        expect(bad.status.message).toContain(part);
      }
      expect(bad.status.details.causes).toContainEqual({
        reason: 'FieldValueNotSupported',
        field: 'spec.runStrategy',
        message:
          'Unsupported value: "Sometimes": supported values: "Always", "Halted"',
      });
      expect(h.server.objects('computeinstances')).toEqual([]);
    });

    it('requires RFC 1123 label names, as the CRD restricts metadata.name', async () => {
      const dotted = await rejection(
        h.api.createNamespacedCustomObject({
          ...CI,
          namespace: 'team-a',
          body: sampleInstance('web.1'),
        }),
      );
      expect(dotted.status.message).toContain(
        'metadata.name: Invalid value: "web.1"',
      );
    });

    it('prunes unknown fields with a warning, or refuses them under fieldValidation=Strict', async () => {
      const body = {
        ...sampleInstance('vm-1'),
        spec: { ...sampleSpec(), colour: 'blue' },
      };
      const warned = await h.call('POST', nsPath(), body);
      expect(warned.status).toBe(201);
      expect(warned.body.spec).not.toHaveProperty('colour');
      expect(warned.headers.get('warning')).toBe(
        '299 - "unknown field \\"spec.colour\\""',
      );
      const strict = await h.call(
        'POST',
        `${nsPath()}?fieldValidation=Strict`,
        {
          ...body,
          metadata: { name: 'vm-2', namespace: 'team-a' },
        },
      );
      expect(strict.status).toBe(400);
      expect(strict.body.message).toBe(
        'strict decoding error: unknown field "spec.colour"',
      );
    });
  });

  describe('watch', () => {
    beforeEach(async () => {
      h = await startHarness({ bookmarkInterval: 50, historySize: 100 });
    });

    function watch(
      path: string,
      params: Record<string, string | boolean | undefined>,
    ) {
      const events: Array<{ type: string; object: any }> = [];
      let doneWith: unknown = 'open';
      const controller = new Watch(h.kubeConfig).watch(
        path,
        params,
        (type, object) => events.push({ type, object }),
        err => {
          doneWith = err;
        },
      );
      return {
        events,
        done: () => doneWith,
        stop: async () => (await controller).abort(),
      };
    }

    it('resumes from a resourceVersion, sends bookmarks, and reports selector transitions', async () => {
      const created = await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: {
          ...sampleInstance('vm-1'),
          metadata: {
            name: 'vm-1',
            namespace: 'team-a',
            labels: { app: 'web' },
          },
        },
      });
      const w = watch(nsPath(), {
        resourceVersion: created.metadata.resourceVersion,
        labelSelector: 'app=web',
        allowWatchBookmarks: true,
      });
      await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: sampleInstance('other'),
      });
      await h.api.patchNamespacedCustomObject(
        {
          ...CI,
          namespace: 'team-a',
          name: 'vm-1',
          body: { metadata: { labels: { app: 'db' } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await waitFor(
        'a DELETED and a BOOKMARK',
        () =>
          w.events.some(e => e.type === 'DELETED') &&
          w.events.some(e => e.type === 'BOOKMARK'),
      );
      await w.stop();
      const changes = w.events.filter(e => e.type !== 'BOOKMARK');
      expect(changes.map(e => [e.type, e.object.metadata.name])).toEqual([
        ['DELETED', 'vm-1'],
      ]);
      const bookmark = w.events.find(e => e.type === 'BOOKMARK')!;
      expect(bookmark.object).toEqual({
        kind: 'ComputeInstance',
        apiVersion: `${GROUP}/v1alpha1`,
        metadata: { resourceVersion: String(h.server.resourceVersion) },
      });
    });

    it('answers a resume from a compacted resourceVersion with a 410 Gone ERROR event', async () => {
      const created = await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: sampleInstance('vm-1'),
      });
      await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: sampleInstance('vm-2'),
      });
      h.server.compact();
      const w = watch(nsPath(), {
        resourceVersion: created.metadata.resourceVersion,
      });
      await waitFor('the end of the stream', () => w.done() !== 'open');
      expect(w.events).toEqual([
        {
          type: 'ERROR',
          object: expect.objectContaining({
            kind: 'Status',
            code: 410,
            reason: 'Expired',
          }),
        },
      ]);
    });

    it("lets client-node's informer re-list after 410 Gone and report what changed meanwhile", async () => {
      await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: sampleInstance('vm-1'),
      });
      const informer = new ListWatch<any>(
        nsPath(),
        new Watch(h.kubeConfig),
        () => h.api.listNamespacedCustomObject({ ...CI, namespace: 'team-a' }),
        false,
      );
      const seen: string[] = [];
      informer.on('add', o => seen.push(`add ${o.metadata.name}`));
      informer.on('delete', o => seen.push(`delete ${o.metadata.name}`));
      await informer.start();
      await waitFor('the initial add', () => seen.length === 1);
      const lists = () =>
        h.server.requests.filter(
          r => r.method === 'GET' && !r.query.includes('watch'),
        ).length;
      const listsBefore = lists();
      // While the watch is down: changes, then the history is compacted away.
      const release = h.server.holdWatches();
      h.server.dropWatches();
      await h.api.deleteNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
      });
      await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: sampleInstance('vm-2'),
      });
      h.server.compact();
      release();
      await waitFor('the re-list', () => seen.length === 3);
      expect(
        h.server.requests.some(
          r => r.query.includes('watch') && r.status === 200,
        ),
      ).toBe(true);
      await informer.stop();
      expect(seen).toEqual(['add vm-1', 'delete vm-1', 'add vm-2']);
      expect(lists()).toBeGreaterThan(listsBefore);
    });

    it('ends a watch after timeoutSeconds', async () => {
      const w = watch(nsPath(), { timeoutSeconds: '1' } as any);
      await waitFor(
        'the server to end the watch',
        () => w.done() !== 'open',
        3000,
      );
      expect(w.done()).toBeNull();
    });
  });

  describe('Leases, Events, authentication and injected conflicts', () => {
    it('stores Leases with optimistic concurrency', async () => {
      h = await startHarness();
      const leases = h.kubeConfig.makeApiClient(CoordinationV1Api);
      const lease = await leases.createNamespacedLease({
        namespace: 'vm-lifecycle',
        body: {
          metadata: { name: 'ctl' },
          spec: { holderIdentity: 'a', leaseDurationSeconds: 15 },
        },
      });
      await leases.replaceNamespacedLease({
        name: 'ctl',
        namespace: 'vm-lifecycle',
        body: { ...lease, spec: { ...lease.spec, holderIdentity: 'b' } },
      });
      const stale = await rejection(
        leases.replaceNamespacedLease({
          name: 'ctl',
          namespace: 'vm-lifecycle',
          body: { ...lease, spec: { ...lease.spec, holderIdentity: 'c' } },
        }),
      );
      expect(stale.code).toBe(409);
      expect(
        (
          await leases.readNamespacedLease({
            name: 'ctl',
            namespace: 'vm-lifecycle',
          })
        ).spec?.holderIdentity,
      ).toBe('b');
      const invalid = await rejection(
        leases.createNamespacedLease({
          namespace: 'vm-lifecycle',
          body: {
            metadata: { name: 'bad' },
            spec: { leaseDurationSeconds: 0 },
          },
        }),
      );
      expect(invalid.code).toBe(422);
    });

    it('stores Events, selectable by involvedObject, with the apiserver namespace and eventTime rules', async () => {
      h = await startHarness();
      const core = h.kubeConfig.makeApiClient(CoreV1Api);
      const event = (
        name: string,
        uid: string,
        extra: Record<string, unknown> = {},
      ) => ({
        metadata: { name, namespace: 'team-a' },
        involvedObject: {
          kind: 'ComputeInstance',
          namespace: 'team-a',
          name: 'vm-1',
          uid,
        },
        reason: 'Created',
        message: 'hello',
        type: 'Normal',
        ...extra,
      });
      await core.createNamespacedEvent({
        namespace: 'team-a',
        body: event('e1', 'u1'),
      });
      await core.createNamespacedEvent({
        namespace: 'team-a',
        body: event('e2', 'u2'),
      });
      const list = await core.listNamespacedEvent({
        namespace: 'team-a',
        fieldSelector: 'involvedObject.uid=u2',
      });
      expect(list.items.map(e => e.metadata?.name)).toEqual(['e2']);
      const elsewhere = await rejection(
        core.createNamespacedEvent({
          namespace: 'team-b',
          body: {
            ...event('e3', 'u1'),
            metadata: { name: 'e3', namespace: 'team-b' },
          },
        }),
      );
      expect(elsewhere.status.message).toContain(
        'involvedObject.namespace: Invalid value: "team-a": does not match event.namespace',
      );
      const longNew = await rejection(
        core.createNamespacedEvent({
          namespace: 'team-a',
          body: event('e4', 'u1', {
            eventTime: new Date(),
            message: 'x'.repeat(2000),
          }) as any,
        }),
      );
      expect(longNew.status.message).toMatch(
        /reportingComponent: Required value.*message: Invalid value/,
      );
    });

    it('requires the bearer token when one is set', async () => {
      h = await startHarness({ token: 'secret' });
      await h.api.listClusterCustomObject({ ...CI });
      const res = await fetch(`${h.server.url}/apis`);
      expect(res.status).toBe(401);
      expect((await res.json()).reason).toBe('Unauthorized');
    });

    it('injects a concurrent write so that the next matching write gets 409', async () => {
      h = await startHarness();
      const created = await h.api.createNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        body: sampleInstance('vm-1'),
      });
      h.server.injectConcurrentWrite({
        plural: 'computeinstances',
        name: 'vm-1',
        subresource: 'status',
      });
      const first = await rejection(
        h.api.replaceNamespacedCustomObjectStatus({
          ...CI,
          namespace: 'team-a',
          name: 'vm-1',
          body: { ...created, status: { phase: 'Running' } },
        }),
      );
      expect(first.code).toBe(409);
      const fresh = await h.api.getNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
      });
      expect(fresh.metadata.annotations).toHaveProperty([
        'kube-test-apiserver/concurrent-write',
      ]);
      const retried = await h.api.replaceNamespacedCustomObjectStatus({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
        body: { ...fresh, status: { phase: 'Running' } },
      });
      expect(retried.status).toEqual({ phase: 'Running' });
    });
  });
});
