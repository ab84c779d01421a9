import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { createClusterComponents } from './createClusterComponents';
import { startKubeTestCluster } from './__testUtils__/kubeTestCluster';

describe('createClusterComponents', () => {
  const logger = mockServices.logger.mock();

  it('says what is wrong when the CRD is not installed', async () => {
    const { server, kubeConfig } = await startKubeTestCluster({ crds: [] });
    try {
      await expect(
        createClusterComponents({
          config: new ConfigReader({}),
          logger,
          apiGroup: 'osac.openshift.io',
          kubeConfig: kubeConfig(),
        }),
      ).rejects.toThrow(
        /Cannot list computeinstances\.osac\.openshift\.io in all namespaces: 404 NotFound.*Is the CRD installed \(kubectl apply -f deploy\/crd\.yaml\)/,
      );
    } finally {
      await server.close();
    }
  });

  it('refuses kubevirt: enabled on a cluster without KubeVirt, and detects it with auto', async () => {
    const { server, kubeConfig } = await startKubeTestCluster();
    try {
      await expect(
        createClusterComponents({
          config: new ConfigReader({
            vmLifecycle: { kubernetes: { kubevirt: 'enabled' } },
          }),
          logger,
          apiGroup: 'osac.openshift.io',
          kubeConfig: kubeConfig(),
        }),
      ).rejects.toThrow(/Cannot list virtualmachines\.kubevirt\.io/);
      const auto = await createClusterComponents({
        config: new ConfigReader({
          vmLifecycle: { kubernetes: { namespaces: ['team-a'] } },
        }),
        logger,
        apiGroup: 'osac.openshift.io',
        kubeConfig: kubeConfig(),
      });
      expect(auto.settings).toMatchObject({
        kubevirtActive: false,
        namespaces: ['team-a'],
        server: server.url,
      });
      await auto.close();
    } finally {
      await server.close();
    }
  });

  it('serves another API group, as installed with deploy/render.sh', async () => {
    const { server, kubeConfig } = await startKubeTestCluster({
      group: 'cloudkit.openshift.io',
      kubevirt: true,
    });
    try {
      const components = await createClusterComponents({
        config: new ConfigReader({}),
        logger,
        apiGroup: 'cloudkit.openshift.io',
        kubeConfig: kubeConfig(),
      });
      expect(components.settings.kubevirtActive).toBe(true);
      const created = await components.store.create({
        metadata: { name: 'vm-1', namespace: 'default' },
        spec: {
          templateID: 'fedora_small',
          image: {
            sourceType: 'registry',
            sourceRef: 'quay.io/containerdisks/fedora:latest',
          },
          cores: 2,
          memoryGiB: 4,
          bootDisk: { sizeGiB: 20 },
          runStrategy: 'Always',
        },
      });
      expect(created.apiVersion).toBe('cloudkit.openshift.io/v1alpha1');
      await components.events.record(created.metadata, {
        type: 'Normal',
        reason: 'Test',
        message: 'hi',
      });
      expect(server.objects('events')[0]).toMatchObject({
        involvedObject: {
          apiVersion: 'cloudkit.openshift.io/v1alpha1',
          uid: created.metadata.uid,
        },
      });
      await components.close();
    } finally {
      await server.close();
    }
  });
});
