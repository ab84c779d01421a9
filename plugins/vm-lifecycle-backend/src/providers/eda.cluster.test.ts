import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  createAapSimulator,
  AapSimulator,
} from '@vm-selfservice/aap-simulator';
import {
  createKubeTestApiServer,
  KubeTestApiServer,
} from '@internal/kube-test-apiserver';
import {
  apiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { KubeConfig } from '@kubernetes/client-node';
import { createClusterComponents, ClusterComponents } from '../cluster';
import { Controller } from '../controller/controller';
import { sampleSpec } from '../__testUtils__/harness';
import { EdaEventSender } from './edaEventSender';
import { createEdaProvider } from './EdaProvider';
import { createRoutingProvider } from './RoutingProvider';

/*
 * Cluster mode: the simulated EDA playbooks patch the ComputeInstance CR in a Kubernetes API server
 * (with the CRD of deploy/) as the real ones do with kubernetes.core, and the controller, on the
 * cluster-mode store, sees those patches.
 */

jest.setTimeout(30_000);

const names = apiGroupNames();
const KUBE_TOKEN = 'kube-sa-token';
const EDA_TOKEN = 'eda-token';
const CREATE = '9a9a9a9a-0000-4000-8000-000000000001';
const DELETE = '9a9a9a9a-0000-4000-8000-000000000002';

describe('EDA playbooks against the Kubernetes API (cluster mode)', () => {
  let kube: KubeTestApiServer;
  let sim: AapSimulator;
  let simUrl: string;
  const crUrl = (name: string) =>
    `${kube.url}/apis/${names.group}/v1alpha1/namespaces/default/computeinstances/${name}`;
  const kubeFetch = (url: string, init: RequestInit = {}) =>
    fetch(url, {
      ...init,
      headers: {
        Authorization: `Bearer ${KUBE_TOKEN}`,
        'Content-Type': 'application/json',
        ...(init.headers as object),
      },
    });
  const read = async (name: string): Promise<ComputeInstance | undefined> => {
    const res = await kubeFetch(crUrl(name));
    return res.status === 404
      ? undefined
      : ((await res.json()) as ComputeInstance);
  };
  const sender = new EdaEventSender({
    auth: { type: 'token', token: EDA_TOKEN },
    maxAttempts: 1,
  });
  const stream = (uuid: string) =>
    `${simUrl}/eda-event-streams/api/eda/v1/external_event_stream/${uuid}/post/`;

  async function waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined | false>,
  ): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline)
        throw new Error(`Timed out waiting for ${what}`);
      await new Promise(r => setTimeout(r, 20));
    }
  }

  async function createCr(name: string): Promise<ComputeInstance> {
    const res = await kubeFetch(crUrl('').replace(/\/$/, ''), {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: names.apiVersion,
        kind: 'ComputeInstance',
        metadata: { name, namespace: 'default', finalizers: [names.finalizer] },
        spec: sampleSpec(),
      }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as ComputeInstance;
    // What the controller's status write would carry; the playbook copies it into the annotation.
    return { ...created, status: { desiredConfigVersion: 'c0ffee1234' } };
  }

  beforeEach(async () => {
    kube = createKubeTestApiServer({ token: KUBE_TOKEN });
    await kube.listen(0, '127.0.0.1');
    sim = createAapSimulator({
      durations: { provisionMs: 300, deprovisionMs: 150 },
      queueDelayMs: 20,
      edaStreams: [
        { uuid: CREATE, action: 'provision', token: EDA_TOKEN },
        { uuid: DELETE, action: 'deprovision', token: EDA_TOKEN },
      ],
      edaTarget: {
        type: 'kubernetes',
        apiServerUrl: kube.url,
        group: names.group,
        token: KUBE_TOKEN,
      },
    });
    simUrl = (await sim.listen(0, '127.0.0.1')).url;
  });

  afterEach(async () => {
    await sim.close();
    await kube.close();
  });

  it('create adds the -aap finalizer and sets the reconciled version; delete removes the finalizer and the CR goes', async () => {
    const cr = await createCr('web');
    await sender.send('provision', stream(CREATE), cr, 'event-11');
    const applied = await waitFor('annotation', async () => {
      const current = await read('web');
      return current?.metadata.annotations?.[
        names.reconciledConfigVersionAnnotation
      ]
        ? current
        : undefined;
    });
    expect(
      applied.metadata.annotations[names.reconciledConfigVersionAnnotation],
    ).toBe('c0ffee1234');
    expect(applied.metadata.finalizers).toEqual([
      names.finalizer,
      names.aapFinalizer,
    ]);
    expect(sim.vms()).toEqual([
      expect.objectContaining({ name: 'web', uid: cr.metadata.uid }),
    ]);

    expect((await kubeFetch(crUrl('web'), { method: 'DELETE' })).status).toBe(
      200,
    );
    await sender.send(
      'deprovision',
      stream(DELETE),
      (await read('web'))!,
      'event-2',
    );
    await waitFor(
      'finalizer removed',
      async () =>
        !(await read('web'))?.metadata.finalizers.includes(names.aapFinalizer),
    );
    expect(sim.vms()).toEqual([]);
    // The controller removes its own finalizer once it sees that; then the CR is gone.
    const current = (await read('web'))!;
    const released = await kubeFetch(crUrl('web'), {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({
        metadata: {
          resourceVersion: current.metadata.resourceVersion,
          finalizers: [],
        },
      }),
    });
    expect(released.status).toBe(200);
    expect(await read('web')).toBeUndefined();
  });

  it('survives the controller writing the CR in between (409) and never adds the finalizer to a CR being deleted', async () => {
    const cr = await createCr('busy');
    kube.injectConcurrentWrite({
      plural: 'computeinstances',
      name: 'busy',
      verbs: ['patch'],
      times: 2,
    });
    await sender.send('provision', stream(CREATE), cr, 'event-12');
    await waitFor(
      'annotation despite conflicts',
      async () =>
        (await read('busy'))?.metadata.annotations?.[
          names.reconciledConfigVersionAnnotation
        ],
    );
    expect((await read('busy'))!.metadata.finalizers).toContain(
      names.aapFinalizer,
    );
    expect(
      kube.requests.filter(r => r.method === 'PATCH' && r.status === 409),
    ).toHaveLength(2);

    const late = await createCr('late');
    await kubeFetch(crUrl('late'), { method: 'DELETE' });
    await sender.send('provision', stream(CREATE), late, 'event-13');
    const job = await waitFor('create job ended', async () =>
      sim.jobs().find(j => j.instance?.name === 'late' && j.finished),
    );
    expect(job.status).toBe('failed');
    expect((await read('late'))!.metadata.finalizers).toEqual([
      names.finalizer,
    ]);
    expect(sim.vms().map(v => v.name)).toEqual(['busy']);
  });

  describe('with the controller on the cluster-mode store', () => {
    let cluster: ClusterComponents;
    let controller: Controller;

    beforeEach(async () => {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(kube.kubeconfigYaml());
      cluster = await createClusterComponents({
        config: new ConfigReader({
          vmLifecycle: {
            kubernetes: {
              leaderElection: { enabled: false },
              kubevirt: 'disabled',
            },
          },
        }),
        logger: mockServices.logger.mock(),
        apiGroup: names.group,
        kubeConfig,
      });
      const eda = createEdaProvider({
        store: cluster.store,
        names,
        provisionUrl: stream(CREATE),
        deprovisionUrl: stream(DELETE),
        auth: { type: 'token', token: EDA_TOKEN },
        retryBaseDelayMs: 20,
      });
      controller = new Controller({
        store: cluster.store,
        provider: createRoutingProvider({
          launch: 'eda',
          store: cluster.store,
          names,
          eda,
        }),
        events: cluster.events,
        names,
        logger: mockServices.logger.mock(),
        pollIntervalMs: 100,
        resyncIntervalMs: 1000,
        retryBackoff: { baseMs: 200, maxMs: 1000 },
        leaderElector: cluster.leaderElector,
      });
      controller.start();
    });

    afterEach(async () => {
      await controller.stop();
      await cluster.close();
    });

    it('create -> Running, delete -> gone, in EDA mode', async () => {
      const created = await cluster.store.create({
        metadata: { name: 'eda-cr', namespace: 'default' },
        spec: sampleSpec(),
      });
      const running = await waitFor('Running', async () => {
        const current = await read('eda-cr');
        return current?.status?.phase === 'Running' ? current : undefined;
      });
      expect(
        running.metadata.annotations[names.reconciledConfigVersionAnnotation],
      ).toBe(running.status.desiredConfigVersion);
      expect(running.metadata.finalizers).toEqual([
        names.finalizer,
        names.aapFinalizer,
      ]);
      expect(running.status.provisioningJobs).toEqual([
        expect.objectContaining({ jobID: 'eda-webhook-1', state: 'Succeeded' }),
      ]);
      expect(sim.vms()).toEqual([
        expect.objectContaining({ name: 'eda-cr', uid: created.metadata.uid }),
      ]);

      await cluster.store.delete('default', 'eda-cr');
      await waitFor('CR gone', async () => !(await read('eda-cr')));
      expect(sim.vms()).toEqual([]);
      expect(sim.jobs().map(j => [j.template, j.status])).toEqual([
        ['osac-create-compute-instance', 'successful'],
        ['osac-delete-compute-instance', 'successful'],
      ]);
    });
  });
});
