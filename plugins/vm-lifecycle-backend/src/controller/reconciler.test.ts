import {
  RateLimitedError,
  TemplateNotFoundError,
  AapNotFoundError,
  TransientAapError,
} from '../aap/errors';
import { createHarness, NAMESPACE, POLL_MS } from '../__testUtils__/harness';

/*
 * The scenarios of DOMAIN.md section 5, each against in-memory fakes of the store and provider ports.
 */

describe('Reconciler: job states', () => {
  it('launches exactly one provision job for a new instance, Pending, and requeues to poll', async () => {
    const h = createHarness();
    await h.create('vm1');
    const result = await h.step('vm1');
    const vm = await h.mustGet('vm1');
    expect(vm.metadata.finalizers).toContain(h.names.finalizer);
    expect(h.provider.launched('provision')).toHaveLength(1);
    expect(vm.status.provisioningJobs).toEqual([
      expect.objectContaining({
        type: 'provision',
        state: 'Pending',
        configVersion: vm.status.desiredConfigVersion,
        blockDeletionOnFailure: false,
      }),
    ]);
    expect(vm.status.phase).toBe('Starting');
    expect(result.requeueAfterMs).toBeGreaterThan(0);
    // Reconciling again while it is pending launches nothing new.
    await h.steps('vm1', 3);
    expect(h.provider.launched('provision')).toHaveLength(1);
  });

  it('polls a running job until it succeeds, then the phase is Running', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const { jobID } = (await h.latest('vm1', 'provision'))!;
    h.provider.setState(jobID, 'Running');
    await h.step('vm1');
    expect((await h.latest('vm1', 'provision'))!.state).toBe('Running');
    expect((await h.mustGet('vm1')).status.phase).toBe('Starting');
    h.provider.setState(jobID, 'Succeeded');
    await h.steps('vm1', 2);
    const vm = await h.mustGet('vm1');
    expect(vm.status.provisioningJobs![0].state).toBe('Succeeded');
    expect(vm.status.phase).toBe('Running');
    expect(vm.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Ready', status: 'True' }),
        expect.objectContaining({
          type: 'ConfigurationApplied',
          status: 'True',
        }),
        expect.objectContaining({ type: 'Provisioned', status: 'True' }),
      ]),
    );
    expect(await h.eventReasons('vm1')).toEqual([
      'ProvisionJobLaunched',
      'JobStateChanged',
      'ProvisionJobSucceeded',
    ]);
  });

  it('records a failed job with its traceback, phase Failed, and retries after the backoff', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const first = (await h.latest('vm1', 'provision'))!;
    h.provider.setState(
      first.jobID,
      'Failed',
      'AAP job failed: Traceback: TASK [Create VM] quota exceeded',
    );
    await h.step('vm1');
    let vm = await h.mustGet('vm1');
    expect(vm.status.provisioningJobs![0]).toMatchObject({
      state: 'Failed',
      message: expect.stringContaining('quota exceeded'),
    });
    expect(vm.status.phase).toBe('Failed');
    const result = await h.step('vm1');
    // 2 min base backoff, counted from the failed job's launch.
    expect(result.requeueAfterMs).toBeGreaterThan(100_000);
    expect(result.requeueAfterMs).toBeLessThanOrEqual(120_000);
    expect(h.provider.launched('provision')).toHaveLength(1);
    h.clock.advance(result.requeueAfterMs!);
    await h.step('vm1');
    expect(h.provider.launched('provision')).toHaveLength(2);
    // A second failure doubles the wait.
    const second = (await h.latest('vm1', 'provision'))!;
    h.provider.setState(second.jobID, 'Failed', 'failed again');
    await h.step('vm1');
    const again = await h.step('vm1');
    expect(again.requeueAfterMs).toBeGreaterThan(200_000);
    expect(again.requeueAfterMs).toBeLessThanOrEqual(240_000);
    vm = await h.mustGet('vm1');
    expect(vm.status.phase).toBe('Failed');
  });

  it('removes the finalizer after a successful deprovision and the resource is gone', async () => {
    const h = createHarness();
    await h.provisioned('vm1');
    await h.store.delete(NAMESPACE, 'vm1');
    await h.step('vm1');
    const vm = await h.mustGet('vm1');
    expect(vm.status.phase).toBe('Deleting');
    const deprov = (await h.latest('vm1', 'deprovision'))!;
    expect(deprov).toMatchObject({
      state: 'Pending',
      blockDeletionOnFailure: true,
    });
    h.provider.setState(deprov.jobID, 'Succeeded');
    await h.steps('vm1', 2);
    expect(await h.get('vm1')).toBeUndefined();
    expect(h.provider.launched('deprovision')).toHaveLength(1);
  });
});

