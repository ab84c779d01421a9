import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import permissionBackendPlugin from '@backstage/plugin-permission-backend';
import {
  AuthorizeResult,
  createPermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  vmAdminPermission,
  vmInstanceCreatePermission,
  vmInstanceReadPermission,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import request from 'supertest';
import {
  permissionPolicyModule,
  userInfoFactory,
} from '../__testUtils__/apiBackend';
import { VmLifecyclePermissionPolicy } from './policy';

// Basic permissions, so the permission backend takes them from a user request without a resourceRef.
const catalogRead = createPermission({
  name: 'catalog.location.read',
  attributes: { action: 'read' },
});
const catalogCreate = createPermission({
  name: 'catalog.entity.create',
  attributes: { action: 'create' },
});
/** Not ours although it looks like it: only the permissions vm-lifecycle registers are decided here. */
const lookalike = createPermission({
  name: 'vm-lifecycle.something-else',
  attributes: {},
});

/** A delegate that records what it was asked and answers per permission. */
class RecordingPolicy implements PermissionPolicy {
  readonly asked: string[] = [];
  constructor(private readonly answers: Record<string, AuthorizeResult>) {}
  async handle(
    query: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    this.asked.push(`${query.permission.name} ${user?.info.userEntityRef}`);
    return {
      result: this.answers[query.permission.name] ?? AuthorizeResult.DENY,
    } as PolicyDecision;
  }
}

const alice: PolicyQueryUser = {
  identity: {
    type: 'user',
    userEntityRef: 'user:default/alice',
    ownershipEntityRefs: ['user:default/alice'],
  },
  token: 't',
  credentials: mockCredentials.user('user:default/alice'),
  info: {
    userEntityRef: 'user:default/alice',
    ownershipEntityRefs: ['user:default/alice', 'group:default/team-a'],
  },
} as PolicyQueryUser;

describe('VmLifecyclePermissionPolicy', () => {
  it("hands every other plugin's permission to the delegate, unchanged, with the user", async () => {
    const delegate = new RecordingPolicy({
      'catalog.location.read': AuthorizeResult.ALLOW,
    });
    const policy = new VmLifecyclePermissionPolicy({
      adminGroups: [],
      delegate,
    });
    expect(await policy.handle({ permission: catalogRead }, alice)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(await policy.handle({ permission: catalogCreate }, alice)).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(await policy.handle({ permission: lookalike }, alice)).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(delegate.asked).toEqual([
      'catalog.location.read user:default/alice',
      'catalog.entity.create user:default/alice',
      'vm-lifecycle.something-else user:default/alice',
    ]);
  });

  it('decides its own permissions without asking the delegate', async () => {
    const delegate = new RecordingPolicy({
      'vm-lifecycle.admin': AuthorizeResult.ALLOW,
    });
    const policy = new VmLifecyclePermissionPolicy({
      adminGroups: ['group:default/platform-admins'],
      delegate,
    });
    expect(
      (await policy.handle({ permission: vmInstanceCreatePermission }, alice))
        .result,
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      (await policy.handle({ permission: vmAdminPermission }, alice)).result,
    ).toBe(AuthorizeResult.DENY);
    expect(
      (await policy.handle({ permission: vmInstanceReadPermission }, alice))
        .result,
    ).toBe(AuthorizeResult.CONDITIONAL);
    expect(delegate.asked).toEqual([]);
  });

  it('cannot be built without a delegate, from code or from config', () => {
    expect(
      () => new VmLifecyclePermissionPolicy({ adminGroups: [] } as any),
    ).toThrow(/needs a delegate policy/);
    expect(() =>
      VmLifecyclePermissionPolicy.fromConfig(new ConfigReader({}), {} as any),
    ).toThrow(/needs a delegate policy/);
  });

  it('answers through the permission backend: ours by its rules, the rest by the delegate', async () => {
    const delegate = new RecordingPolicy({
      'catalog.location.read': AuthorizeResult.ALLOW,
    });
    const { server } = await startTestBackend({
      features: [
        permissionBackendPlugin,
        mockServices.rootConfig.factory({
          data: { permission: { enabled: true } },
        }),
        userInfoFactory(),
        permissionPolicyModule(
          new VmLifecyclePermissionPolicy({ adminGroups: [], delegate }),
        ),
      ],
    });
    const res = await request(server)
      .post('/api/permission/authorize')
      .set('Authorization', mockCredentials.user.header('user:default/alice'))
      .send({
        items: [
          { id: '1', permission: catalogRead },
          { id: '2', permission: catalogCreate },
          { id: '3', permission: vmInstanceCreatePermission },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { id: '1', result: AuthorizeResult.ALLOW },
      { id: '2', result: AuthorizeResult.DENY },
      { id: '3', result: AuthorizeResult.ALLOW },
    ]);
    expect(delegate.asked).toEqual([
      'catalog.location.read user:default/alice',
      'catalog.entity.create user:default/alice',
    ]);
  });
});
