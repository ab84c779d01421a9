import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwxApi } from './awxRouter';
import { FaultState } from './faults';
import { Inventory } from './inventory';
import { KubeVirtInventory } from './kubevirtInventory';
import { JobEngine } from './jobs';
import { createRandom } from './random';
import { RequestCounter } from './requestCounter';
import { Scheduler } from './scheduler';
import { createRequestHandler } from './server';
import {
  createPlaybookTargetClient,
  PlaybookTargetClient,
} from './edaPlaybookTarget';
import { TemplateCatalog } from './templates';
import type {
  AapSimulator,
  AapSimulatorOptions,
  EdaPlaybookTarget,
  SimFaults,
} from './types';

export const DEFAULT_TOKEN = 'sim-token';
export const DEFAULT_PROVISION_MS = 20_000;
export const DEFAULT_DEPROVISION_MS = 8_000;

export function createAapSimulator(
  options: AapSimulatorOptions = {},
): AapSimulator {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const seed = options.seed ?? 1;
  let random = createRandom(seed);
  // A stream of its own, so switching answer faults on does not change which jobs fail.
  let faultRandom = createRandom(seed + 1);

  const scheduler = new Scheduler();
  const inventory = new Inventory();
  const faults = new FaultState(() => faultRandom());
  const counter = new RequestCounter();
  const templates = new TemplateCatalog(options, new Date(now()).toISOString());
  const engine = new JobEngine({
    scheduler,
    inventory: options.kubevirt
      ? new KubeVirtInventory({ ...options.kubevirt, log })
      : inventory,
    now,
    random: () => random(),
    failureRate: () => faults.jobFailureRate,
    durations: {
      provisionMs: nonNegative(
        options.durations?.provisionMs,
        DEFAULT_PROVISION_MS,
      ),
      deprovisionMs: nonNegative(
        options.durations?.deprovisionMs,
        DEFAULT_DEPROVISION_MS,
      ),
    },
    queueDelayMs: options.queueDelayMs,
    log,
  });

  let playbookTarget: PlaybookTargetClient | undefined;
  const setEdaTarget = (target: EdaPlaybookTarget | undefined) => {
    playbookTarget = target
      ? createPlaybookTargetClient(target, {
          delay: ms => scheduler.delay(ms),
        })
      : undefined;
  };
  setEdaTarget(options.edaTarget);

  const seenEventIds = new Map<string, Set<string>>();
  const faultSnapshot = (): SimFaults => ({
    ...faults.snapshot(),
    purgeJobs: engine.purgedIds(),
  });
  const setFaults = (update: SimFaults) => {
    faults.merge(update);
    if (update.purgeJobs?.length) engine.purge(update.purgeJobs);
  };
  const reset = () => {
    engine.clear();
    inventory.clear();
    faults.reset();
    counter.reset();
    seenEventIds.clear();
    random = createRandom(seed);
    faultRandom = createRandom(seed + 1);
    log('simulator reset');
  };

  const token = options.token ?? DEFAULT_TOKEN;
  const handle = createRequestHandler({
    simToken: token,
    awx: new AwxApi({
      token,
      templates,
      engine,
      faults,
    }),
    eda: {
      streams: options.edaStreams ?? [],
      templates,
      engine,
      log,
      playbookTarget: () => playbookTarget,
      seenEventIds,
    },
    sim: {
      vms: () => inventory.list(),
      jobs: () => engine.infos(),
      faults: faultSnapshot,
      setFaults,
      reset,
      requestCounts: () => counter.snapshot(),
    },
    faults,
    scheduler,
    counter,
    log,
  });

  let server: Server | undefined;

  return {
    handle,
    async listen(port = 0, host = '127.0.0.1') {
      if (server) throw new Error('AAP simulator is already listening');
      const httpServer = createServer(handle);
      server = httpServer;
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      const address = httpServer.address() as AddressInfo;
      const url = `http://${urlHost(host)}:${address.port}`;
      log(`AAP simulator listening on ${url}`);
      return { url, port: address.port };
    },
    async close() {
      scheduler.clearAll();
      await engine.settle();
      const httpServer = server;
      server = undefined;
      if (!httpServer) return;
      await new Promise<void>(resolve => {
        httpServer.close(() => resolve());
        // Keep-alive sockets (fetch pools them) would otherwise hold close() open for seconds.
        httpServer.closeAllConnections();
      });
    },
    reset,
    setFaults,
    setEdaTarget,
    vms: () => inventory.list(),
    jobs: () => engine.infos(),
    requestCounts: () => counter.snapshot(),
  };
}

function nonNegative(value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : Math.max(0, value);
}

/** A wildcard bind address is not something a client can connect to; hand out loopback instead. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