describe('Reconciler: error handling', () => {
  it('records no job when the launch is rate limited and requeues after Retry-After', async () => {
    const h = createHarness();
    await h.create('vm1');
    h.provider.launchErrors.push(
      new RateLimitedError('Too many requests', 429, 7000),
    );
    const result = await h.step('vm1');
    expect(result.requeueAfterMs).toBe(7000);
    const vm = await h.mustGet('vm1');
    expect(vm.status.provisioningJobs ?? []).toHaveLength(0);
    expect(vm.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'ConfigurationApplied',
          reason: 'LaunchRateLimited',
        }),
      ]),
    );
    // A wake-up before Retry-After (e.g. the watch event of its own status write) launches nothing.
    await h.step('vm1');
    expect(h.provider.calls.filter(c => c.startsWith('launch'))).toHaveLength(
      1,
    );
    h.clock.advance(7000);
    await h.step('vm1');
    expect(h.provider.launched('provision')).toHaveLength(1);
  });

  it('keeps the job state and says so when the status poll fails, then recovers', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const job = (await h.latest('vm1', 'provision'))!;
    h.provider.setState(job.jobID, 'Running');
    h.provider.statusErrors.push(
      new TransientAapError('AAP answered 502 Bad Gateway'),
    );
    const result = await h.step('vm1');
    expect(result.requeueAfterMs).toBe(POLL_MS);
    let latest = (await h.latest('vm1', 'provision'))!;
    expect(latest.state).toBe('Pending');
    expect(latest.message).toMatch(
      /Could not read the status of AAP job .*502/,
    );
    expect(await h.eventReasons('vm1')).toContain('StatusPollFailed');
    await h.step('vm1');
    latest = (await h.latest('vm1', 'provision'))!;
    expect(latest.state).toBe('Running');
  });

  it('puts a clear error on the resource and launches nothing when the template does not exist', async () => {
    const h = createHarness();
    await h.create('vm1');
    h.provider.launchErrors.push(
      new TemplateNotFoundError('osac-create-compute-instance'),
    );
    const result = await h.step('vm1');
    const vm = await h.mustGet('vm1');
    expect(vm.status.provisioningJobs ?? []).toHaveLength(0);
    expect(vm.status.phase).toBe('Failed');
    const cond = vm.status.conditions!.find(
      c => c.type === 'ConfigurationApplied',
    )!;
    expect(cond).toMatchObject({ status: 'False', reason: 'TemplateNotFound' });
    expect(cond.message).toContain('osac-create-compute-instance');
    expect(result.requeueAfterMs).toBeGreaterThanOrEqual(60_000);
  });

  it('retries quickly after a launch 404 (stale template id) and launches on the next attempt', async () => {
    const h = createHarness();
    await h.create('vm1');
    h.provider.launchErrors.push(
      new AapNotFoundError('job template 7 not found'),
    );
    const result = await h.step('vm1');
    expect(result.requeueAfterMs).toBeLessThanOrEqual(1000);
    expect((await h.mustGet('vm1')).status.provisioningJobs ?? []).toHaveLength(
      0,
    );
    await h.step('vm1');
    expect(h.provider.launched('provision')).toHaveLength(1);
  });

  it('cancel 202: waits until the provision job is terminal before deprovisioning', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const prov = (await h.latest('vm1', 'provision'))!;
    h.provider.setState(prov.jobID, 'Running');
    await h.store.delete(NAMESPACE, 'vm1');
    await h.step('vm1');
    expect(h.provider.calls).toContain(`cancel:${prov.jobID}`);
    // Still running after the cancel request: no deprovision yet, and no second cancel POST.
    await h.steps('vm1', 3);
    expect(h.provider.launched('deprovision')).toHaveLength(0);
    expect(
      h.provider.calls.filter(c => c === `cancel:${prov.jobID}`),
    ).toHaveLength(1);
    h.provider.setState(prov.jobID, 'Canceled');
    await h.steps('vm1', 2);
    expect((await h.latest('vm1', 'provision'))!.state).toBe('Canceled');
    expect(h.provider.launched('deprovision')).toHaveLength(1);
  });

  it('cancel 405: the job already finished, so deprovisioning starts at once', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const prov = (await h.latest('vm1', 'provision'))!;
    h.provider.setState(prov.jobID, 'Running');
    await h.step('vm1');
    await h.store.delete(NAMESPACE, 'vm1');
    // The job finishes between the live read and the cancel: AAP answers 405.
    const original = h.provider.cancelJob.bind(h.provider);
    h.provider.cancelJob = async (i, j) => {
      h.provider.setState(prov.jobID, 'Succeeded');
      return original(i, j);
    };
    await h.step('vm1');
    expect((await h.latest('vm1', 'provision'))!.state).toBe('Succeeded');
    await h.step('vm1');
    expect(h.provider.launched('deprovision')).toHaveLength(1);
  });

  it('treats a purged job (404) as terminal', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const prov = (await h.latest('vm1', 'provision'))!;
    h.provider.purge(prov.jobID);
    await h.step('vm1');
    const latest = (await h.latest('vm1', 'provision'))!;
    expect(latest.state).toBe('Failed');
    expect(latest.message).toMatch(/purged/);
    // And during deletion a purged provision job does not block the deprovision job.
    await h.store.delete(NAMESPACE, 'vm1');
    await h.steps('vm1', 2);
    expect(h.provider.launched('deprovision')).toHaveLength(1);
  });

  it('keeps the resource when a blocking deprovision fails, and retries after the backoff', async () => {
    const h = createHarness();
    await h.provisioned('vm1');
    await h.store.delete(NAMESPACE, 'vm1');
    await h.step('vm1');
    const first = (await h.latest('vm1', 'deprovision'))!;
    h.provider.setState(first.jobID, 'Failed', 'hypervisor unreachable');
    await h.step('vm1');
    const wait = await h.step('vm1');
    expect(await h.get('vm1')).toBeDefined();
    expect((await h.mustGet('vm1')).metadata.finalizers).toContain(
      h.names.finalizer,
    );
    expect(wait.requeueAfterMs).toBeGreaterThan(100_000);
    expect(h.provider.launched('deprovision')).toHaveLength(1);
    h.clock.advance(wait.requeueAfterMs!);
    await h.step('vm1');
    expect(h.provider.launched('deprovision')).toHaveLength(2);
    const second = (await h.latest('vm1', 'deprovision'))!;
    h.provider.setState(second.jobID, 'Succeeded');
    await h.steps('vm1', 2);
    expect(await h.get('vm1')).toBeUndefined();
  });
});

