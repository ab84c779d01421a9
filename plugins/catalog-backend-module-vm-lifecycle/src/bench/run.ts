/* eslint-disable no-console */
/**
 * Benchmark of the vm-lifecycle entity provider (issue 14 targets):
 * - a full mutation of N VMs (default 10,000) within 30 s, holding no more than one copy of the
 *   entity list (the heap when the catalog receives the mutation is compared with the sizes of one
 *   instance list and one entity list);
 * - a store write reaching the catalog entity within 5 s: through this replica's store, and, on
 *   PostgreSQL, from another replica's store through the change feed.
 *
 * Real DatabaseStore (SQLite in memory, or PostgreSQL with --store postgres), the real provider
 * and instance feed; the catalog connection records the mutations.
 *
 *   npm --workspace @vm-selfservice/plugin-catalog-backend-module-vm-lifecycle run bench -- [--instances N] [--writes N] [--store sqlite|postgres]
 */
import { performance } from 'node:perf_hooks';
import knexFactory from 'knex';
import {
  DeferredEntity,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import {
  apiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  InstanceFeed,
  readInstanceLinks,
} from '@vm-selfservice/plugin-vm-lifecycle-node';
// The benchmark drives the plugin's real store.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { DatabaseStore } from '../../../vm-lifecycle-backend/src/store/DatabaseStore';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { openBenchDatabase } from '../../../vm-lifecycle-backend/src/bench/database';
import { VmInstanceEntityProvider } from '../VmInstanceEntityProvider';
import { instanceToEntity } from '../instanceToEntity';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const INSTANCES = Number(arg('instances', '10000'));
const WRITES = Number(arg('writes', '20'));
const STORE = arg('store', 'sqlite') as 'sqlite' | 'postgres';

const names = apiGroupNames();
const links = readInstanceLinks(
  new ConfigReader({ app: { baseUrl: 'http://portal.test' } }),
);
const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const mb = (n: number) => `${n.toFixed(1)} MB`;

function runningInstance(i: number) {
  return {
    metadata: {
      name: `vm-${String(i).padStart(5, '0')}`,
      namespace: `team-${i % 20}`,
      finalizers: [names.finalizer],
      annotations: {
        [names.requestedByAnnotation]: `user:default/user-${i % 200}`,
        [names.ownerAnnotation]: `group:default/team-${i % 20}`,
        [names.componentAnnotation]: `component:default/service-${i % 500}`,
      },
    },
    spec: {
      templateID: 'fedora_small',
      image: { sourceType: 'registry' as const, sourceRef: 'quay.io/f:40' },
      cores: 2,
      memoryGiB: 4,
      bootDisk: { sizeGiB: 20 },
      runStrategy: 'Always' as const,
    },
    status: {
      phase: 'Running' as const,
      ipAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      provisioningJobs: [
        {
          jobID: String(1000 + i),
          type: 'provision' as const,
          timestamp: '2026-01-01T10:00:00.000Z',
          state: 'Succeeded' as const,
          message: 'ok',
          configVersion: 'v1',
          blockDeletionOnFailure: false,
        },
      ],
    },
  };
}

const quietLogger: LoggerService = {
  error: m => console.error(m),
  warn: m => console.error(m),
  info: () => {},
  debug: () => {},
  child: () => quietLogger,
};

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function main() {
  console.log(
    `vm-lifecycle entity provider benchmark: ${INSTANCES} VMs, ${WRITES} timed writes, store ${STORE}, node ${process.version}${gc ? '' : ' (run with --expose-gc for the memory figures)'}`,
  );
  const db = await openBenchDatabase(STORE);
  // A second connection pool to the same database, as another replica has.
  const second = db.url
    ? knexFactory({ client: 'pg', connection: db.url })
    : undefined;
  try {
    const store = await DatabaseStore.create({ knex: db.knex });
    const seedStarted = performance.now();
    for (let start = 0; start < INSTANCES; start += 500) {
      const batch: Array<Promise<unknown>> = [];
      for (let i = start; i < Math.min(INSTANCES, start + 500); i++) {
        batch.push(store.create(runningInstance(i)));
      }
      await Promise.all(batch);
    }
    console.log(
      `stored ${INSTANCES} VMs in ${Math.round(performance.now() - seedStarted)} ms (${db.description})`,
    );

    // The store's own memory (rows, parsed objects) is there before and after: warm it, then measure.
    await store.list();
    const before = heapMb();

    const feed = new InstanceFeed();
    feed.connect({
      list: () => store.list(),
      get: (ns, n) => store.get(ns, n),
      watch: l => store.watch(l),
    });
    const mutations: Array<{ at: number; mutation: EntityProviderMutation }> =
      [];
    let heldAtFull = 0;
    const provider = new VmInstanceEntityProvider({
      instances: feed,
      names,
      links,
      logger: quietLogger,
      // The benchmark starts the full mutation itself.
      taskRunner: { run: async () => {} },
    });
    await provider.connect({
      applyMutation: async mutation => {
        if (mutation.type === 'full') heldAtFull = heapMb() - before;
        mutations.push({ at: performance.now(), mutation });
      },
      refresh: async () => {},
    });

    const fullStarted = performance.now();
    const { entities: count } = await provider.fullMutation();
    const fullMs = performance.now() - fullStarted;
    mutations.length = 0;
    console.log(
      `full mutation: ${count} entities in ${Math.round(fullMs)} ms (target <= 30000 ms)`,
    );
    // For comparison, after the mutation: one list of instances and one of entities.
    const idle = heapMb();
    const lists: {
      instances?: ComputeInstance[];
      entities?: DeferredEntity[];
    } = { instances: await store.list() };
    const oneInstanceList = heapMb() - idle;
    lists.entities = lists.instances!.map(instance => ({
      entity: instanceToEntity(instance, {
        names,
        links,
        locationRef: 'bench',
      }),
      locationKey: 'bench',
    }));
    const both = heapMb() - idle;
    delete lists.instances;
    const oneEntityList = heapMb() - idle;
    delete lists.entities;
    if (gc) {
      console.log(
        `memory: heap held when the catalog got the full mutation ${mb(heldAtFull)}; one instance list ${mb(oneInstanceList)}, one entity list ${mb(oneEntityList)}, both lists ${mb(both)} (target: no more than one entity list plus the store's rows)`,
      );
    }

    // Write-to-entity latency: phase changes, one at a time, until the entity shows the new phase.
    const seen = (name: string, phase: string, since: number) =>
      mutations.find(
        m =>
          m.at >= since &&
          m.mutation.type === 'delta' &&
          m.mutation.added.some(
            d =>
              d.entity.metadata.name === name &&
              d.entity.metadata.labels?.[`${names.group}/phase`] === phase,
          ),
      );
    const measure = async (
      label: string,
      writer: DatabaseStore,
    ): Promise<void> => {
      const latencies: number[] = [];
      for (let w = 0; w < WRITES; w++) {
        const i = (w * 7919) % INSTANCES;
        const name = `vm-${String(i).padStart(5, '0')}`;
        const current = (await writer.get(`team-${i % 20}`, name))!;
        const phase =
          current.status.phase === 'Stopped' ? 'Running' : 'Stopped';
        const started = performance.now();
        await writer.updateStatus({
          ...current,
          status: { ...current.status, phase },
        });
        const deadline = started + 30_000;
        let hit = seen(name, phase, started);
        while (!hit) {
          if (performance.now() > deadline) {
            throw new Error(`${label}: no entity change within 30 s`);
          }
          await new Promise(r => setTimeout(r, 5));
          hit = seen(name, phase, started);
        }
        latencies.push(hit.at - started);
      }
      latencies.sort((a, b) => a - b);
      console.log(
        `store write -> catalog entity (${label}): p50 ${Math.round(percentile(latencies, 0.5))} ms, p95 ${Math.round(percentile(latencies, 0.95))} ms, max ${Math.round(latencies[latencies.length - 1])} ms over ${WRITES} writes (target <= 5000 ms)`,
      );
    };
    await measure('write through this replica', store);
    if (second) {
      // Another replica's store on the same database: its writes reach this one through the change feed.
      const other = await DatabaseStore.create({
        knex: second,
        skipMigrations: true,
      });
      await measure('write through another replica', other);
      await other.close();
    }
    await provider.close();
    await store.close();
  } finally {
    await second?.destroy();
    await db.destroy();
  }
}

main().then(
  () => process.exit(0),
  e => {
    console.error(e);
    process.exit(1);
  },
);
