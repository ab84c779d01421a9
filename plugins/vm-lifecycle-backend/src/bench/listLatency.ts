import { randomUUID } from 'node:crypto';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  apiGroupNames,
  ComputeInstance,
  ComputeInstanceList,
  ComputeInstanceSpec,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import express from 'express';
import { Knex } from 'knex';
import {
  deriveConditions,
  desiredConfigVersion,
  phaseFor,
} from '../controller/status';
import { DatabaseEventStore } from '../events/DatabaseEventStore';
import { createInstanceRules } from '../permissions/rules';
import { createRouter } from '../router/createRouter';
import { InstanceService } from '../service/InstanceService';
import { DatabaseStore, instanceToRow } from '../store/DatabaseStore';
import { INSTANCES_TABLE } from '../store/migrations';
import { BenchLogger } from './scenario';
import { round1, summarize, Summary } from './stats';

export interface ListLatencySettings {
  instances: number;
  requests: number;
  /** Distinct requesters and owner groups the instances are spread over. */
  users: number;
  groups: number;
}

export interface ListQueryFigures {
  query: string;
  /** Who asks: an admin (ALLOW), or a caller whose permission is conditional. */
  caller: string;
  items: number;
  remainingItemCount: number;
  responseKiB: number;
  latencyMs: Summary;
}

export interface ListLatencyResult {
  store: string;
  instances: number;
  requests: number;
  insertMs: number;
  queries: ListQueryFigures[];
  /**
   * Where the time of the unfiltered first page goes, measured in-process without HTTP:
   * InstanceService.listPage (the store's query, the count, parsing) and JSON.stringify of the
   * answer (what express's res.json does).
   */
  breakdownMs: { servicePage: Summary; stringify: Summary };
}

const SPEC: ComputeInstanceSpec = {
  templateID: 'fedora_small',
  image: {
    sourceType: 'registry',
    sourceRef: 'quay.io/containerdisks/fedora:latest',
  },
  cores: 2,
  memoryGiB: 4,
  bootDisk: { sizeGiB: 20 },
  runStrategy: 'Always',
};

/**
 * GET /instances through the plugin's real router, InstanceService and DatabaseStore, over HTTP,
 * with a user whom the permission framework ALLOWs everything (an admin: the whole list comes back).
 * Authentication and permissions are stubs that answer at once, so the figures are the plugin's own.
 */