describe('Reconciler: concurrency', () => {
  it('delete while provisioning: provision canceled, exactly one deprovision job with a stable id, resource gone', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const prov = (await h.latest('vm1', 'provision'))!;
    h.provider.setState(prov.jobID, 'Running');
    await h.store.delete(NAMESPACE, 'vm1');
    await h.step('vm1');
    expect((await h.mustGet('vm1')).status.phase).toBe('Deleting');
    h.provider.setState(prov.jobID, 'Canceled');
    await h.steps('vm1', 2);
    const deprov = (await h.latest('vm1', 'deprovision'))!;
    for (const state of ['Running', 'Running', 'Running'] as const) {
      h.provider.setState(deprov.jobID, state);
      await h.step('vm1');
      expect((await h.latest('vm1', 'deprovision'))!.jobID).toBe(deprov.jobID);
    }
    h.provider.setState(deprov.jobID, 'Succeeded');
    await h.steps('vm1', 2);
    expect(await h.get('vm1')).toBeUndefined();
    expect(h.provider.launched('deprovision')).toHaveLength(1);
    expect(h.provider.jobs.get(prov.jobID)!.cancelRequested).toBe(true);
  });

  it('two reconciles back to back launch one provision job', async () => {
    const h = createHarness();
    await h.create('vm1');
    const a = h.newReconciler().reconciler;
    const b = h.newReconciler().reconciler;
    await a.reconcile(`${NAMESPACE}/vm1`);
    await b.reconcile(`${NAMESPACE}/vm1`);
    await a.reconcile(`${NAMESPACE}/vm1`);
    expect(h.provider.launched('provision')).toHaveLength(1);
  });

  it('retries a status write that hits a conflict with a fresh copy and launches no second job', async () => {
    const h = createHarness();
    await h.create('vm1');
    let injected = 0;
    h.store.beforeWrite = async (kind, obj) => {
      if (kind === 'updateStatus' && injected === 0) {
        injected++;
        // Someone else writes first (e.g. a label change), so our status write is stale.
        await h.store.update({
          ...obj,
          metadata: { ...obj.metadata, labels: { touched: 'yes' } },
        });
      }
    };
    await h.step('vm1');
    h.store.beforeWrite = undefined;
    expect(injected).toBe(1);
    const vm = await h.mustGet('vm1');
    expect(vm.metadata.labels).toEqual({ touched: 'yes' });
    expect(vm.status.provisioningJobs).toHaveLength(1);
    await h.steps('vm1', 3);
    expect(h.provider.launched('provision')).toHaveLength(1);
  });

  it('remembers a launched job id whose status write failed, so no duplicate job is launched', async () => {
    const h = createHarness();
    await h.create('vm1');
    h.store.beforeWrite = async kind => {
      if (kind === 'updateStatus') throw new Error('database is unavailable');
    };
    await expect(h.step('vm1')).rejects.toThrow('database is unavailable');
    h.store.beforeWrite = undefined;
    await h.step('vm1');
    expect(h.provider.launched('provision')).toHaveLength(1);
    expect(await h.provisionJobs('vm1')).toEqual([
      expect.objectContaining({
        jobID: h.provider.launched('provision')[0].id,
      }),
    ]);
  });

  it('a controller restarted mid-provision resumes from status without a second job', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const prov = (await h.latest('vm1', 'provision'))!;
    h.provider.setState(prov.jobID, 'Running');
    h.restartController();
    await h.step('vm1');
    h.provider.setState(prov.jobID, 'Succeeded');
    await h.steps('vm1', 2);
    expect((await h.mustGet('vm1')).status.phase).toBe('Running');
    expect(h.provider.launched('provision')).toHaveLength(1);
  });

  it('a controller restarted mid-delete resumes from status without a second deprovision job', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const prov = (await h.latest('vm1', 'provision'))!;
    h.provider.setState(prov.jobID, 'Running');
    await h.store.delete(NAMESPACE, 'vm1');
    await h.step('vm1');
    h.restartController();
    h.provider.setState(prov.jobID, 'Canceled');
    await h.steps('vm1', 2);
    const deprov = (await h.latest('vm1', 'deprovision'))!;
    h.restartController();
    h.provider.setState(deprov.jobID, 'Running');
    await h.steps('vm1', 2);
    h.restartController();
    h.provider.setState(deprov.jobID, 'Succeeded');
    await h.steps('vm1', 2);
    expect(await h.get('vm1')).toBeUndefined();
    expect(h.provider.launched('deprovision')).toHaveLength(1);
    expect(h.provider.launched('provision')).toHaveLength(1);
  });
});

