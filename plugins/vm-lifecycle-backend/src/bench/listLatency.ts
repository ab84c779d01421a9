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
import { DatabaseStore } from '../store/DatabaseStore';
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
  items: number;
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
   * Where the time of the unfiltered list goes, measured in-process without HTTP:
   * InstanceService.list (store query, memo lookups, sort, defensive copies) and JSON.stringify of
   * the answer (what express's res.json does).
   */
  breakdownMs: { serviceList: Summary; stringify: Summary };
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

  // Instances as the controller leaves them once Running: finalizer, one succeeded provision job, conditions.
  progress(
    `storing ${settings.instances} Running instances through DatabaseStore.create`,
  );
  const insertStarted = performance.now();
  const chunk = 500;
  for (let start = 0; start < settings.instances; start += chunk) {
    const batch: Array<Promise<unknown>> = [];
    for (let i = start; i < Math.min(settings.instances, start + chunk); i++) {
      batch.push(store.create(runningInstance(i, settings, names)));
    }
    await Promise.all(batch);
  }
  const insertMs = Math.round(performance.now() - insertStarted);
  progress(`stored in ${insertMs} ms`);

  const service = new InstanceService({
    store,
    events,
    templates: [],
    names,
    defaultNamespace: 'default',
  });
  const credentials = {
    $$type: '@backstage/BackstageCredentials',
    principal: { type: 'user', userEntityRef: 'user:default/bench-admin' },
  };
  const httpAuth = {
    credentials: async () => credentials,
    issueUserCookie: async () => ({
      expiresAt: new Date(Date.now() + 3600_000),
    }),
  } as unknown as HttpAuthService;
  const allowAll = async (requests: unknown[]) =>
    requests.map(() => ({ result: AuthorizeResult.ALLOW }));
  const permissions = {
    authorize: allowAll,
    authorizeConditional: allowAll,
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

  const queries = [
    '',
    `?requestedBy=${encodeURIComponent('user:default/bench-user-7')}`,
    `?owner=${encodeURIComponent('group:default/team-3')}`,
  ];
  const results: ListQueryFigures[] = [];
  try {
    for (const query of queries) {
      const first = await fetch(`${base}${query}`);
      const text = await first.text();
      if (!first.ok)
        throw new Error(
          `GET /instances${query} answered ${first.status}: ${text.slice(0, 300)}`,
        );
      const items = (JSON.parse(text) as { items: ComputeInstance[] }).items
        .length;
      for (let i = 0; i < 4; i++) await (await fetch(`${base}${query}`)).text();
      const times: number[] = [];
      for (let i = 0; i < settings.requests; i++) {
        const started = performance.now();
        const res = await fetch(`${base}${query}`);
        await res.text();
        times.push(Math.round((performance.now() - started) * 10) / 10);
      }
      const figures = {
        query: `GET /instances${decodeURIComponent(query)}`,
        items,
        responseKiB: Math.round(Buffer.byteLength(text) / 1024),
        latencyMs: summarize(times),
      };
      progress(
        `${figures.query}: ${items} items, ${figures.responseKiB} KiB, p50 ${figures.latencyMs.p50} ms, p95 ${figures.latencyMs.p95} ms`,
      );
      results.push(figures);
    }
  } finally {
    await new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
  const serviceList: number[] = [];
  const stringify: number[] = [];
  for (let i = 0; i < Math.min(50, settings.requests); i++) {
    let started = performance.now();
    const items = await service.list({});
    serviceList.push(round1(performance.now() - started));
    started = performance.now();
    JSON.stringify({ items });
    stringify.push(round1(performance.now() - started));
  }
  const breakdownMs = {
    serviceList: summarize(serviceList),
    stringify: summarize(stringify),
  };
  progress(
    `unfiltered list without HTTP: InstanceService.list p50 ${breakdownMs.serviceList.p50} ms, JSON.stringify p50 ${breakdownMs.stringify.p50} ms`,
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
) {
  const now = new Date().toISOString();
  const draft: ComputeInstance = {
    apiVersion: names.apiVersion,
    kind: 'ComputeInstance',
    metadata: {
      name: `vm-${String(i).padStart(5, '0')}`,
      namespace: 'default',
      uid: '',
      resourceVersion: '',
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
  return {
    metadata: {
      name: draft.metadata.name,
      namespace: draft.metadata.namespace,
      finalizers: draft.metadata.finalizers,
      annotations: draft.metadata.annotations,
    },
    spec: SPEC,
    status,
  };
}
