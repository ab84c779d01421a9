import { waitFor } from '../../__testUtils__/waitFor';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  AapSimulatorOptions,
  createAapSimulator,
} from '@vm-selfservice/aap-simulator';
import { KubeTestApiServerOptions } from '@internal/kube-test-apiserver';
import {
  ComputeInstance,
  ComputeInstanceSpec,
  apiGroupNames,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { AapClient } from '../../aap/AapClient';
import { Controller, ControllerOptions } from '../../controller/controller';
import { AapDirectProvider } from '../../providers/AapDirectProvider';
import { KubernetesStore } from '../../store/KubernetesStore';
import { sampleSpec } from '../../__testUtils__/harness';
import {
  ClusterComponents,
  createClusterComponents,
} from '../createClusterComponents';
import { startKubeTestCluster } from './kubeTestCluster';

export const SIM_TOKEN = 'cluster-integration-token';
export const NS = 'default';

export interface ClusterEnvOptions {
  sim?: AapSimulatorOptions;
  kube?: KubeTestApiServerOptions;
  /** Playbooks create KubeVirt VMs in the test API server (default true; false: the simulator's inventory). */
  kubevirt?: boolean;
}

/**
 * Cluster mode end to end: the kube test API server (CRD from deploy/, KubeVirt resources), the AAP
 * simulator over HTTP creating its VMs as KubeVirt objects in that server, and controller replicas
 * built from createClusterComponents exactly as plugin.ts builds them.
 */
export async function createClusterEnv(options: ClusterEnvOptions = {}) {
  const kubevirt = options.kubevirt ?? true;
  const { server: kube, kubeConfig } = await startKubeTestCluster({
    kubevirt,
    ...options.kube,
  });
  const names = apiGroupNames();
  const sim = createAapSimulator({
    token: SIM_TOKEN,
    durations: { provisionMs: 1200, deprovisionMs: 300 },
    queueDelayMs: 50,
    ...(kubevirt
      ? { kubevirt: { apiServerUrl: kube.url, apiGroup: names.group } }
      : {}),
    ...options.sim,
  });
  const { url } = await sim.listen(0, '127.0.0.1');
  // The test's own client, as the portal's REST API would be: creates and deletes instances.
  const store = await KubernetesStore.create({ kubeConfig: kubeConfig() });
  const replicas: Array<{
    controller: Controller;
    components: ClusterComponents;
    stopped: boolean;
  }> = [];

  async function newReplica(
    o: {
      identity?: string;
      crashOnStop?: boolean;
      leaderElection?: boolean;
      controller?: Partial<ControllerOptions>;
    } = {},
  ) {
    const config = new ConfigReader({
      vmLifecycle: {
        kubernetes: {
          leaderElection: {
            enabled: o.leaderElection ?? true,
            leaseNamespace: 'vm-lifecycle',
            leaseDuration: { milliseconds: 1000 },
            renewDeadline: { milliseconds: 600 },
            retryPeriod: { milliseconds: 100 },
          },
        },
      },
    });
    const components = await createClusterComponents({
      config,
      logger: mockServices.logger.mock(),
      apiGroup: names.group,
      kubeConfig: kubeConfig(),
      leaseOverrides: { identity: o.identity, releaseOnStop: !o.crashOnStop },
    });
    const client = new AapClient({
      baseUrl: `${url}/api/controller/v2`,
      token: SIM_TOKEN,
      retryBaseDelayMs: 20,
      timeoutMs: 5000,
    });
    const controller = new Controller({
      store: components.store,
      provider: new AapDirectProvider({ client }),
      events: components.events,
      names,
      logger: mockServices.logger.mock(),
      pollIntervalMs: 100,
      workers: 8,
      resyncIntervalMs: 1000,
      retryBackoff: { baseMs: 200, maxMs: 1000 },
      configErrorRetryMs: 500,
      leaderElector: components.leaderElector,
      ...o.controller,
    });
    const replica = { controller, components, stopped: false };
    replicas.push(replica);
    return replica;
  }

  async function stopReplica(replica: (typeof replicas)[number]) {
    if (replica.stopped) return;
    replica.stopped = true;
    await replica.controller.stop();
    await replica.components.close();
  }

  return {
    kube,
    kubeConfig,
    sim,
    store,
    names,
    newReplica,
    stopReplica,
    waitFor,
    create(
      name: string,
      spec: Partial<ComputeInstanceSpec> = {},
    ): Promise<ComputeInstance> {
      return store.create({
        metadata: { name, namespace: NS },
        spec: sampleSpec(spec),
      });
    },
    waitForPhase(name: string, phase: string, timeoutMs?: number) {
      return waitFor(
        `${name} to reach ${phase}`,
        async () => {
          const obj = await store.get(NS, name);
          return obj?.status.phase === phase ? obj : undefined;
        },
        timeoutMs,
      );
    },
    waitGone(name: string, timeoutMs?: number) {
      return waitFor(
        `${name} to be gone`,
        async () => !(await store.get(NS, name)),
        timeoutMs,
      );
    },
    simJobsOf(name: string) {
      return sim.jobs().filter(j => j.instance?.name === name);
    },
    /** What OSAC's e2e counts: virtualmachines carrying the instance label. */
    labelledVms(name: string) {
      return kube
        .objects('virtualmachines', { group: 'kubevirt.io' })
        .filter(vm => vm.metadata.labels?.[names.instanceLabel] === name);
    },
    async close() {
      for (const replica of replicas) await stopReplica(replica);
      await store.close();
      await sim.close();
      await kube.close();
    },
  };
}

export type ClusterEnv = Awaited<ReturnType<typeof createClusterEnv>>;