describe('Reconciler: edge cases', () => {
  it('launches a new provision job with the new config version after a spec change; A -> B -> A is applied only when the latest job matches', async () => {
    const h = createHarness();
    const vm = await h.provisioned('vm1');
    const versionA = vm.status.desiredConfigVersion!;
    await h.store.update({
      ...vm,
      spec: { ...vm.spec, runStrategy: 'Halted' },
    });
    await h.step('vm1');
    const jobB = (await h.latest('vm1', 'provision'))!;
    expect(jobB.configVersion).not.toBe(versionA);
    expect((await h.mustGet('vm1')).status.phase).toBe('Stopping');
    // Back to A while B is still running: A is not "applied" just because an old job had version A.
    const current = await h.mustGet('vm1');
    await h.store.update({
      ...current,
      spec: { ...current.spec, runStrategy: 'Always' },
    });
    await h.step('vm1');
    expect((await h.mustGet('vm1')).status.desiredConfigVersion).toBe(versionA);
    expect((await h.mustGet('vm1')).status.phase).toBe('Starting');
    h.provider.setState(jobB.jobID, 'Succeeded');
    await h.steps('vm1', 2);
    const jobA2 = (await h.latest('vm1', 'provision'))!;
    expect(jobA2.jobID).not.toBe(jobB.jobID);
    expect(jobA2.configVersion).toBe(versionA);
    h.provider.setState(jobA2.jobID, 'Succeeded');
    await h.steps('vm1', 2);
    expect((await h.mustGet('vm1')).status.phase).toBe('Running');
    expect(h.provider.launched('provision')).toHaveLength(3);
  });

  it('caps the job history at N and picks the latest job by timestamp, not array position', async () => {
    const h = createHarness({ maxJobHistory: 3 });
    let vm = await h.provisioned('vm1');
    for (let i = 0; i < 4; i++) {
      vm = await h.mustGet('vm1');
      await h.store.update({
        ...vm,
        spec: {
          ...vm.spec,
          restartRequestedAt: new Date(h.clock.now() + 1000).toISOString(),
        },
      });
      await h.step('vm1');
      const job = (await h.latest('vm1', 'provision'))!;
      h.provider.setState(job.jobID, 'Succeeded');
      await h.steps('vm1', 2);
    }
    vm = await h.mustGet('vm1');
    expect(vm.status.provisioningJobs).toHaveLength(3);
    const ids = h.provider.launched('provision').map(j => j.id);
    expect(vm.status.provisioningJobs!.map(j => j.jobID)).toEqual(
      ids.slice(-3),
    );
    // Shuffled array order: the latest is still the newest timestamp, so nothing is re-launched.
    const shuffled = [...vm.status.provisioningJobs!].reverse();
    await h.store.updateStatus({
      ...vm,
      status: { ...vm.status, provisioningJobs: shuffled },
    });
    await h.steps('vm1', 2);
    expect(h.provider.launched('provision')).toHaveLength(5);
    expect((await h.mustGet('vm1')).status.phase).toBe('Running');
  });

  it('runs a restart for a newer restartRequestedAt, sets lastRestartedAt, and ignores an older one', async () => {
    const h = createHarness();
    let vm = await h.provisioned('vm1');
    const t1 = new Date(h.clock.now()).toISOString();
    await h.store.update({
      ...vm,
      spec: { ...vm.spec, restartRequestedAt: t1 },
    });
    await h.step('vm1');
    vm = await h.mustGet('vm1');
    expect(vm.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'RestartInProgress', status: 'True' }),
      ]),
    );
    const restartJob = (await h.latest('vm1', 'provision'))!;
    h.provider.setState(restartJob.jobID, 'Succeeded');
    await h.steps('vm1', 2);
    vm = await h.mustGet('vm1');
    expect(vm.status.lastRestartedAt).toBe(t1);
    expect(vm.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'RestartInProgress', status: 'False' }),
      ]),
    );
    expect(await h.eventReasons('vm1')).toContain('RestartApplied');
    const older = new Date(Date.parse(t1) - 60_000).toISOString();
    await h.store.update({
      ...vm,
      spec: { ...vm.spec, restartRequestedAt: older },
    });
    await h.steps('vm1', 3);
    expect(h.provider.launched('provision')).toHaveLength(2);
    expect((await h.mustGet('vm1')).status.phase).toBe('Running');
  });
});
