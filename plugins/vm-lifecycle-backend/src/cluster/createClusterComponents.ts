import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { apiGroupNames } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { ApisApi, KubeConfig } from '@kubernetes/client-node';
import {
  KubernetesLeaderElector,
  KubernetesLeaderElectorOptions,
} from '../controller/kubernetesLease';
import { LeaderElector, SoleLeader } from '../controller/leaderElection';
import { KubernetesEventStore } from '../events/KubernetesEventStore';
import { LifecycleEventStore } from '../events/types';
import { KubernetesStore } from '../store/KubernetesStore';
import { ComputeInstanceStore } from '../store/types';
import { ClusterSettings, readClusterSettings } from './config';
import { describeKubeError } from './kubeErrors';
import { buildKubeConfig } from './kubeConfig';
import { TimeoutKubeConfig } from './kubeRequestTimeout';
import { KubeVirtObserver } from './kubevirt/KubeVirtObserver';
import { KubeVirtStatusStore } from './kubevirt/KubeVirtStatusStore';
import { KubeVirtStatusSync } from './kubevirt/kubeVirtStatusSync';
import { withLeadershipHooks } from './leadershipHooks';

export interface ClusterComponents {
  /** ComputeInstance custom resources (with KubeVirt phase and IP when the cluster has KubeVirt). */
  store: ComputeInstanceStore;
  /** Lifecycle events as core/v1 Events on the instances. */
  events: LifecycleEventStore;
  /** A coordination.k8s.io/v1 Lease (or the sole leader when leader election is disabled). */
  leaderElector: LeaderElector;
  /** What the components resolved to, for the startup log and the health route. */
  settings: ClusterSettings & { kubevirtActive: boolean; server: string };
  /** Stops the informers; call after the controller stopped. */
  close(): Promise<void>;
}

export interface CreateClusterComponentsOptions {
  /** The root config (vmLifecycle.kubernetes, and kubernetes.clusterLocatorMethods for `backstage`). */
  config: Config;
  logger: LoggerService;
  apiGroup: string;
  /** For tests: a KubeConfig instead of the configured connection. */
  kubeConfig?: KubeConfig;
  /** For tests: the replica's identity, and `releaseOnStop: false` to stop like a crashed replica. */
  leaseOverrides?: Pick<
    KubernetesLeaderElectorOptions,
    'identity' | 'releaseOnStop'
  >;
}

/** Whether the API server serves kubevirt.io (discovery); any doubt means no. */
async function clusterHasKubeVirt(
  kc: KubeConfig,
  logger: LoggerService,
): Promise<boolean> {
  try {
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    return groups.groups.some(g => g.name === 'kubevirt.io');
  } catch (e) {
    logger.warn(
      `Could not discover API groups (${describeKubeError(e)}): assuming no KubeVirt`,
    );
    return false;
  }
}

/**
 * Everything cluster mode (vmLifecycle.store.type: kubernetes) swaps in for the database-backed
 * components. Fails at startup, with the reason, when the cluster cannot be reached or the CRD is
 * not installed.
 */
export async function createClusterComponents(
  options: CreateClusterComponentsOptions,
): Promise<ClusterComponents> {
  const { config, logger, apiGroup } = options;
  const settings = readClusterSettings(config);
  const kubeConfig = new TimeoutKubeConfig(
    options.kubeConfig ?? buildKubeConfig(settings, config),
    settings.requestTimeoutMs,
  );
  const server = kubeConfig.getCurrentCluster()?.server ?? '(unknown)';
  const names = apiGroupNames(apiGroup);

  let kubeStore: KubernetesStore;
  try {
    kubeStore = await KubernetesStore.create({
      kubeConfig,
      apiGroup,
      namespaces: settings.namespaces,
      logger: logger.child({ component: 'kubernetes-store' }),
    });
  } catch (e) {
    throw new Error(
      `Cluster mode: ${e instanceof Error ? e.message : e}. Is the CRD installed (kubectl apply -f deploy/crd.yaml) and may ${server} be read with these credentials (deploy/rbac.yaml)?`,
    );
  }

  const wantKubeVirt =
    settings.kubevirt === 'enabled' ||
    (settings.kubevirt === 'auto' &&
      (await clusterHasKubeVirt(kubeConfig, logger)));
  let observer: KubeVirtObserver | undefined;
  if (wantKubeVirt) {
    const candidate = new KubeVirtObserver({
      kubeConfig,
      names,
      namespaces: settings.namespaces,
      logger: logger.child({ component: 'kubevirt' }),
    });
    try {
      await candidate.start();
      observer = candidate;
    } catch (e) {
      if (settings.kubevirt === 'enabled') {
        await kubeStore.close();
        throw e;
      }
      // auto: KubeVirt is there, but these credentials may not read it. Degrade, loudly.
      logger.warn(
        `KubeVirt is installed but cannot be watched (${e instanceof Error ? e.message : e}): phase comes from the jobs. Grant list/watch on virtualmachines and virtualmachineinstances (deploy/rbac.yaml) or set vmLifecycle.kubernetes.kubevirt: disabled`,
      );
    }
  }
  const kubevirtActive = observer !== undefined;

  let store: ComputeInstanceStore = kubeStore;
  let electorBase: LeaderElector = settings.leaderElection.enabled
    ? new KubernetesLeaderElector({
        kubeConfig,
        logger: logger.child({ component: 'leader-election' }),
        namespace: settings.leaderElection.leaseNamespace,
        name: settings.leaderElection.leaseName,
        identity: settings.leaderElection.identity,
        leaseDurationMs: settings.leaderElection.leaseDurationMs,
        renewDeadlineMs: settings.leaderElection.renewDeadlineMs,
        retryPeriodMs: settings.leaderElection.retryPeriodMs,
        ...options.leaseOverrides,
      })
    : new SoleLeader();
  const closers: Array<() => Promise<void> | void> = [];

  if (observer) {
    const kubevirt = observer;
    const statusStore = new KubeVirtStatusStore(kubeStore, kubevirt, {
      logger,
    });
    const sync = new KubeVirtStatusSync(kubevirt, statusStore);
    store = statusStore;
    electorBase = withLeadershipHooks(electorBase, {
      started: () => sync.start(),
      stopped: () => sync.stop(),
    });
    closers.push(
      () => sync.stop(),
      () => statusStore.close(),
      () => kubevirt.stop(),
    );
  }
  closers.push(() => kubeStore.close());

  logger.info(
    `Cluster mode: ComputeInstances (${names.group}) on ${server}, ${
      settings.namespaces
        ? `namespaces ${settings.namespaces.join(', ')}`
        : 'all namespaces'
    }; leader election ${
      settings.leaderElection.enabled
        ? `with Lease ${settings.leaderElection.leaseNamespace}/${settings.leaderElection.leaseName}`
        : 'disabled'
    }; KubeVirt ${kubevirtActive ? 'on: phase and IP from the VMs' : 'off: phase from the jobs'}`,
  );

  return {
    store,
    events: new KubernetesEventStore({
      kubeConfig,
      apiGroup,
      maxEventsPerInstance: settings.maxEventsPerInstance,
      logger,
    }),
    leaderElector: electorBase,
    settings: { ...settings, kubevirtActive, server },
    async close() {
      for (const close of closers) await close();
    },
  };
}
