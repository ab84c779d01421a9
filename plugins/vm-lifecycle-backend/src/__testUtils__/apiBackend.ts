import { Server } from 'node:http';
import request from 'supertest';
import { Knex } from 'knex';
import {
  coreServices,
  createBackendModule,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  createAapSimulator,
  AapSimulator,
} from '@vm-selfservice/aap-simulator';
import {
  signalsServiceRef,
  SignalsService,
} from '@backstage/plugin-signals-node';
import { PermissionPolicy } from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { VmLifecyclePermissionPolicy } from '../permissions/policy';
import { vmLifecyclePlugin } from '../plugin';
import permissionBackendPlugin from '@backstage/plugin-permission-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';

export const AAP_TOKEN = 'aap-token-that-must-never-leak-4f1c9e';

/** Users of the tests and the groups they belong to. */
export const USERS: Record<string, string[]> = {
  'user:default/alice': ['group:default/team-a'],
  'user:default/dave': ['group:default/team-a'],
  'user:default/bob': ['group:default/team-b'],
  'user:default/carol': ['group:default/platform-admins'],
};

export const TEMPLATES = [
  {
    id: 'fedora_small',
    title: 'Small Fedora VM',
    defaults: {
      image: {
        sourceType: 'registry',
        sourceRef: 'quay.io/containerdisks/fedora:latest',
      },
      cores: 2,
      memoryGiB: 4,
      bootDisk: { sizeGiB: 20 },
      runStrategy: 'Always',
    },
    editableFields: [
      'cores',
      'memoryGiB',
      'bootDisk.sizeGiB',
      'runStrategy',
      'sshKey',
      'templateParameters',
    ],
  },
];

/** A template that says nothing about editable fields: nothing may be changed. */
export const LOCKED_TEMPLATE = {
  id: 'locked',
  title: 'Locked',
  defaults: {
    ...TEMPLATES[0].defaults,
    userDataSecretRef: { name: 'team-a-cloud-init' },
    templateParameters: '{"network":"prod-net"}',
  },
};

/** Opens sizes, disks, the SSH key and three declared parameters; its network parameter is fixed. */
export const PARAMETER_TEMPLATE = {
  id: 'with_params',
  title: 'With parameters',
  defaults: {
    ...TEMPLATES[0].defaults,
    templateParameters: '{"network":"prod-net"}',
  },
  editableFields: [
    'cores',
    'memoryGiB',
    'bootDisk.sizeGiB',
    'additionalDisks',
    'sshKey',
    'templateParameters',
  ],
  parameters: [
    { name: 'env', title: 'Environment', type: 'string', default: 'dev' },
    { name: 'replicas', title: 'Replicas', type: 'number' },
    { name: 'debug', title: 'Debug', type: 'boolean' },
  ],
};

/** The catalog's answer for the test USERS: a user owns what they and their groups own. */
export function userInfoFactory() {
  return createServiceFactory({
    service: coreServices.userInfo,
    deps: {},
    factory: () => ({
      async getUserInfo(credentials: any) {
        const ref = credentials.principal.userEntityRef;
        return {
          userEntityRef: ref,
          ownershipEntityRefs: [ref, ...(USERS[ref] ?? [])],
        };
      },
    }),
  });
}

/** The test USERS and their groups as catalog entities, for the owner check. */
export function catalogEntities(): Entity[] {
  const groups = new Map<string, string[]>();
  const entities: Entity[] = [];
  for (const [user, memberOf] of Object.entries(USERS)) {
    entities.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name: user.split('/')[1], namespace: 'default' },
      spec: { memberOf },
      relations: memberOf.map(g => ({ type: 'memberOf', targetRef: g })),
    });
    for (const g of memberOf) groups.set(g, [...(groups.get(g) ?? []), user]);
  }
  for (const [group, members] of groups) {
    entities.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: group.split('/')[1], namespace: 'default' },
      spec: { type: 'team', children: [] },
      relations: members.map(m => ({ type: 'hasMember', targetRef: m })),
    });
  }
  // Not an owner a VM can have: the owner check refuses it.
  entities.push({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'shop', namespace: 'default' },
    spec: { type: 'service', owner: 'group:default/team-a', lifecycle: 'dev' },
  });
  return entities;
}

/** Installs `policy` as the permission backend's policy. */
export function permissionPolicyModule(policy: PermissionPolicy) {
  return createBackendModule({
    pluginId: 'permission',
    moduleId: 'test-policy',
    register(reg) {
      reg.registerInit({
        deps: { policy: policyExtensionPoint },
        async init({ policy: extension }) {
          extension.setPolicy(policy);
        },
      });
    },
  });
}

/** Calls the plugin's REST API as `user:default/<user>` (alice unless said otherwise). */
export function apiCaller(server: Server) {
  return (
    method: 'get' | 'post' | 'patch' | 'delete',
    path: string,
    user = 'alice',
  ) =>
    request(server)
      [method](`/api/vm-lifecycle${path}`)
      .set(
        'Authorization',
        mockCredentials.user.header(`user:default/${user}`),
      );
}

/**
 * The real auth service marks a plugin's on-behalf-of token with the plugin as actor; the test-utils
 * mock drops the actor, so the permission backend would treat our conditional list query as a direct
 * user request and refuse it. This wrapper restores the actor, as the real service does.
 */
