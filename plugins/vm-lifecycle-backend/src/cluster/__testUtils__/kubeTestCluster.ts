import {
  KubeTestApiServer,
  KubeTestApiServerOptions,
  createKubeTestApiServer,
} from '@internal/kube-test-apiserver';
import { KubeConfig } from '@kubernetes/client-node';

/** A kube test API server listening on loopback, and a KubeConfig for it (as a kubeconfig file would give). */
export async function startKubeTestCluster(
  options: KubeTestApiServerOptions = {},
) {
  const server: KubeTestApiServer = createKubeTestApiServer(options);
  await server.listen();
  const kubeConfig = () => {
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfigYaml());
    return kc;
  };
  return { server, kubeConfig };
}

/** The template the cluster-mode plugin tests request from. */
export const SMALL_TEMPLATE = {
  id: 'small',
  title: 'Small',
  defaults: {
    image: {
      sourceType: 'registry',
      sourceRef: 'quay.io/containerdisks/fedora:latest',
    },
    cores: 1,
    memoryGiB: 1,
    bootDisk: { sizeGiB: 10 },
    runStrategy: 'Always',
  },
};
