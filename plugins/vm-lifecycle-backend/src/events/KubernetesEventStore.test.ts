import { startKubeTestCluster } from '../cluster/__testUtils__/kubeTestCluster';
import { runEventStoreContractTests } from './eventStoreContract';
import { KubernetesEventStore } from './KubernetesEventStore';

runEventStoreContractTests(
  'KubernetesEventStore on the kube test API server',
  async options => {
    const { server, kubeConfig } = await startKubeTestCluster();
    return {
      store: new KubernetesEventStore({ kubeConfig: kubeConfig(), ...options }),
      close: () => server.close(),
    };
  },
);

describe('KubernetesEventStore in the cluster', () => {
  it('writes core/v1 Events on the instance, readable with a field selector on its uid', async () => {
    const { server, kubeConfig } = await startKubeTestCluster();
    try {
      const store = new KubernetesEventStore({ kubeConfig: kubeConfig() });
      const ref = {
        namespace: 'team-a',
        name: 'vm-1',
        uid: '11111111-1111-4111-8111-111111111111',
      };
      await store.record(ref, {
        type: 'Warning',
        reason: 'ProvisionJobFailed',
        message: 'provision job 7 failed',
        jobID: '7',
        timestamp: '2025-06-01T10:00:00.123Z',
      });
      const [event] = server.objects('events', { namespace: 'team-a' });
      expect(event).toMatchObject({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: expect.stringMatching(/^vm-1\.[0-9a-f]+$/),
          namespace: 'team-a',
          annotations: {
            'osac.openshift.io/event-time': '2025-06-01T10:00:00.123Z',
            'osac.openshift.io/job-id': '7',
          },
        },
        involvedObject: {
          apiVersion: 'osac.openshift.io/v1alpha1',
          kind: 'ComputeInstance',
          namespace: 'team-a',
          name: 'vm-1',
          uid: ref.uid,
        },
        type: 'Warning',
        reason: 'ProvisionJobFailed',
        message: 'provision job 7 failed',
        firstTimestamp: '2025-06-01T10:00:00Z',
        source: { component: 'vm-lifecycle-controller' },
      });
      expect(event).not.toHaveProperty('eventTime');
    } finally {
      await server.close();
    }
  });
});
