import { mockServices } from '@backstage/backend-test-utils';
import { KubeTestApiServer } from '@internal/kube-test-apiserver';
import { KubeConfig } from '@kubernetes/client-node';
import { startKubeTestCluster } from '../cluster/__testUtils__/kubeTestCluster';
import {
  KubernetesLeaderElector,
  KubernetesLeaderElectorOptions,
} from './kubernetesLease';

jest.setTimeout(20_000);

async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 8000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 10));
  }
}

describe('KubernetesLeaderElector (coordination.k8s.io/v1 Lease)', () => {
  let server: KubeTestApiServer;
  let kubeConfig: () => KubeConfig;
  const electors: KubernetesLeaderElector[] = [];

  beforeEach(async () => {
    ({ server, kubeConfig } = await startKubeTestCluster());
  });

  afterEach(async () => {
    await Promise.all(electors.splice(0).map(e => e.stop()));
    await server.close();
  });

  function elector(
    identity: string,
    overrides: Partial<KubernetesLeaderElectorOptions> = {},
  ) {
    const events: string[] = [];
    const e = new KubernetesLeaderElector({
      kubeConfig: kubeConfig(),
      logger: mockServices.logger.mock(),
      namespace: 'vm-lifecycle',
      identity,
      leaseDurationMs: 1000,
      renewDeadlineMs: 600,
      retryPeriodMs: 100,
      ...overrides,
    });
    electors.push(e);
    e.start({
      onStartedLeading: async () => {
        events.push('started');
      },
      onStoppedLeading: async () => {
        events.push('stopped');
      },
    });
    return { elector: e, events };
  }

  const lease = () =>
    server.objects('leases', {
      group: 'coordination.k8s.io',
      namespace: 'vm-lifecycle',
    })[0];

  it('creates the Lease and leads, renewing renewTime', async () => {
    const a = elector('replica-a');
    await waitFor('leadership', () => a.elector.isLeader());
    expect(a.events).toEqual(['started']);
    const first = lease();
    expect(first).toMatchObject({
      metadata: { name: 'vm-lifecycle-controller', namespace: 'vm-lifecycle' },
      spec: {
        holderIdentity: 'replica-a',
        leaseDurationSeconds: 1,
        leaseTransitions: 0,
      },
    });
    expect((first.spec as { renewTime: string }).renewTime).toMatch(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/,
    );
    await waitFor(
      'a renewal',
      () => (lease().spec as any).renewTime !== (first.spec as any).renewTime,
    );
    expect(lease().metadata.resourceVersion).not.toBe(
      first.metadata.resourceVersion,
    );
  });

  it('lets exactly one of two replicas lead; a graceful stop hands over at once', async () => {
    const a = elector('replica-a');
    const b = elector('replica-b');
    await waitFor(
      'a leader',
      () => a.elector.isLeader() || b.elector.isLeader(),
    );
    await new Promise(r => setTimeout(r, 400));
    expect(
      [a.elector.isLeader(), b.elector.isLeader()].filter(Boolean),
    ).toHaveLength(1);
    const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
    const stoppedAt = Date.now();
    await leader.elector.stop();
    expect(leader.events).toEqual(['started', 'stopped']);
    await waitFor('takeover', () => follower.elector.isLeader());
    // Released: no need to wait for the 1 s lease to expire.
    expect(Date.now() - stoppedAt).toBeLessThan(900);
    expect(lease().spec).toMatchObject({
      holderIdentity: follower.elector.identity,
      leaseTransitions: 1,
    });
  });

  it('takes over from a crashed leader only after the lease expired', async () => {
    const a = elector('replica-a', { releaseOnStop: false });
    await waitFor('a leads', () => a.elector.isLeader());
    const b = elector('replica-b');
    await new Promise(r => setTimeout(r, 300));
    expect(b.elector.isLeader()).toBe(false);
    const crashedAt = Date.now();
    await a.elector.stop();
    expect(lease().spec).toMatchObject({ holderIdentity: 'replica-a' });
    await waitFor('takeover', () => b.elector.isLeader());
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(900);
  });

  it('stops leading when it cannot renew within the renew deadline', async () => {
    const a = elector('replica-a');
    await waitFor('a leads', () => a.elector.isLeader());
    server.onBeforeWrite(write => {
      if (write.plural === 'leases') throw new Error('etcd unavailable');
    });
    await waitFor('step down', () => !a.elector.isLeader(), 3000);
    expect(a.events).toEqual(['started', 'stopped']);
  });

  it('steps down at the renew deadline even while its renewal round hangs', async () => {
    const a = elector('replica-a');
    await waitFor('a leads', () => a.elector.isLeader());
    // No renewal round runs any more (a hung request, a stopped timer); the process runs on.
    clearInterval((a.elector as unknown as { timer: NodeJS.Timeout }).timer);
    const stalledAt = Date.now();
    await waitFor('step down', () => a.events.includes('stopped'), 3000);
    // Within the renew deadline (600 ms) of the last renewal, before the 1 s lease can expire.
    expect(Date.now() - stalledAt).toBeLessThan(800);
    expect(a.elector.isLeader()).toBe(false);
  });

  it('confirms leadership against the Lease: a paused holder learns there that it lost', async () => {
    const clock: { frozenAt?: number } = {};
    const a = elector('replica-a', {
      releaseOnStop: false,
      monotonicNow: () => clock.frozenAt ?? performance.now(),
    });
    await waitFor('a leads', () => a.elector.isLeader());
    expect(await a.elector.confirmLeadership()).toBe(true);
    // Paused: no renewal, and its clock stands still, so by itself it still believes it leads.
    clearInterval((a.elector as unknown as { timer: NodeJS.Timeout }).timer);
    clock.frozenAt = performance.now();
    const b = elector('replica-b');
    await waitFor('b leads', () => b.elector.isLeader(), 5000);
    expect(a.elector.isLeader()).toBe(true);
    expect(await a.elector.confirmLeadership()).toBe(false);
    await waitFor('a steps down', () => a.events.includes('stopped'));
    expect(a.elector.isLeader()).toBe(false);
  });
});
