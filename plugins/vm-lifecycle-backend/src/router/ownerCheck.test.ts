import {
  apiCaller,
  ApiBackend,
  startApiBackend,
} from '../__testUtils__/apiBackend';

jest.setTimeout(60_000);

const OWNER = 'osac.openshift.io/owner';

/*
 * A VM's owner is checked against the catalog when it is requested: an existing Group or User, one
 * the caller is or belongs to unless the caller is an admin. Otherwise 422 naming the annotation,
 * and nothing is stored.
 */
describe('owner check at request time', () => {
  let backend: ApiBackend;
  let call: ReturnType<typeof apiCaller>;

  beforeAll(async () => {
    backend = await startApiBackend();
    call = apiCaller(backend.server);
  });
  afterAll(async () => {
    await backend.stop();
  });

  const request = (name: string, owner: string, user = 'alice') =>
    call('post', '/instances', user).send({
      metadata: { name, annotations: { [OWNER]: owner } },
      spec: { templateID: 'fedora_small' },
    });

  const stored = async (name: string) =>
    (await call('get', `/instances/default/${name}`, 'carol')).status;

  it('accepts a group the caller belongs to', async () => {
    const res = await request('own-group', 'group:default/team-a');
    expect(res.status).toBe(201);
    expect(res.body.metadata.annotations[OWNER]).toBe('group:default/team-a');
  });

  it('accepts the caller themselves as owner', async () => {
    const res = await request('own-user', 'user:default/alice');
    expect(res.status).toBe(201);
  });

  it('refuses a group the caller is not a member of, and stores nothing', async () => {
    const res = await request('foreign-group', 'group:default/team-b');
    expect(res.status).toBe(422);
    expect(res.body.error.message).toBe(
      'metadata.annotations["osac.openshift.io/owner"]: user:default/alice is not a member of group:default/team-b; a VM can be given only to a group you are a member of',
    );
    expect(await stored('foreign-group')).toBe(404);
  });

  it('refuses another user as owner', async () => {
    const res = await request('other-user', 'user:default/bob');
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain('is another user');
    expect(await stored('other-user')).toBe(404);
  });

  it('refuses an owner missing from the catalog, and stores nothing', async () => {
    const res = await request('no-such-owner', 'group:default/ghosts');
    expect(res.status).toBe(422);
    expect(res.body.error.message).toBe(
      'metadata.annotations["osac.openshift.io/owner"]: there is no Group or User group:default/ghosts in the catalog',
    );
    expect(await stored('no-such-owner')).toBe(404);
  });

  it('refuses an entity that is neither a Group nor a User', async () => {
    const res = await request('component-owner', 'component:default/shop');
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain(
      'is a Component; the owner of a VM must be a Group or User',
    );
    expect(await stored('component-owner')).toBe(404);
  });

  it('lets an admin give a VM to any existing group, but not to a missing one', async () => {
    const res = await request('admin-gift', 'group:default/team-b', 'carol');
    expect(res.status).toBe(201);
    expect(res.body.metadata.annotations[OWNER]).toBe('group:default/team-b');
    const missing = await request(
      'admin-ghost',
      'group:default/ghosts',
      'carol',
    );
    expect(missing.status).toBe(422);
    expect(await stored('admin-ghost')).toBe(404);
  });

  it('records the component a VM belongs to', async () => {
    const res = await call('post', '/instances').send({
      metadata: {
        name: 'with-component',
        annotations: {
          [OWNER]: 'group:default/team-a',
          'osac.openshift.io/component': 'shop',
        },
      },
      spec: { templateID: 'fedora_small' },
    });
    expect(res.status).toBe(201);
    expect(res.body.metadata.annotations['osac.openshift.io/component']).toBe(
      'component:default/shop',
    );
  });
});
