/*
 * Cluster mode: the controller's ports on a Kubernetes cluster (ComputeInstance custom resources,
 * Lease-based leader election, core/v1 Events, KubeVirt status). plugin.ts calls
 * createClusterComponents when vmLifecycle.store.type is kubernetes.
 */
export {
  createClusterComponents,
  type ClusterComponents,
  type CreateClusterComponentsOptions,
} from './createClusterComponents';
export {
  readClusterSettings,
  type ClusterSettings,
  type KubeVirtMode,
} from './config';
