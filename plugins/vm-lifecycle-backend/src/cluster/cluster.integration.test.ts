import { CustomObjectsApi } from '@kubernetes/client-node';
import { latestJob } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { ClusterEnv, NS, createClusterEnv } from './__testUtils__/clusterEnv';

jest.setTimeout(60_000);

/*
 * The real Controller on cluster mode's adapters: ComputeInstance custom resources in the kube test
 * API server (the CRD from deploy/), Lease leader election, Kubernetes Events, and the AAP simulator
 * over HTTP whose playbooks create their VMs as KubeVirt objects in that API server.
 */
describe('controller in cluster mode (kube test API server + AAP simulator with KubeVirt VMs)', () => {
  let env: ClusterEnv;

  afterEach(async () => {
    await env?.close();
  });

  it('a requested VM reaches Running, with phase and IP from its KubeVirt VM', async () => {
    env = await createClusterEnv();
    const { controller, components } = await env.newReplica();
    expect(components.settings.kubevirtActive).toBe(true);
    controller.start();
    await env.create('web-1');
    const vm = await env.waitForPhase('web-1', 'Running');
    expect(vm.metadata.finalizers).toEqual([env.names.finalizer]);
    expect(vm.status.provisioningJobs).toEqual([
      expect.objectContaining({ type: 'provision', state: 'Succeeded' }),
    ]);
    const [kubeVm] = env.labelledVms('web-1');
    expect(kubeVm.metadata.labels).toMatchObject({
      [`${env.names.instanceLabel}-uid`]: vm.metadata.uid,
    });
    const vmi = env.kube
      .objects('virtualmachineinstances', { group: 'kubevirt.io' })
      .find(o => o.metadata.name === kubeVm.metadata.name)!;
    const ip = (vmi.status as { interfaces: Array<{ ipAddress: string }> })
      .interfaces[0].ipAddress;
    const withIp = await env.waitFor('the VMI IP on the instance', async () => {
      const obj = await env.store.get(NS, 'web-1');
      return obj?.status.ipAddress ? obj : undefined;
    });
    expect(withIp.status.ipAddress).toBe(ip);

    // Lifecycle events are core/v1 Events on the instance, read back oldest first.
    const events = await components.events.list(vm.metadata);
    expect(events.map(e => e.reason)).toEqual(
      expect.arrayContaining(['ProvisionJobLaunched', 'ProvisionJobSucceeded']),
    );
    const kubeEvents = env.kube.objects('events', { namespace: NS });
    expect(
      kubeEvents.every(
        e => (e.involvedObject as { uid: string }).uid === vm.metadata.uid,
      ),
    ).toBe(true);

    // The VM is stopped behind the portal's back: KubeVirt, not the job history, has the last word.
    const api = env.kubeConfig().makeApiClient(CustomObjectsApi);
    await api.deleteNamespacedCustomObject({
      group: 'kubevirt.io',
      version: 'v1',
      namespace: NS,
      plural: 'virtualmachineinstances',
      name: kubeVm.metadata.name!,
    });
    await api.replaceNamespacedCustomObjectStatus({
      group: 'kubevirt.io',
      version: 'v1',
      namespace: NS,
      plural: 'virtualmachines',
      name: kubeVm.metadata.name!,
      body: { ...kubeVm, status: { printableStatus: 'Stopped', ready: false } },
    });
    const stopped = await env.waitForPhase('web-1', 'Stopped');
    expect(stopped.status.ipAddress).toBeUndefined();
    expect(stopped.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'Ready',
          status: 'False',
          reason: 'Stopped',
        }),
      ]),
    );
    // Settled: the controller and the KubeVirt view agree, so nothing keeps rewriting the status.
    const settled = (await env.store.get(NS, 'web-1'))!.metadata
      .resourceVersion;
    await new Promise(r => setTimeout(r, 1500));
    expect((await env.store.get(NS, 'web-1'))!.metadata.resourceVersion).toBe(
      settled,
    );
  });

  it('deleting during provisioning: provision job terminal, one deprovision job, CR NotFound, 0 labelled VMs', async () => {
    env = await createClusterEnv({
      sim: { durations: { provisionMs: 1500, deprovisionMs: 300 } },
    });
    (await env.newReplica()).controller.start();
    await env.create('doomed');
    await env.waitFor('the provision job to run', () =>
      env.simJobsOf('doomed').some(j => j.status === 'running'),
    );
    const deleting = await env.store.delete(NS, 'doomed');
    expect(deleting?.metadata.deletionTimestamp).toBeDefined();
    await env.waitGone('doomed');

    const jobs = env.simJobsOf('doomed');
    const provision = jobs.filter(j => j.template.includes('create'));
    const deprovision = jobs.filter(j => j.template.includes('delete'));
    expect(provision).toHaveLength(1);
    expect(['canceled', 'successful', 'failed']).toContain(provision[0].status);
    expect(deprovision).toHaveLength(1);
    expect(deprovision[0].status).toBe('successful');
    // The provision job ended before the deprovision job started.
    expect(Date.parse(provision[0].finished!)).toBeLessThanOrEqual(
      Date.parse(deprovision[0].created),
    );

    const api = env.kubeConfig().makeApiClient(CustomObjectsApi);
    await expect(
      api.getNamespacedCustomObject({
        group: env.names.group,
        version: 'v1alpha1',
        namespace: NS,
        plural: 'computeinstances',
        name: 'doomed',
      }),
    ).rejects.toMatchObject({ code: 404 });
    expect(env.labelledVms('doomed')).toHaveLength(0);
  });

  it('a status write that hits a 409 is retried on a fresh copy and launches no second job', async () => {
    env = await createClusterEnv();
    // The first status write for the instance is the one that persists the launched job's id.
    env.kube.injectConcurrentWrite({
      plural: 'computeinstances',
      name: 'racy',
      subresource: 'status',
    });
    (await env.newReplica()).controller.start();
    await env.create('racy');
    const running = await env.waitForPhase('racy', 'Running');

    const statusWrites = env.kube.requests.filter(
      r =>
        r.method === 'PUT' && r.path.endsWith('/computeinstances/racy/status'),
    );
    expect(statusWrites[0].status).toBe(409);
    expect(statusWrites[1].status).toBe(200);
    expect(env.simJobsOf('racy')).toHaveLength(1);
    expect(running.status.provisioningJobs).toHaveLength(1);
    expect(latestJob(running.status.provisioningJobs, 'provision')?.jobID).toBe(
      String(env.simJobsOf('racy')[0].id),
    );
    // The concurrent writer's change survived: the retry started from a fresh copy.
    expect(Object.keys(running.metadata.annotations)).toContain(
      'kube-test-apiserver/concurrent-write',
    );
  });

  it('two replicas with a Lease: one provision job per instance; the other finishes after the leader is killed', async () => {
    env = await createClusterEnv({
      sim: { durations: { provisionMs: 1500, deprovisionMs: 300 } },
    });
    const a = await env.newReplica({
      identity: 'replica-a',
      crashOnStop: true,
    });
    const b = await env.newReplica({
      identity: 'replica-b',
      crashOnStop: true,
    });
    a.controller.start();
    b.controller.start();
    await env.waitFor(
      'a leader',
      () => a.controller.isLeading() || b.controller.isLeading(),
    );
    await new Promise(r => setTimeout(r, 300));
    expect(
      [a.controller.isLeading(), b.controller.isLeading()].filter(Boolean),
    ).toHaveLength(1);
    const [leader, follower] = a.controller.isLeading() ? [a, b] : [b, a];

    const names = ['ha-1', 'ha-2', 'ha-3'];
    await Promise.all(names.map(n => env.create(n)));
    await env.waitFor(
      'every provision job launched and persisted',
      async () => {
        const all = await Promise.all(names.map(n => env.store.get(NS, n)));
        return all.every(o => o?.status.provisioningJobs?.length === 1);
      },
    );
    expect(follower.controller.isLeading()).toBe(false);

    // Killed: no graceful hand-over, the Lease stays with the dead replica until it expires.
    const killedAt = Date.now();
    await env.stopReplica(leader);
    await env.waitFor(
      'takeover',
      () => follower.controller.isLeading(),
      10_000,
    );
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(900);

    await Promise.all(names.map(n => env.waitForPhase(n, 'Running')));
    for (const name of names) {
      expect(env.simJobsOf(name)).toHaveLength(1);
      expect(env.labelledVms(name)).toHaveLength(1);
    }
    const lease = env.kube.objects('leases', {
      group: 'coordination.k8s.io',
      namespace: 'vm-lifecycle',
    })[0];
    expect((lease.spec as { holderIdentity: string }).holderIdentity).toBe(
      follower === a ? 'replica-a' : 'replica-b',
    );
  });

  it('without KubeVirt in the cluster, phase comes from the jobs and the simulator keeps its own inventory', async () => {
    env = await createClusterEnv({ kubevirt: false });
    const { controller, components } = await env.newReplica({
      leaderElection: false,
    });
    expect(components.settings.kubevirtActive).toBe(false);
    controller.start();
    await env.create('plain-1');
    const vm = await env.waitForPhase('plain-1', 'Running');
    expect(vm.status.ipAddress).toBeUndefined();
    expect(env.sim.vms()).toEqual([
      expect.objectContaining({ name: 'plain-1', uid: vm.metadata.uid }),
    ]);
  });
});
