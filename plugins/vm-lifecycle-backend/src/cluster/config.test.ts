import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { readClusterSettings } from './config';
import { buildKubeConfig } from './kubeConfig';

const config = (kubernetes: JsonObject, rest: JsonObject = {}) =>
  new ConfigReader({ vmLifecycle: { kubernetes }, ...rest });

describe('readClusterSettings (vmLifecycle.kubernetes)', () => {
  it('has defaults for everything', () => {
    expect(readClusterSettings(new ConfigReader({}), {})).toEqual({
      connection: 'kubeconfig',
      kubeconfigPath: undefined,
      context: undefined,
      clusterName: undefined,
      namespaces: undefined,
      leaderElection: {
        enabled: true,
        leaseName: 'vm-lifecycle-controller',
        leaseNamespace: 'default',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
        identity: undefined,
      },
      kubevirt: 'auto',
      maxEventsPerInstance: 1000,
      requestTimeoutMs: 30_000,
    });
  });

  it('reads the Kubernetes API request time-out', () => {
    expect(
      readClusterSettings(config({ requestTimeout: { seconds: 5 } }), {})
        .requestTimeoutMs,
    ).toBe(5000);
    expect(() =>
      readClusterSettings(config({ requestTimeout: { seconds: 0 } }), {}),
    ).toThrow(/requestTimeout: must be a positive duration/);
  });

  it('uses the in-cluster service account when running in a pod, with the pod namespace and name', () => {
    const settings = readClusterSettings(new ConfigReader({}), {
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      POD_NAMESPACE: 'vm-lifecycle',
      POD_NAME: 'backstage-7d9f-abcde',
    });
    expect(settings.connection).toBe('inCluster');
    expect(settings.leaderElection).toMatchObject({
      leaseNamespace: 'vm-lifecycle',
      identity: 'backstage-7d9f-abcde',
    });
  });

  it('reads every key', () => {
    const settings = readClusterSettings(
      config({
        connection: 'backstage',
        clusterName: 'prod',
        namespaces: ['team-a', 'team-b'],
        leaderElection: {
          enabled: false,
          leaseName: 'ctl',
          leaseNamespace: 'ops',
          leaseDuration: { seconds: 30 },
          renewDeadline: { seconds: 20 },
          retryPeriod: { seconds: 4 },
          identity: 'me',
        },
        kubevirt: false,
        events: { maxPerInstance: 50 },
      }),
      {},
    );
    expect(settings).toMatchObject({
      connection: 'backstage',
      clusterName: 'prod',
      namespaces: ['team-a', 'team-b'],
      leaderElection: {
        enabled: false,
        leaseName: 'ctl',
        leaseNamespace: 'ops',
        leaseDurationMs: 30_000,
        renewDeadlineMs: 20_000,
        retryPeriodMs: 4_000,
        identity: 'me',
      },
      kubevirt: 'disabled',
      maxEventsPerInstance: 50,
    });
  });

  it.each([
    [{ connection: 'ssh' }, /connection: "ssh"/],
    [{ kubevirt: 'maybe' }, /kubevirt: "maybe"/],
    [
      {
        leaderElection: {
          leaseDuration: { seconds: 5 },
          renewDeadline: { seconds: 10 },
        },
      },
      /retryPeriod < renewDeadline < leaseDuration/,
    ],
    [{ events: { maxPerInstance: 0 } }, /maxPerInstance/],
  ])('refuses %j', (kubernetes, message) => {
    expect(() => readClusterSettings(config(kubernetes), {})).toThrow(message);
  });
});

describe('buildKubeConfig', () => {
  it('reads a kubeconfig file and switches to the configured context', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    try {
      const file = join(dir, 'config');
      await writeFile(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters:',
          '- {name: a, cluster: {server: "https://a.example.com:6443"}}',
          '- {name: b, cluster: {server: "https://b.example.com:6443"}}',
          'users: [{name: u, user: {token: t}}]',
          'contexts:',
          '- {name: ctx-a, context: {cluster: a, user: u}}',
          '- {name: ctx-b, context: {cluster: b, user: u}}',
          'current-context: ctx-a',
        ].join('\n'),
      );
      const settings = readClusterSettings(
        config({ kubeconfigPath: file, context: 'ctx-b' }),
        {},
      );
      expect(
        buildKubeConfig(settings, new ConfigReader({})).getCurrentCluster()
          ?.server,
      ).toBe('https://b.example.com:6443');
      const wrong = readClusterSettings(
        config({ kubeconfigPath: file, context: 'nope' }),
        {},
      );
      expect(() => buildKubeConfig(wrong, new ConfigReader({}))).toThrow(
        /no context "nope"/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("uses a cluster of Backstage's kubernetes config with its service account token", () => {
    const root = config(
      { connection: 'backstage', clusterName: 'prod' },
      {
        kubernetes: {
          clusterLocatorMethods: [
            {
              type: 'config',
              clusters: [
                {
                  name: 'dev',
                  url: 'https://dev:6443',
                  authProvider: 'serviceAccount',
                  serviceAccountToken: 'dev-token',
                },
                {
                  name: 'prod',
                  url: 'https://prod:6443',
                  authProvider: 'serviceAccount',
                  serviceAccountToken: 'prod-token',
                  skipTLSVerify: true,
                },
              ],
            },
          ],
        },
      },
    );
    const kc = buildKubeConfig(readClusterSettings(root, {}), root);
    expect(kc.getCurrentCluster()).toMatchObject({
      server: 'https://prod:6443',
      skipTLSVerify: true,
    });
    expect(kc.getCurrentUser()).toMatchObject({ token: 'prod-token' });
  });

  it('refuses a Backstage cluster that authenticates as the signed-in user', () => {
    const root = config(
      { connection: 'backstage' },
      {
        kubernetes: {
          clusterLocatorMethods: [
            {
              type: 'config',
              clusters: [{ name: 'x', url: 'https://x', authProvider: 'oidc' }],
            },
          ],
        },
      },
    );
    expect(() => buildKubeConfig(readClusterSettings(root, {}), root)).toThrow(
      /authProvider: serviceAccount/,
    );
  });
});
