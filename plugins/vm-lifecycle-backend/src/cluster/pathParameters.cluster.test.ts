import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { KubeTestApiServer } from '@internal/kube-test-apiserver';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { FaultProxy, startFaultProxy } from '../__testUtils__/faultProxy';
import { vmLifecyclePlugin } from '../plugin';
import {
  SMALL_TEMPLATE,
  startKubeTestCluster,
} from './__testUtils__/kubeTestCluster';

jest.setTimeout(60_000);

/*
 * Cluster mode, where a path segment becomes part of a Kubernetes API URL: `.` and `..` there are
 * resolved by the HTTP client, so `computeinstances/.` names the collection (GET lists it, DELETE
 * deletes every instance of the namespace). The router must refuse such names before any store call.
 */
describe('REST API path parameters in cluster mode', () => {
  let kube: KubeTestApiServer;
  let proxy: FaultProxy;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let dir: string;

  beforeAll(async () => {
    ({ server: kube } = await startKubeTestCluster({}));
    proxy = await startFaultProxy(kube.url);
    dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    const kubeconfigPath = join(dir, 'config');
    await writeFile(
      kubeconfigPath,
      kube.kubeconfigYaml().replaceAll(kube.url, proxy.url),
    );
    backend = await startTestBackend({
      features: [
        vmLifecyclePlugin,
        mockServices.rootConfig.factory({
          data: {
            vmLifecycle: {
              store: { type: 'kubernetes' },
              kubernetes: {
                connection: 'kubeconfig',
                kubeconfigPath,
                kubevirt: 'disabled',
                leaderElection: { enabled: false },
                requestTimeout: { milliseconds: 1500 },
              },
              templates: [SMALL_TEMPLATE],
            },
          },
        }),
      ],
    });
    for (const name of ['vm-a', 'vm-b']) {
      await api('post', '/instances')
        .send({ metadata: { name }, spec: { templateID: 'small' } })
        .expect(201);
    }
  });

  afterAll(async () => {
    await backend?.stop();
    await proxy?.close();
    await kube?.close();
    await rm(dir, { recursive: true, force: true });
  });

  // An admin's credentials: the default test permissions allow everything.
  function api(method: 'get' | 'post' | 'patch' | 'delete', path: string) {
    return request(backend.server)
      [method](`/api/vm-lifecycle${path}`)
      .set('Authorization', mockCredentials.user.header());
  }

  const storedNames = () =>
    kube
      .objects('computeinstances', { group: 'osac.openshift.io' })
      .filter(o => !o.metadata.deletionTimestamp)
      .map(o => o.metadata.name)
      .sort();

  it.each([
    ['DELETE', '/instances/default/.', 'name'],
    ['DELETE', '/instances/default/%2e', 'name'],
    ['DELETE', '/instances/default/%2E%2E', 'name'],
    ['DELETE', '/instances/./vm-a', 'namespace'],
    ['GET', '/instances/../.', 'namespace'],
    ['GET', '/instances/default/.', 'name'],
    ['GET', '/instances/%2e%2e/%2e', 'namespace'],
    ['GET', '/instances/default/vm-a%2F..', 'name'],
    ['GET', '/instances/default/./events', 'name'],
    ['PATCH', '/instances/default/..', 'name'],
    ['POST', '/instances/default/./restart', 'name'],
  ])(
    '%s %s is a 400 naming the %s and reaches no store',
    async (method, path, parameter) => {
      const before = kube.requests.length;
      const res = await api(
        method.toLowerCase() as 'get' | 'delete' | 'patch' | 'post',
        path,
      ).send(method === 'PATCH' ? { spec: { runStrategy: 'Halted' } } : {});
      expect({ status: res.status, name: res.body?.error?.name }).toEqual({
        status: 400,
        name: 'InputError',
      });
      expect(res.body.error.message).toContain(`path parameter ${parameter}`);
      expect(kube.requests.slice(before)).toEqual([]);
      expect(storedNames()).toEqual(['vm-a', 'vm-b']);
    },
  );

  it('still serves real names', async () => {
    const res = await api('get', '/instances/default/vm-a');
    expect(res.status).toBe(200);
    expect(res.body.metadata.name).toBe('vm-a');
  });

  it('gives up on a Kubernetes API call that never answers, with a 503 naming the time-out', async () => {
    proxy.inject(/computeinstances\/vm-b/, { kind: 'stall' });
    try {
      const started = Date.now();
      const res = await api('get', '/instances/default/vm-b');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(res.status).toBe(503);
      expect(res.body.error.message).toMatch(/did not answer within 1\.5 s/);
    } finally {
      proxy.inject(undefined);
    }
  });
});