const httpAuthWithActors = createServiceFactory({
  service: coreServices.httpAuth,
  deps: { plugin: coreServices.pluginMetadata },
  factory: ({ plugin }) => {
    const inner = mockServices.httpAuth({ pluginId: plugin.getId() });
    const prefix = 'mock-service-token:';
    return {
      issueUserCookie: inner.issueUserCookie.bind(inner),
      async credentials(req: any, options?: any) {
        const token = String(req.headers.authorization ?? '').replace(
          /^Bearer /,
          '',
        );
        if (token.startsWith(prefix)) {
          const { obo, target } = JSON.parse(token.slice(prefix.length));
          if (obo && (!target || target === plugin.getId())) {
            return mockCredentials.user(obo, {
              actor: { subject: 'plugin:on-behalf-of' },
            }) as any;
          }
        }
        return inner.credentials(req, options);
      },
    };
  },
});

/** Every log line of every plugin, to check that no secret is ever logged. */
export class RecordingLogger implements LoggerService {
  constructor(readonly lines: string[] = []) {}
  private record(level: string, message: string, meta?: unknown) {
    this.lines.push(
      `${level} ${message} ${meta === undefined ? '' : JSON.stringify(meta, Object.getOwnPropertyNames(meta as object))}`,
    );
  }
  error(message: string, meta?: Error | object) {
    this.record('error', message, meta);
  }
  warn(message: string, meta?: Error | object) {
    this.record('warn', message, meta);
  }
  info(message: string, meta?: Error | object) {
    this.record('info', message, meta);
  }
  debug(message: string, meta?: Error | object) {
    this.record('debug', message, meta);
  }
  child(): LoggerService {
    return this;
  }
}

/**
 * The real plugin in a test backend, with the real permission backend running our policy, the
 * real auditor service contract mocked for assertions, signals captured, and AAP simulated over HTTP.
 */
export interface ApiBackend {
  server: Server;
  sim: AapSimulator;
  published: Array<{ channel: string; message: any; recipients: any }>;
  auditEvents: Array<{
    eventId: string;
    outcome: 'success' | 'fail';
    meta?: unknown;
    error?: string;
  }>;
  logger: RecordingLogger;
  stop(): Promise<void>;
}

export interface ApiBackendOptions {
  /** Keys laid over the vmLifecycle config (templates, rateLimit, ...). */
  vmLifecycle?: Record<string, unknown>;
  /** Where the plugin reaches AAP, given the simulator's URL (e.g. through a proxy in the test). */
  aapUrl?: (simulatorUrl: string) => string | Promise<string>;
  durations?: { provisionMs: number; deprovisionMs: number };
  /** Opens the EDA callback route with this token (the provider stays AAP Direct). */
  edaCallbackToken?: string;
  /** The plugin's database (e.g. PostgreSQL, or one shared by several backends); SQLite otherwise. */
  knex?: Knex;
}

export async function startApiBackend(
  options: ApiBackendOptions = {},
): Promise<ApiBackend> {
  const sim: AapSimulator = createAapSimulator({
    token: AAP_TOKEN,
    durations: options.durations ?? { provisionMs: 800, deprovisionMs: 200 },
    queueDelayMs: 20,
  });
  const { url: simUrl } = await sim.listen(0, '127.0.0.1');
  const url = options.aapUrl ? await options.aapUrl(simUrl) : simUrl;
  const published: Array<{ channel: string; message: any; recipients: any }> =
    [];
  const signals: SignalsService = {
    publish: async signal => {
      published.push(signal as any);
    },
  };
  const logger = new RecordingLogger();
  const auditor = mockServices.auditor.mock();
  const auditEvents: Array<{
    eventId: string;
    outcome: 'success' | 'fail';
    meta?: unknown;
    error?: string;
  }> = [];
  auditor.createEvent.mockImplementation(async event => ({
    success: async o => {
      auditEvents.push({
        eventId: event.eventId,
        outcome: 'success',
        meta: o?.meta ?? event.meta,
      });
    },
    fail: async o => {
      auditEvents.push({
        eventId: event.eventId,
        outcome: 'fail',
        meta: o.meta ?? event.meta,
        error: o.error.message,
      });
    },
  }));

  const backend = await startTestBackend({
    features: [
      vmLifecyclePlugin,
      permissionBackendPlugin,
      httpAuthWithActors,
      permissionPolicyModule(
        new VmLifecyclePermissionPolicy({
          adminGroups: ['group:default/platform-admins'],
          delegate: {
            handle: async () => ({ result: AuthorizeResult.DENY }),
          },
        }),
      ),
      createServiceFactory({
        service: signalsServiceRef,
        deps: {},
        factory: () => signals,
      }),
      createServiceFactory({
        service: coreServices.rootLogger,
        deps: {},
        factory: () => logger as any,
      }),
      auditor.factory,
      userInfoFactory(),
      ...(options.knex
        ? [mockServices.database.factory({ knex: options.knex })]
        : []),
      catalogServiceMock.factory({ entities: catalogEntities() }),
      mockServices.rootConfig.factory({
        data: {
          permission: { enabled: true },
          vmLifecycle: {
            adminGroups: ['group:default/platform-admins'],
            provider: {
              aap: { baseUrl: `${url}/api/controller/v2`, token: AAP_TOKEN },
              ...(options.edaCallbackToken
                ? {
                    eda: {
                      provisionUrl: `${url}/eda/provision`,
                      deprovisionUrl: `${url}/eda/deprovision`,
                      auth: { type: 'token', token: 'unused-stream-token' },
                      callbackToken: options.edaCallbackToken,
                    },
                  }
                : {}),
            },
            controller: {
              pollInterval: { milliseconds: 100 },
              resyncInterval: { seconds: 2 },
            },
            templates: TEMPLATES,
            ...options.vmLifecycle,
          },
        },
      }),
    ],
  });
  return {
    server: backend.server,
    sim,
    published,
    auditEvents,
    logger,
    async stop() {
      await backend.stop();
      await sim.close();
    },
  };
}
