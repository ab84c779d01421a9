import {
  apiCaller,
  ApiBackend,
  startApiBackend,
  TEMPLATES,
} from '../__testUtils__/apiBackend';

jest.setTimeout(60_000);

const GROUP = 'osac.openshift.io';
const EXPIRES = `${GROUP}/expires-at`;
const FIELD = `metadata.annotations["${EXPIRES}"]`;
const DAY = 24 * 3_600_000;
const DEV_TEMPLATE = {
  ...TEMPLATES[0],
  id: 'dev',
  title: 'Development VM',
  lifetime: { defaultDays: 7, maxDays: 30 },
};

describe('expiry through the REST API', () => {
  let b: ApiBackend;
  let api: ReturnType<typeof apiCaller>;

  beforeAll(async () => {
    b = await startApiBackend({
      vmLifecycle: { templates: [...TEMPLATES, DEV_TEMPLATE] },
    });
    api = apiCaller(b.server);
  });
  afterAll(async () => {
    await b.stop();
  });

  const create = (
    name: string,
    annotations: Record<string, string> = {},
    templateID = 'dev',
  ) =>
    api('post', '/instances').send({
      metadata: {
        name,
        annotations: {
          [`${GROUP}/owner`]: 'group:default/team-a',
          ...annotations,
        },
      },
      spec: { templateID },
    });
  const inDays = (days: number) =>
    new Date(Date.now() + days * DAY).toISOString();

  it("gives a VM the template's default lifetime, or the expiry requested within its maximum", async () => {
    const before = Date.now();
    const plain = (await create('e-default').expect(201)).body;
    const expiresAt = Date.parse(plain.metadata.annotations[EXPIRES]);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 7 * DAY);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 7 * DAY);

    const asked = inDays(10);
    const chosen = (await create('e-chosen', { [EXPIRES]: asked }).expect(201))
      .body;
    expect(chosen.metadata.annotations[EXPIRES]).toBe(asked);

    // A template without a lifetime: its VMs never expire.
    const forever = (await create('e-forever', {}, 'fedora_small').expect(201))
      .body;
    expect(forever.metadata.annotations[EXPIRES]).toBeUndefined();
  });

  it('refuses an expiry beyond the maximum, in the past, or for a template without lifetime, naming the field', async () => {
    const far = await create('e-far', { [EXPIRES]: inDays(31) }).expect(400);
    expect(far.body.error.message).toMatch(
      new RegExp(
        `^${escape(FIELD)}: must not be later than .* at most 30 days`,
      ),
    );
    const past = await create('e-past', { [EXPIRES]: inDays(-1) }).expect(400);
    expect(past.body.error.message).toBe(`${FIELD}: must be in the future`);
    const none = await create(
      'e-none',
      { [EXPIRES]: inDays(1) },
      'fedora_small',
    ).expect(400);
    expect(none.body.error.message).toContain('sets no lifetime');
    // The controller's expiry marks stay reserved.
    const marked = await create('e-marked', {
      [`${GROUP}/expired-at`]: inDays(1),
    }).expect(422);
    expect(marked.body.error.message).toContain(
      `may set only ${GROUP}/owner, ${GROUP}/component and ${EXPIRES}`,
    );
    for (const name of ['e-far', 'e-past', 'e-none', 'e-marked'])
      await api('get', `/instances/default/${name}`).expect(404);
  });

  it('lets the owner extend within the maximum, audited, and refuses beyond it', async () => {
    await create('e-ext').expect(201);
    const later = inDays(20);
    const extended = await api(
      'post',
      '/instances/default/e-ext/expiry',
      'dave',
    )
      .send({ expiresAt: later })
      .expect(200);
    expect(extended.body.metadata.annotations[EXPIRES]).toBe(later);
    const events = (
      await api('get', '/instances/default/e-ext/events').expect(200)
    ).body.items;
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: 'ExpiryExtended',
          message: expect.stringContaining(
            `user:default/dave extended the expiry from`,
          ),
        }),
      ]),
    );
    expect(b.auditEvents).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          eventId: 'instance-expiry-extend',
          outcome: 'success',
          meta: expect.objectContaining({ name: 'e-ext', expiresAt: later }),
        }),
      ]),
    );

    const beyond = await api('post', '/instances/default/e-ext/expiry')
      .send({ expiresAt: inDays(31) })
      .expect(400);
    expect(beyond.body.error.message).toMatch(
      /^expiresAt: must not be later than/,
    );
    const earlier = await api('post', '/instances/default/e-ext/expiry')
      .send({ expiresAt: inDays(19) })
      .expect(400);
    expect(earlier.body.error.message).toBe(
      `expiresAt: must be later than the current expiry ${later}`,
    );
    await api('post', '/instances/default/e-ext/expiry')
      .send({ expiresAt: 'soon' })
      .expect(400);
    // Someone outside team-a does not learn it exists; an admin may extend it.
    await api('post', '/instances/default/e-ext/expiry', 'bob')
      .send({ expiresAt: inDays(25) })
      .expect(404);
    await api('post', '/instances/default/e-ext/expiry', 'carol')
      .send({ expiresAt: inDays(25) })
      .expect(200);
    const stored = (await api('get', '/instances/default/e-ext').expect(200))
      .body;
    expect(Date.parse(stored.metadata.annotations[EXPIRES])).toBeGreaterThan(
      Date.parse(later),
    );
  });

  it('refuses to extend a VM without expiry or one being deleted', async () => {
    await create('e-plain', {}, 'fedora_small').expect(201);
    const plain = await api('post', '/instances/default/e-plain/expiry')
      .send({ expiresAt: inDays(2) })
      .expect(409);
    expect(plain.body.error.message).toContain('does not expire');
    await create('e-gone').expect(201);
    await api('delete', '/instances/default/e-gone').expect(202);
    const gone = await api('post', '/instances/default/e-gone/expiry')
      .send({ expiresAt: inDays(2) })
      .expect(409);
    expect(gone.body.error.message).toContain('is being deleted');
  });
});

function escape(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