export async function runListLatency(
  settings: ListLatencySettings,
  deps: {
    knex: Knex;
    storeDescription: string;
    progress?: (line: string) => void;
  },
): Promise<ListLatencyResult> {
  const progress = (line: string) => deps.progress?.(`[list] ${line}`);
  const names = apiGroupNames();
  const logger = new BenchLogger();
  const store = await DatabaseStore.create({ knex: deps.knex, logger });
  const events = await DatabaseEventStore.create({
    knex: deps.knex,
    skipMigrations: true,
  });

  // Instances as the controller leaves them once Running (finalizer, one succeeded provision job,
  // conditions), written as rows in bulk: storing 100,000 through the store's create would measure
  // the write path, which the scenarios do, and take minutes.
  progress(`storing ${settings.instances} Running instances (bulk rows)`);
  const insertStarted = performance.now();
  const rows = (start: number, end: number) => {
    const out = [];
    for (let i = start; i < end; i++)
      out.push(instanceToRow(runningInstance(i, settings, names), names));
    return out;
  };
  const chunk = 500;
  for (let start = 0; start < settings.instances; start += chunk) {
    await deps.knex
      .batchInsert(
        INSTANCES_TABLE,
        rows(start, Math.min(settings.instances, start + chunk)),
        chunk,
      )
      .then(() => undefined);
  }
  // What autovacuum does to a table after this many inserts (PostgreSQL 13 and later vacuum on
  // inserts too); without it an index-only scan still visits every heap page it counts.
  if (deps.knex.client.config.client === 'pg')
    await deps.knex.raw(`VACUUM ANALYZE ${INSTANCES_TABLE}`);
  const insertMs = Math.round(performance.now() - insertStarted);
  progress(`stored in ${insertMs} ms`);

  const service = new InstanceService({
    store,
    events,
    templates: [],
    names,
    defaultNamespace: 'default',
  });
  // The caller is named by a header: an admin whom the policy ALLOWs everything, or a user whose
  // read permission is conditional (IS_REQUESTER), so the permission filter runs in the query.
  const callerOf = (req: { headers: Record<string, unknown> }) =>
    String(req.headers['x-bench-caller'] ?? 'admin');
  const httpAuth = {
    credentials: async (req: { headers: Record<string, unknown> }) => ({
      $$type: '@backstage/BackstageCredentials',
      principal: {
        type: 'user',
        userEntityRef: `user:default/${callerOf(req)}`,
      },
    }),
    issueUserCookie: async () => ({
      expiresAt: new Date(Date.now() + 3600_000),
    }),
  } as unknown as HttpAuthService;
  const decide = (requests: unknown[], options: { credentials: any }) => {
    const user: string = options.credentials.principal.userEntityRef;
    return Promise.resolve(
      requests.map(() =>
        user === 'user:default/admin'
          ? { result: AuthorizeResult.ALLOW }
          : {
              result: AuthorizeResult.CONDITIONAL,
              pluginId: 'vm-lifecycle',
              resourceType: 'vm-lifecycle-instance',
              conditions: {
                rule: 'IS_REQUESTER',
                resourceType: 'vm-lifecycle-instance',
                params: { userEntityRef: user },
              },
            },
      ),
    );
  };
  const permissions = {
    authorize: decide,
    authorizeConditional: decide,
  } as unknown as PermissionsService;
  const auditor = {
    createEvent: async () => ({
      success: async () => {},
      fail: async () => {},
    }),
  } as unknown as AuditorService;
  const router = await createRouter({
    logger,
    service,
    httpAuth,
    permissions,
    auditor,
    rules: createInstanceRules(names),
  });
  const app = express();
  app.use('/api/vm-lifecycle', router);
  const server: Server = await new Promise(resolve => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/vm-lifecycle/instances`;

  const get = async (query: string, caller: string) => {
    const res = await fetch(`${base}${query}`, {
      headers: { 'x-bench-caller': caller },
    });
    const text = await res.text();
    if (!res.ok)
      throw new Error(
        `GET /instances${query} as ${caller} answered ${res.status}: ${text.slice(0, 300)}`,
      );
    return { text, page: JSON.parse(text) as ComputeInstanceList };
  };
  // A page in the middle of the list, reached the way a client does: by following tokens.
  const middle = Math.floor(settings.instances / 2 / 100);
  let token: string | undefined;
  for (let i = 0; i < middle; i++) {
    const { page } = await get(
      `?limit=100${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
      'admin',
    );
    token = page.metadata.continue;
    if (!token) break;
  }
  const owner = encodeURIComponent('group:default/team-3');
  const queries: Array<{ query: string; caller: string; label?: string }> = [
    { query: '', caller: 'admin' },
    { query: '?limit=100', caller: 'admin' },
    { query: `?limit=100&owner=${owner}`, caller: 'admin' },
    {
      query: `?limit=100&requestedBy=${encodeURIComponent('user:default/bench-user-7')}`,
      caller: 'admin',
    },
    {
      query: '?limit=100&sort=creationTimestamp&order=desc',
      caller: 'admin',
    },
    { query: '?limit=100&search=0042', caller: 'admin' },
    { query: '?limit=100&phase=Failed', caller: 'admin' },
    ...(token
      ? [
          {
            query: `?limit=100&continue=${encodeURIComponent(token)}`,
            caller: 'admin',
            label: `GET /instances?limit=100&continue=<token of page ${middle + 1}>`,
          },
        ]
      : []),
    { query: '?limit=100', caller: 'bench-user-7' },
    { query: '?limit=100', caller: 'stranger' },
  ];
  const results: ListQueryFigures[] = [];
  try {
    for (const { query, caller, label } of queries) {
      const { text, page } = await get(query, caller);
      for (let i = 0; i < 4; i++) await get(query, caller);
      const times: number[] = [];
      for (let i = 0; i < settings.requests; i++) {
        const started = performance.now();
        await get(query, caller);
        times.push(Math.round((performance.now() - started) * 10) / 10);
      }
      const figures: ListQueryFigures = {
        query: label ?? `GET /instances${decodeURIComponent(query)}`,
        caller:
          caller === 'admin' ? 'admin (ALLOW)' : `${caller} (IS_REQUESTER)`,
        items: page.items.length,
        remainingItemCount: page.metadata.remainingItemCount,
        responseKiB: Math.round(Buffer.byteLength(text) / 1024),
        latencyMs: summarize(times),
      };
      progress(
        `${figures.query} as ${figures.caller}: ${figures.items} items (+${figures.remainingItemCount}), ${figures.responseKiB} KiB, p50 ${figures.latencyMs.p50} ms, p95 ${figures.latencyMs.p95} ms`,
      );
      results.push(figures);
    }
  } finally {
    await new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
  const servicePage: number[] = [];
  const stringify: number[] = [];
  for (let i = 0; i < Math.min(50, settings.requests); i++) {
    let started = performance.now();
    const page = await service.listPage({ limit: 100 }, { kind: 'all' });
    servicePage.push(round1(performance.now() - started));
    started = performance.now();
    JSON.stringify(page);
    stringify.push(round1(performance.now() - started));
  }
  const breakdownMs = {
    servicePage: summarize(servicePage),
    stringify: summarize(stringify),
  };
  progress(
    `first page without HTTP: InstanceService.listPage p50 ${breakdownMs.servicePage.p50} ms, JSON.stringify p50 ${breakdownMs.stringify.p50} ms`,
  );

  return {
    store: deps.storeDescription,
    instances: settings.instances,
    requests: settings.requests,
    insertMs,
    queries: results,
    breakdownMs,
  };
}

function runningInstance(
  i: number,
  settings: ListLatencySettings,
  names: ReturnType<typeof apiGroupNames>,
): ComputeInstance {
  // Distinct creation times, a millisecond apart, so the creation-time order is a real one.
  const now = new Date(Date.UTC(2026, 0, 1) + i).toISOString();
  const draft: ComputeInstance = {
    apiVersion: names.apiVersion,
    kind: 'ComputeInstance',
    metadata: {
      name: `vm-${String(i).padStart(6, '0')}`,
      namespace: 'default',
      uid: randomUUID(),
      resourceVersion: String(i + 1),
      generation: 1,
      creationTimestamp: now,
      finalizers: [names.finalizer],
      labels: {},
      annotations: {
        [names.requestedByAnnotation]: `user:default/bench-user-${i % settings.users}`,
        [names.ownerAnnotation]: `group:default/team-${i % settings.groups}`,
      },
    },
    spec: SPEC,
    status: {},
  };
  const version = desiredConfigVersion(draft);
  const job: ProvisioningJob = {
    jobID: String(100_000 + i),
    type: 'provision',
    timestamp: now,
    state: 'Succeeded',
    message: `Launched job ${100_000 + i} from job template "osac-create-compute-instance" (id 10) to provision default/${draft.metadata.name}`,
    configVersion: version,
    blockDeletionOnFailure: false,
  };
  const withJob: ComputeInstance = {
    ...draft,
    status: { desiredConfigVersion: version, provisioningJobs: [job] },
  };
  const phase = phaseFor(withJob, version);
  const status = {
    ...withJob.status,
    phase,
    conditions: deriveConditions(withJob, version, phase, now),
  };
  return { ...withJob, status };
}
