import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { AAP_TOKEN, startApiBackend } from '../__testUtils__/apiBackend';
import { stripAnsi } from '../aap/ansi';

/** The escape character that starts Ansible's colour codes. */
const ESC = String.fromCharCode(27);

jest.setTimeout(60_000);

type Api = Awaited<ReturnType<typeof startApiBackend>>;
const as = (user: string) =>
  mockCredentials.user.header(`user:default/${user}`);
const base = '/api/vm-lifecycle';

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

describe('vm-lifecycle REST API', () => {
  let api: Api;
  const bodies: string[] = [];

  beforeAll(async () => {
    api = await startApiBackend();
  });
  afterAll(async () => {
    await api.stop();
  });

  /** Every response body is recorded for the secret-leak check. */
  function call(
    method: 'get' | 'post' | 'patch' | 'delete',
    path: string,
    user = 'alice',
  ) {
    const req = request(api.server)
      [method](`${base}${path}`)
      .set('Authorization', as(user));
    const then = req.then.bind(req);
    (req as any).then = (resolve: any, reject: any) =>
      then((res: request.Response) => {
        bodies.push(res.text ?? '');
        return resolve(res);
      }, reject);
    return req;
  }

  async function phaseOf(name: string, user = 'alice') {
    const res = await call('get', `/instances/default/${name}`, user);
    return res.status === 200 ? res.body.status?.phase : res.status;
  }

  it('serves the configured templates', async () => {
    const res = await call('get', '/templates');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({ id: 'fedora_small', title: 'Small Fedora VM' }),
    ]);
  });

  it('tells the portal which provider and store are configured, and nothing secret', async () => {
    const res = await call('get', '/settings');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      apiGroup: 'osac.openshift.io',
      provider: 'aap',
      store: 'database',
      pollIntervalMs: 100,
      controllerEnabled: true,
    });
  });

  it('happy path: create from template defaults, Running, restart, stop/start, delete, 404', async () => {
    const created = await call('post', '/instances').send({
      metadata: { name: 'web-1' },
      spec: { templateID: 'fedora_small' },
    });
    expect(created.status).toBe(201);
    expect(created.body.spec).toMatchObject({
      cores: 2,
      memoryGiB: 4,
      bootDisk: { sizeGiB: 20 },
      runStrategy: 'Always',
    });
    expect(
      created.body.metadata.annotations['osac.openshift.io/requested-by'],
    ).toBe('user:default/alice');
    expect(created.body.metadata.namespace).toBe('default');

    await eventually(
      'Running',
      async () => (await phaseOf('web-1')) === 'Running',
    );

    const restarted = await call('post', '/instances/default/web-1/restart');
    expect(restarted.status).toBe(202);
    const requestedAt = restarted.body.spec.restartRequestedAt;
    expect(requestedAt).toBeDefined();
    await eventually('restart applied', async () => {
      const res = await call('get', '/instances/default/web-1');
      return (
        res.body.status.lastRestartedAt === requestedAt &&
        res.body.status.phase === 'Running'
      );
    });

    const stopped = await call('patch', '/instances/default/web-1').send({
      spec: { runStrategy: 'Halted' },
    });
    expect(stopped.status).toBe(200);
    expect(stopped.body.spec.runStrategy).toBe('Halted');
    await eventually(
      'Stopped',
      async () => (await phaseOf('web-1')) === 'Stopped',
    );
    await call('patch', '/instances/default/web-1')
      .send({ spec: { runStrategy: 'Always' } })
      .expect(200);
    await eventually(
      'Running again',
      async () => (await phaseOf('web-1')) === 'Running',
    );

    const vm = (await call('get', '/instances/default/web-1')).body;
    expect(
      vm.status.provisioningJobs.filter((j: any) => j.type === 'provision'),
    ).toHaveLength(4);
    const events = await call('get', '/instances/default/web-1/events');
    expect(events.status).toBe(200);
    expect(events.body.items.map((e: any) => e.reason)).toEqual(
      expect.arrayContaining([
        'ProvisionJobLaunched',
        'ProvisionJobSucceeded',
        'RestartApplied',
      ]),
    );
    const firstJob = vm.status.provisioningJobs[0].jobID;
    const stdout = await call(
      'get',
      `/instances/default/web-1/jobs/${firstJob}/stdout`,
    );
    expect(stdout.status).toBe(200);
    expect(stdout.headers['content-type']).toMatch(/text\/plain/);
    expect(stdout.text).toMatch(/PLAY RECAP/);
    // Plain text without Ansible's colours; the portal's JSON keeps them for its log viewer.
    expect(stdout.text).not.toContain('\u001b[');
    const coloured = await call(
      'get',
      `/instances/default/web-1/jobs/${firstJob}/stdout`,
    ).set('Accept', 'application/json');
    expect(coloured.body.text).toMatch(
      new RegExp(`${ESC}\\[0;3[23]m(ok|changed): \\[localhost\\]`),
    );
    expect(stripAnsi(coloured.body.text)).toBe(stdout.text);
    await call('get', '/instances/default/web-1/jobs/99999/stdout').expect(404);

    const deleted = await call('delete', '/instances/default/web-1');
    expect(deleted.status).toBe(202);
    expect(deleted.body.metadata.deletionTimestamp).toBeDefined();
    // Idempotent while the deletion runs.
    const again = await call('delete', '/instances/default/web-1');
    expect([202, 404]).toContain(again.status);
    await eventually(
      'gone',
      async () =>
        (await call('get', '/instances/default/web-1')).status === 404,
    );
    await call('delete', '/instances/default/web-1').expect(404);
    expect(api.sim.vms().filter(v => v.name === 'web-1')).toEqual([]);
  });

  it('delete while provisioning: the provision job is canceled, one deprovision job runs, the record and the VM are gone', async () => {
    await call('post', '/instances')
      .send({
        metadata: { name: 'early-delete' },
        spec: { templateID: 'fedora_small' },
      })
      .expect(201);
    await eventually('provision running', async () =>
      api.sim
        .jobs()
        .some(
          j => j.instance?.name === 'early-delete' && j.status === 'running',
        ),
    );
    const res = await call('delete', '/instances/default/early-delete');
    expect(res.status).toBe(202);
    await eventually(
      'gone',
      async () =>
        (await call('get', '/instances/default/early-delete')).status === 404,
    );
    const jobs = api.sim
      .jobs()
      .filter(j => j.instance?.name === 'early-delete');
    const provision = jobs.filter(j => j.template.includes('create'));
    const deprovision = jobs.filter(j => j.template.includes('delete'));
    expect(provision).toHaveLength(1);
    expect(['canceled', 'successful', 'failed']).toContain(provision[0].status);
    expect(deprovision).toHaveLength(1);
    expect(deprovision[0].status).toBe('successful');
    expect(api.sim.vms().filter(v => v.name === 'early-delete')).toEqual([]);
  });

  describe('invalid requests', () => {
    const valid = {
      metadata: { name: 'ok-name' },
      spec: { templateID: 'fedora_small' },
    };
    const cases: Array<[string, unknown, string]> = [
      [
        'missing metadata',
        { spec: { templateID: 'fedora_small' } },
        'metadata',
      ],
      [
        'missing name',
        { metadata: {}, spec: { templateID: 'fedora_small' } },
        'metadata.name',
      ],
      [
        'uppercase name',
        { ...valid, metadata: { name: 'Web1' } },
        'metadata.name',
      ],
      [
        'name with underscore',
        { ...valid, metadata: { name: 'web_1' } },
        'metadata.name',
      ],
      [
        'name starting with -',
        { ...valid, metadata: { name: '-web' } },
        'metadata.name',
      ],
      [
        'name of 64 chars',
        { ...valid, metadata: { name: 'a'.repeat(64) } },
        'metadata.name',
      ],
      ['empty name', { ...valid, metadata: { name: '' } }, 'metadata.name'],
      [
        'name is a number',
        { ...valid, metadata: { name: 42 } },
        'metadata.name',
      ],
      [
        'bad namespace',
        { ...valid, metadata: { name: 'ok', namespace: 'Not OK' } },
        'metadata.namespace',
      ],
      [
        'unknown metadata field',
        { ...valid, metadata: { name: 'ok', uid: 'x' } },
        'metadata.uid',
      ],
      ['unknown top-level field', { ...valid, status: {} }, 'status'],
      ['missing spec', { metadata: { name: 'ok' } }, 'spec'],
      [
        'missing templateID',
        { metadata: { name: 'ok' }, spec: {} },
        'spec.templateID',
      ],
      [
        'bad templateID pattern',
        { metadata: { name: 'ok' }, spec: { templateID: '9bad' } },
        'spec.templateID',
      ],
      [
        'unknown template',
        { metadata: { name: 'ok' }, spec: { templateID: 'nope' } },
        'spec.templateID',
      ],
      [
        'cores 0',
        { ...valid, spec: { templateID: 'fedora_small', cores: 0 } },
        'spec.cores',
      ],
      [
        'cores 129',
        { ...valid, spec: { templateID: 'fedora_small', cores: 129 } },
        'spec.cores',
      ],
      [
        'cores 2.5',
        { ...valid, spec: { templateID: 'fedora_small', cores: 2.5 } },
        'spec.cores',
      ],
      [
        'cores as string',
        { ...valid, spec: { templateID: 'fedora_small', cores: '2' } },
        'spec.cores',
      ],
      [
        'memoryGiB 0',
        { ...valid, spec: { templateID: 'fedora_small', memoryGiB: 0 } },
        'spec.memoryGiB',
      ],
      [
        'bootDisk 0',
        {
          ...valid,
          spec: { templateID: 'fedora_small', bootDisk: { sizeGiB: 0 } },
        },
        'spec.bootDisk.sizeGiB',
      ],
      [
        'bad runStrategy',
        {
          ...valid,
          spec: { templateID: 'fedora_small', runStrategy: 'Sometimes' },
        },
        'spec.runStrategy',
      ],
      [
        'templateParameters not JSON',
        {
          ...valid,
          spec: { templateID: 'fedora_small', templateParameters: 'not json' },
        },
        'spec.templateParameters',
      ],
      [
        'templateParameters an array',
        {
          ...valid,
          spec: { templateID: 'fedora_small', templateParameters: '[1]' },
        },
        'spec.templateParameters',
      ],
      [
        'unknown spec field',
        { ...valid, spec: { templateID: 'fedora_small', gpu: true } },
        'spec.gpu',
      ],
      [
        'image sourceType not registry',
        {
          ...valid,
          spec: {
            templateID: 'fedora_small',
            image: { sourceType: 'http', sourceRef: 'x' },
          },
        },
        'spec.image',
      ],
      [
        'owner not an entity ref',
        {
          ...valid,
          metadata: {
            name: 'ok',
            annotations: { 'osac.openshift.io/owner': 'not a ref!' },
          },
        },
        'osac.openshift.io/owner',
      ],
      ['body is an array', [], 'body'],
    ];

    it.each(cases)(
      'rejects %s with 400 naming the field',
      async (_label, body, field) => {
        const before = (await call('get', '/instances')).body.items.length;
        const res = await call('post', '/instances').send(body as object);
        expect(res.status).toBe(400);
        expect(res.body.error.name).toBe('InputError');
        expect(res.body.error.message).toContain(field);
        expect((await call('get', '/instances')).body.items.length).toBe(
          before,
        );
      },
    );

    it('rejects malformed JSON and oversized bodies with 400, storing nothing', async () => {
      const before = (await call('get', '/instances')).body.items.length;
      const malformed = await call('post', '/instances')
        .set('Content-Type', 'application/json')
        .send('{"metadata": {');
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.message).toMatch(
        /request body: malformed JSON/,
      );
      const huge = await call('post', '/instances').send({
        ...valid,
        spec: { templateID: 'fedora_small', sshKey: 'x'.repeat(70 * 1024) },
      });
      expect(huge.status).toBe(400);
      expect(huge.body.error.message).toMatch(
        /request body: larger than the 64 KiB limit/,
      );
      expect((await call('get', '/instances')).body.items.length).toBe(before);
    });

    it('answers 409 for a name that is taken, and 422 naming the field for an immutable change', async () => {
      await call('post', '/instances')
        .send({
          metadata: { name: 'immutable-1' },
          spec: { templateID: 'fedora_small' },
        })
        .expect(201);
      const dup = await call('post', '/instances').send({
        metadata: { name: 'immutable-1' },
        spec: { templateID: 'fedora_small' },
      });
      expect(dup.status).toBe(409);
      const before = (await call('get', '/instances/default/immutable-1')).body;
      for (const [patch, field] of [
        [{ spec: { cores: 4 } }, 'spec.cores'],
        [{ spec: { image: { sourceRef: 'x' } } }, 'spec.image'],
        [{ spec: { templateID: 'other' } }, 'spec.templateID'],
        [{ spec: { runStrategy: 'Halted', memoryGiB: 8 } }, 'spec.memoryGiB'],
      ] as const) {
        const res = await call('patch', '/instances/default/immutable-1').send(
          patch,
        );
        expect({ field, status: res.status }).toEqual({ field, status: 422 });
        expect(res.body.error.message).toContain(field);
      }
      const badValue = await call(
        'patch',
        '/instances/default/immutable-1',
      ).send({ spec: { runStrategy: 'Never' } });
      expect(badValue.status).toBe(400);
      expect(badValue.body.error.message).toContain('spec.runStrategy');
      const after = (await call('get', '/instances/default/immutable-1')).body;
      expect(after.spec).toEqual(before.spec);
    });
  });

  describe('permissions and audit', () => {
    beforeAll(async () => {
      await call('post', '/instances', 'alice')
        .send({
          metadata: { name: 'alices-vm' },
          spec: { templateID: 'fedora_small' },
        })
        .expect(201);
      await call('post', '/instances', 'alice')
        .send({
          metadata: {
            name: 'team-a-vm',
            annotations: { 'osac.openshift.io/owner': 'group:default/team-a' },
          },
          spec: { templateID: 'fedora_small' },
        })
        .expect(201);
    });

    it('answers 404, as for a missing instance, to a user who neither requested nor owns the instance, and audits the denial', async () => {
      for (const [method, path] of [
        ['get', '/instances/default/alices-vm'],
        ['patch', '/instances/default/alices-vm'],
        ['post', '/instances/default/alices-vm/restart'],
        ['delete', '/instances/default/alices-vm'],
        ['get', '/instances/default/alices-vm/events'],
      ] as const) {
        const res = await call(method, path, 'bob').send(
          method === 'patch' ? { spec: { runStrategy: 'Halted' } } : undefined,
        );
        expect({ method, path, status: res.status }).toEqual({
          method,
          path,
          status: 404,
        });
      }
      expect(
        (await call('get', '/instances/default/alices-vm')).body.metadata
          .deletionTimestamp,
      ).toBeUndefined();
      const list = await call('get', '/instances', 'bob');
      expect(list.body.items.map((i: any) => i.metadata.name)).not.toContain(
        'alices-vm',
      );
      expect(api.auditEvents).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            eventId: 'instance-access-denied',
            outcome: 'fail',
            meta: expect.objectContaining({
              name: 'alices-vm',
              permission: 'vm-lifecycle.instance.delete',
            }),
          }),
          expect.objectContaining({
            eventId: 'instance-delete',
            outcome: 'fail',
            meta: { namespace: 'default', name: 'alices-vm' },
          }),
          expect.objectContaining({
            eventId: 'instance-create',
            outcome: 'success',
            meta: { name: 'alices-vm' },
          }),
        ]),
      );
    });

    it('lets members of the owning group in, and admins everywhere', async () => {
      await call('get', '/instances/default/team-a-vm', 'dave').expect(200);
      await call('get', '/instances/default/alices-vm', 'dave').expect(404);
      const daveList = (await call('get', '/instances', 'dave')).body.items.map(
        (i: any) => i.metadata.name,
      );
      expect(daveList).toContain('team-a-vm');
      expect(daveList).not.toContain('alices-vm');
      await call('get', '/instances/default/alices-vm', 'carol').expect(200);
      await call('patch', '/instances/default/alices-vm', 'carol')
        .send({ spec: { runStrategy: 'Halted' } })
        .expect(200);
      const adminList = (
        await call('get', '/instances', 'carol')
      ).body.items.map((i: any) => i.metadata.name);
      expect(adminList).toEqual(
        expect.arrayContaining(['alices-vm', 'team-a-vm']),
      );
      expect(api.auditEvents).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            eventId: 'instance-patch',
            outcome: 'success',
            meta: { namespace: 'default', name: 'alices-vm' },
          }),
        ]),
      );
    });

    it('filters the list by owner and requester', async () => {
      const owned = await call(
        'get',
        '/instances?owner=group:default/team-a',
        'carol',
      );
      expect(owned.body.items.map((i: any) => i.metadata.name)).toEqual([
        'team-a-vm',
      ]);
      const mine = await call(
        'get',
        '/instances?requestedBy=user:default/alice',
        'carol',
      );
      expect(mine.body.items.map((i: any) => i.metadata.name)).toEqual(
        expect.arrayContaining(['alices-vm', 'team-a-vm']),
      );
      await call('get', '/instances?owner=', 'carol').expect(400);
    });
  });

  it('publishes a signal for status changes and for the deletion, to the requester', async () => {
    await call('post', '/instances')
      .send({
        metadata: { name: 'signalled' },
        spec: { templateID: 'fedora_small' },
      })
      .expect(201);
    await eventually(
      'Running',
      async () => (await phaseOf('signalled')) === 'Running',
    );
    await call('delete', '/instances/default/signalled').expect(202);
    await eventually(
      'gone',
      async () =>
        (await call('get', '/instances/default/signalled')).status === 404,
    );
    const mine = api.published.filter(p => p.message.name === 'signalled');
    expect(mine.every(p => p.channel === 'vm-lifecycle')).toBe(true);
    expect(mine.map(p => p.message.phase)).toEqual(
      expect.arrayContaining(['Starting', 'Running', 'Deleting']),
    );
    expect(mine[mine.length - 1].message).toMatchObject({
      type: 'instance',
      namespace: 'default',
      name: 'signalled',
      deleted: true,
    });
    expect(mine[0].recipients.entityRef).toEqual(
      expect.arrayContaining([
        'user:default/alice',
        'group:default/platform-admins',
      ]),
    );
  });

  it('never shows the AAP token in a response body or a log line', () => {
    expect(bodies.length).toBeGreaterThan(50);
    expect(bodies.filter(b => b.includes(AAP_TOKEN))).toEqual([]);
    expect(api.logger.lines.length).toBeGreaterThan(0);
    expect(api.logger.lines.filter(l => l.includes(AAP_TOKEN))).toEqual([]);
  });
});
