import { Config } from '@backstage/config';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterSettings } from './config';

/**
 * A cluster from Backstage's own kubernetes config (the kubernetes plugin's
 * `kubernetes.clusterLocatorMethods[].clusters[]` with `type: config`), so a portal that already
 * lists its clusters there does not need a second credential. Only service-account tokens apply:
 * the controller acts as itself, never on behalf of a signed-in user.
 */
function fromBackstageConfig(
  root: Config,
  clusterName: string | undefined,
): KubeConfig {
  const clusters = (
    root.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? []
  )
    .filter(m => m.getString('type') === 'config')
    .flatMap(m => m.getOptionalConfigArray('clusters') ?? []);
  const cluster = clusterName
    ? clusters.find(c => c.getString('name') === clusterName)
    : clusters[0];
  if (!cluster) {
    throw new Error(
      clusterName
        ? `vmLifecycle.kubernetes.clusterName: no cluster named "${clusterName}" under kubernetes.clusterLocatorMethods (type: config)`
        : 'vmLifecycle.kubernetes.connection is "backstage" but kubernetes.clusterLocatorMethods lists no cluster (type: config)',
    );
  }
  const name = cluster.getString('name');
  const authProvider =
    cluster.getOptionalString('authProvider') ?? 'serviceAccount';
  const token = cluster.getOptionalString('serviceAccountToken');
  if (authProvider !== 'serviceAccount' || !token) {
    throw new Error(
      `Kubernetes cluster "${name}": cluster mode needs authProvider: serviceAccount with a serviceAccountToken (got authProvider: ${authProvider}${token ? '' : ', no token'})`,
    );
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name,
        server: cluster.getString('url'),
        caData: cluster.getOptionalString('caData'),
        caFile: cluster.getOptionalString('caFile'),
        skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify') ?? false,
      },
    ],
    users: [{ name: `${name}-vm-lifecycle`, token }],
    contexts: [{ name, cluster: name, user: `${name}-vm-lifecycle` }],
    currentContext: name,
  });
  return kc;
}

/** The credentials the controller talks to the cluster with, as configured. */
export function buildKubeConfig(
  settings: ClusterSettings,
  root: Config,
): KubeConfig {
  if (settings.connection === 'backstage')
    return fromBackstageConfig(root, settings.clusterName);
  const kc = new KubeConfig();
  if (settings.connection === 'inCluster') {
    kc.loadFromCluster();
    return kc;
  }
  if (settings.kubeconfigPath) kc.loadFromFile(settings.kubeconfigPath);
  else kc.loadFromDefault();
  if (settings.context) {
    if (!kc.getContexts().some(c => c.name === settings.context)) {
      throw new Error(
        `vmLifecycle.kubernetes.context: the kubeconfig has no context "${settings.context}"`,
      );
    }
    kc.setCurrentContext(settings.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(
      'The kubeconfig has no current cluster (set vmLifecycle.kubernetes.kubeconfigPath or context)',
    );
  }
  return kc;
}
