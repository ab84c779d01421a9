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
