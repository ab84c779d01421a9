import { existsSync, readFileSync } from 'node:fs';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';

/** Where the in-cluster service account's namespace is mounted. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE =
  '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export type ConnectionType = 'kubeconfig' | 'inCluster' | 'backstage';
export type KubeVirtMode = 'auto' | 'enabled' | 'disabled';

/** vmLifecycle.kubernetes, read and checked once at startup. */
export interface ClusterSettings {
  connection: ConnectionType;
  /** kubeconfig file; default $KUBECONFIG, then ~/.kube/config. */
  kubeconfigPath?: string;
  /** kubeconfig context; default the file's current-context. */
  context?: string;
  /** For `backstage`: which cluster of kubernetes.clusterLocatorMethods (type config) to use. */
  clusterName?: string;
  /** Namespaces whose instances this portal manages; undefined = all namespaces. */
  namespaces?: string[];
  leaderElection: {
    enabled: boolean;
    leaseName: string;
    leaseNamespace: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
    identity?: string;
  };
  kubevirt: KubeVirtMode;
  maxEventsPerInstance: number;
  /** Every Kubernetes API call (watches excepted) is aborted after this long. */
  requestTimeoutMs: number;
}

function durationMs(
  config: Config | undefined,
  key: string,
  fallbackMs: number,
): number {
  if (!config?.has(key)) return fallbackMs;
  return durationToMilliseconds(readDurationFromConfig(config, { key }));
}

function inClusterNamespace(env: NodeJS.ProcessEnv): string | undefined {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    if (existsSync(SERVICE_ACCOUNT_NAMESPACE_FILE)) {
      return (
        readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, 'utf8').trim() || undefined
      );
    }
  } catch {
    // Not in a pod: fall through to the default.
  }
  return undefined;
}

function readKubeVirtMode(config: Config | undefined): KubeVirtMode {
  const key = 'kubevirt';
  if (!config?.has(key)) return 'auto';
  const value = config.get(key);
  if (value === true) return 'enabled';
  if (value === false) return 'disabled';
  if (value === 'auto' || value === 'enabled' || value === 'disabled')
    return value;
  throw new Error(
    `Invalid config vmLifecycle.kubernetes.kubevirt: ${JSON.stringify(value)}; expected auto, enabled, disabled, true or false`,
  );
}

export function readClusterSettings(
  root: Config,
  env: NodeJS.ProcessEnv = process.env,
): ClusterSettings {
  const c = root.getOptionalConfig('vmLifecycle.kubernetes');
  const connection = c?.getOptionalString('connection') ?? 'auto';
  if (!['auto', 'kubeconfig', 'inCluster', 'backstage'].includes(connection)) {
    throw new Error(
      `Invalid config vmLifecycle.kubernetes.connection: "${connection}"; expected auto, kubeconfig, inCluster or backstage`,
    );
  }
  const inCluster = Boolean(env.KUBERNETES_SERVICE_HOST);
  let resolved = connection as ConnectionType;
  if (connection === 'auto') resolved = inCluster ? 'inCluster' : 'kubeconfig';
  const le = c?.getOptionalConfig('leaderElection');
  const leaseDurationMs = durationMs(le, 'leaseDuration', 15_000);
  const renewDeadlineMs = durationMs(
    le,
    'renewDeadline',
    Math.round((leaseDurationMs * 2) / 3),
  );
  const retryPeriodMs = durationMs(le, 'retryPeriod', 2_000);
  if (renewDeadlineMs >= leaseDurationMs || retryPeriodMs >= renewDeadlineMs) {
    throw new Error(
      'Invalid config vmLifecycle.kubernetes.leaderElection: need retryPeriod < renewDeadline < leaseDuration',
    );
  }
  const namespaces = c?.getOptionalStringArray('namespaces');
  const maxEventsPerInstance =
    c?.getOptionalNumber('events.maxPerInstance') ?? 1000;
  if (!Number.isInteger(maxEventsPerInstance) || maxEventsPerInstance < 1) {
    throw new Error(
      'Invalid config vmLifecycle.kubernetes.events.maxPerInstance: must be an integer >= 1',
    );
  }
  const requestTimeoutMs = durationMs(c, 'requestTimeout', 30_000);
  if (!(requestTimeoutMs > 0)) {
    throw new Error(
      'Invalid config vmLifecycle.kubernetes.requestTimeout: must be a positive duration',
    );
  }
  return {
    requestTimeoutMs,
    connection: resolved,
    kubeconfigPath: c?.getOptionalString('kubeconfigPath'),
    context: c?.getOptionalString('context'),
    clusterName: c?.getOptionalString('clusterName'),
    namespaces: namespaces?.length ? namespaces : undefined,
    leaderElection: {
      enabled: le?.getOptionalBoolean('enabled') ?? true,
      leaseName:
        le?.getOptionalString('leaseName') ?? 'vm-lifecycle-controller',
      leaseNamespace:
        le?.getOptionalString('leaseNamespace') ??
        (resolved === 'inCluster' ? inClusterNamespace(env) : undefined) ??
        'default',
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
      identity: le?.getOptionalString('identity') ?? env.POD_NAME,
    },
    kubevirt: readKubeVirtMode(c),
    maxEventsPerInstance,
  };
}
