/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "expectRefused"] }] */
import request from 'supertest';
import {
  ApiBackend,
  apiCaller,
  LOCKED_TEMPLATE,
  PARAMETER_TEMPLATE,
  startApiBackend,
  TEMPLATES,
} from '../__testUtils__/apiBackend';

jest.setTimeout(60_000);

const FEDORA_DEFAULTS = TEMPLATES[0].defaults;

/** Deeper than any stack: about 5,000 levels answered 500 (a RangeError) before the limit. */
const deeplyNested = (levels: number) =>
  `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('trust boundaries of the REST API', () => {
  let api: ApiBackend;

  let call: ReturnType<typeof apiCaller>;

  beforeAll(async () => {
    api = await startApiBackend({
      vmLifecycle: {
        templates: [...TEMPLATES, LOCKED_TEMPLATE, PARAMETER_TEMPLATE],
      },
    });
    call = apiCaller(api.server);
  });
  afterAll(async () => {
    await api.stop();
  });

  const storedNames = async () =>
    (await call('get', '/instances', 'carol')).body.items
      .map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`)
      .sort();

  async function expectRefused(
    body: object,
    status: number,
    ...mentions: string[]
  ) {
    const before = await storedNames();
    const res = await call('post', '/instances').send(body);
    expect({ status: res.status, message: res.body.error?.message }).toEqual({
      status,
      message: expect.any(String),
    });
    for (const text of mentions) expect(res.body.error.message).toContain(text);
    expect(await storedNames()).toEqual(before);
    return res;
  }

  describe('requesters control only what is theirs', () => {
    it.each([
      'osac.openshift.io/reconciled-config-version',
      'osac.openshift.io/requested-by',
      'osac.openshift.io/computeinstance',
      'osac.openshift.io/launch-id',
    ])('refuses the annotation %s at create with 422 naming it', async key => {
      const res = await expectRefused(
        {
          metadata: { name: 'steered', annotations: { [key]: 'x' } },
          spec: { templateID: 'fedora_small' },
        },
        422,
        `metadata.annotations["${key}"]`,
      );
      expect(res.body.error.message).toContain('osac.openshift.io/owner');
    });

    it('accepts the owner annotation and annotations of other groups', async () => {
      const res = await call('post', '/instances').send({
        metadata: {
          name: 'annotated',
          annotations: {
            'osac.openshift.io/owner': 'group:default/team-a',
            'example.com/cost-centre': '4711',
          },
        },
        spec: { templateID: 'fedora_small' },
      });
      expect(res.status).toBe(201);
      expect(res.body.metadata.annotations).toMatchObject({
        'osac.openshift.io/owner': 'group:default/team-a',
        'example.com/cost-centre': '4711',
        'osac.openshift.io/requested-by': 'user:default/alice',
      });
    });

    it('refuses a PATCH of annotations with 422 and changes nothing', async () => {
      const before = (await call('get', '/instances/default/annotated')).body;
      const res = await call('patch', '/instances/default/annotated').send({
        metadata: {
          annotations: {
            'osac.openshift.io/reconciled-config-version':
              before.status.desiredConfigVersion ?? 'x',
          },
        },
      });
      expect(res.status).toBe(422);
      expect(res.body.error.message).toContain('metadata.annotations');
      const after = (await call('get', '/instances/default/annotated')).body;
      expect(after.metadata.annotations).toEqual(before.metadata.annotations);
    });
  });

  describe('path parameters are checked before any store call', () => {
    it.each([
      ['delete', '/instances/default/.', 'carol', 'name'],
      ['delete', '/instances/default/%2e%2e', 'carol', 'name'],
      ['get', '/instances/../.', 'carol', 'namespace'],
      ['get', '/instances/%2E/web', 'carol', 'namespace'],
      ['get', '/instances/default/Web-1', 'alice', 'name'],
      ['get', `/instances/default/${'a'.repeat(64)}`, 'alice', 'name'],
      ['get', '/instances/default/a%2Fb', 'alice', 'name'],
      ['get', '/instances/default/annotated/jobs/../stdout', 'alice', 'jobID'],
      [
        'get',
        '/instances/default/annotated/jobs/%2e%2e/stdout',
        'alice',
        'jobID',
      ],
      ['post', '/instances/default/./restart', 'alice', 'name'],
      ['patch', '/instances/kube%20system/x', 'alice', 'namespace'],
    ] as const)(
      '%s %s (as %s) is a 400 naming the path parameter %s',
      async (method, path, user, parameter) => {
        const before = await storedNames();
        const res = await call(method, path, user).send(
          method === 'patch' ? { spec: { runStrategy: 'Halted' } } : undefined,
        );
        expect(res.status).toBe(400);
        expect(res.body.error.name).toBe('InputError');
        expect(res.body.error.message).toContain(`path parameter ${parameter}`);
        expect(await storedNames()).toEqual(before);
      },
    );
  });

  describe('sizes are bounded', () => {
    it.each([
      ['memoryGiB 1e308', { memoryGiB: 1e308 }, 'spec.memoryGiB'],
      ['memoryGiB 4097', { memoryGiB: 4097 }, 'spec.memoryGiB'],
      [
        'a boot disk of 65537 GiB',
        { bootDisk: { sizeGiB: 65537 } },
        'spec.bootDisk.sizeGiB',
      ],
      [
        'an additional disk of 1e12 GiB',
        { additionalDisks: [{ sizeGiB: 1e12 }] },
        'spec.additionalDisks[0].sizeGiB',
      ],
      [
        '17 additional disks',
        { additionalDisks: Array.from({ length: 17 }, () => ({ sizeGiB: 1 })) },
        'spec.additionalDisks',
      ],
      [
        'templateParameters nested 5,000 levels deep',
        { templateParameters: deeplyNested(5000) },
        'spec.templateParameters',
      ],
      [
        'templateParameters nested 11 levels deep',
        { templateParameters: deeplyNested(11) },
        'spec.templateParameters',
      ],
      [
        'templateParameters of 20,000 characters',
        { templateParameters: JSON.stringify({ env: 'x'.repeat(20_000) }) },
        'spec.templateParameters',
      ],
    ])('refuses %s with 400 naming the field', async (_what, spec, field) => {
      await expectRefused(
        {
          metadata: { name: 'too-big' },
          spec: { templateID: 'with_params', ...spec },
        },
        400,
        field,
      );
    });

    it('accepts the largest sizes', async () => {
      const res = await call('post', '/instances').send({
        metadata: { name: 'largest' },
        spec: {
          templateID: 'with_params',
          cores: 128,
          memoryGiB: 4096,
          bootDisk: { sizeGiB: 65536 },
          additionalDisks: Array.from({ length: 16 }, () => ({
            sizeGiB: 65536,
          })),
        },
      });
      expect(res.status).toBe(201);
    });
  });

  describe('templates are safe by default', () => {
    it.each([
      ['cores', { cores: 4 }, 'spec.cores'],
      [
        'image.sourceRef',
        { image: { sourceRef: 'quay.io/evil/miner:latest' } },
        'spec.image.sourceRef',
      ],
      [
        'userDataSecretRef',
        { userDataSecretRef: { name: 'team-b-secrets' } },
        'spec.userDataSecretRef',
      ],
      ['runStrategy', { runStrategy: 'Halted' }, 'spec.runStrategy'],
      ['sshKey', { sshKey: 'ssh-ed25519 AAAA mallory' }, 'spec.sshKey'],
    ])(
      'a template without editableFields lets nobody change %s',
      async (_field, spec, field) => {
        await expectRefused(
          {
            metadata: { name: 'locked-1' },
            spec: { templateID: 'locked', ...spec },
          },
          400,
          field,
          'fixed by template "locked"',
        );
      },
    );

    it('a template without editableFields still serves its defaults', async () => {
      const res = await call('post', '/instances').send({
        metadata: { name: 'locked-ok' },
        spec: { templateID: 'locked', cores: FEDORA_DEFAULTS.cores },
      });
      expect(res.status).toBe(201);
      expect(res.body.spec.userDataSecretRef).toEqual({
        name: 'team-a-cloud-init',
      });
    });

    it("refuses to override a template's fixed parameter", async () => {
      await expectRefused(
        {
          metadata: { name: 'override' },
          spec: {
            templateID: 'with_params',
            templateParameters: '{"network":"attacker-net"}',
          },
        },
        400,
        'spec.templateParameters',
        '"network"',
        'fixed by template "with_params"',
      );
    });

    it('refuses parameter keys the template does not declare', async () => {
      await expectRefused(
        {
          metadata: { name: 'undeclared' },
          spec: {
            templateID: 'with_params',
            templateParameters: '{"env":"dev","playbook_debug":true}',
          },
        },
        400,
        'spec.templateParameters',
        'playbook_debug',
      );
      // fedora_small opens templateParameters but declares no parameter: no key is acceptable.
      await expectRefused(
        {
          metadata: { name: 'undeclared' },
          spec: {
            templateID: 'fedora_small',
            templateParameters: '{"anything":1}',
          },
        },
        400,
        'spec.templateParameters',
        'anything',
      );
    });

    it('merges declared parameters with the fixed ones', async () => {
      const res = await call('post', '/instances').send({
        metadata: { name: 'declared' },
        spec: {
          templateID: 'with_params',
          templateParameters: '{"env":"dev"}',
        },
      });
      expect(res.status).toBe(201);
      expect(JSON.parse(res.body.spec.templateParameters)).toEqual({
        network: 'prod-net',
        env: 'dev',
      });
    });
  });

  describe('a caller without read permission learns nothing', () => {
    const answer = (res: request.Response, name: string) => ({
      status: res.status,
      error: {
        name: res.body.error?.name,
        message: res.body.error?.message?.replaceAll(name, '<name>'),
      },
    });

    it.each([
      ['get', ''],
      ['get', '/events'],
      ['get', '/jobs/1/stdout'],
      ['patch', ''],
      ['post', '/restart'],
      ['delete', ''],
    ] as const)(
      '%s <instance>%s answers the same for a VM of someone else and for none',
      async (method, suffix) => {
        const send = (name: string) =>
          call(method, `/instances/default/${name}${suffix}`, 'bob').send(
            method === 'patch'
              ? { spec: { runStrategy: 'Halted' } }
              : undefined,
          );
        const existing = answer(await send('annotated'), 'annotated');
        const missing = answer(await send('no-such-vm'), 'no-such-vm');
        expect(existing).toEqual(missing);
        expect(existing.status).toBe(404);
        expect(
          (await call('get', '/instances/default/annotated')).body.metadata
            .deletionTimestamp,
        ).toBeUndefined();
      },
    );

    it('still audits the denials', () => {
      expect(api.auditEvents).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            eventId: 'instance-access-denied',
            outcome: 'fail',
            meta: expect.objectContaining({
              name: 'annotated',
              permission: 'vm-lifecycle.instance.delete',
            }),
          }),
        ]),
      );
    });
  });
});
