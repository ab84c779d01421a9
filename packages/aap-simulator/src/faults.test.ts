import { FaultState } from './faults';
import { PLAYBOOKS } from './playbooks';
import {
  isFinished,
  launchBody,
  SimHarness,
  startSimulator,
} from './testing/simTestHarness';

const CREATE = 'osac-create-compute-instance';

describe('fault injection over HTTP', () => {
  let h: SimHarness;

  beforeEach(async () => {
    h = await startSimulator();
  });

  afterEach(async () => {
    await h.close();
  });

  async function launchRaw(): Promise<Response> {
    const tid = await h.templateId(CREATE);
    return h.api(`job_templates/${tid}/launch/`, {
      method: 'POST',
      body: JSON.stringify(launchBody({ namespace: 'ns', name: 'f' })),
    });
  }

  it('rate-limits the next launches with 429 and Retry-After, then launches again', async () => {
    h.sim.setFaults({
      failNextLaunches: 2,
      launchStatus: 429,
      retryAfterSeconds: 7,
    });
    for (let i = 0; i < 2; i++) {
      const res = await launchRaw();
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect((await res.json()).detail).toMatch(/throttled/);
    }
    expect((await launchRaw()).status).toBe(201);
    expect(h.sim.jobs()).toHaveLength(1);
    expect(h.sim.requestCounts().launch).toBe(3);
  });

  it('answers launches with 500 by default and without Retry-After', async () => {
    h.sim.setFaults({ failNextLaunches: 1 });
    const res = await launchRaw();
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(h.sim.jobs()).toEqual([]);
  });

  it('fails the next status polls, job detail and batch alike', async () => {
    const id = (await (await launchRaw()).json()).id;
    h.sim.setFaults({
      failNextStatusPolls: 2,
      statusPollStatus: 503,
      retryAfterSeconds: 2,
    });
    const detail = await h.api(`jobs/${id}/`);
    expect(detail.status).toBe(503);
    expect(detail.headers.get('retry-after')).toBe('2');
    expect((await h.api(`unified_jobs/?id__in=${id}`)).status).toBe(503);
    expect((await h.api(`jobs/${id}/`)).status).toBe(200);
  });

  it('drops the next connections without an answer', async () => {
    h.sim.setFaults({ dropNextConnections: 1 });
    await expect(h.api(`job_templates/?name=${CREATE}`)).rejects.toThrow();
    expect((await h.api(`job_templates/?name=${CREATE}`)).status).toBe(200);
  });

  it('delays answers by latencyMs', async () => {
    h.sim.setFaults({ latencyMs: 150 });
    const started = Date.now();
    expect((await h.api(`job_templates/?name=${CREATE}`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    // Simulation controls stay fast so a test can always switch the fault off.
    const controlStarted = Date.now();
    await fetch(`${h.url}/_sim/jobs`);
    expect(Date.now() - controlStarted).toBeLessThan(140);
  });

  it('purged jobs answer 404 everywhere', async () => {
    const id = await h.launch(CREATE, { namespace: 'ns', name: 'p' });
    await h.waitForJob(id, isFinished);
    h.sim.setFaults({ purgeJobs: [id] });
    for (const path of [
      `jobs/${id}/`,
      `jobs/${id}/cancel/`,
      `jobs/${id}/stdout/?format=txt`,
      `jobs/${id}/job_events/`,
    ]) {
      expect((await h.api(path)).status).toBe(404);
    }
    expect((await h.api(`jobs/${id}/cancel/`, { method: 'POST' })).status).toBe(
      404,
    );
    expect(
      (await (await h.api(`unified_jobs/?id__in=${id}`)).json()).count,
    ).toBe(0);
    expect(h.sim.jobs()).toEqual([
      expect.objectContaining({ id, purged: true }),
    ]);
  });

  it('a job purged while running stops and never creates its VM', async () => {
    const s = await startSimulator({
      durations: { provisionMs: 400 },
      queueDelayMs: 0,
    });
    try {
      const id = await s.launch(CREATE, { namespace: 'ns', name: 'cut' });
      s.sim.setFaults({ purgeJobs: [id] });
      await new Promise(resolve => setTimeout(resolve, 500));
      expect(s.sim.vms()).toEqual([]);
      expect((await s.api(`jobs/${id}/`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('fails jobs at random tasks; a VM exists only when the failure came after "Create VM"', async () => {
    const s = await startSimulator({
      durations: { provisionMs: 100 },
      queueDelayMs: 0,
      seed: 42,
    });
    try {
      s.sim.setFaults({ jobFailureRate: 1 });
      const ids: number[] = [];
      for (let i = 0; i < 20; i++)
        ids.push(
          await s.launch(CREATE, {
            namespace: 'ns',
            name: `vm-${i}`,
            uid: `u${i}`,
          }),
        );
      const createIndex = PLAYBOOKS.provision.tasks.findIndex(
        t => t.name === 'Create VM',
      );
      const failedAt = new Set<string>();
      for (const [i, id] of ids.entries()) {
        const job = await s.waitForJob(id, isFinished);
        expect(job.status).toBe('failed');
        const task = /^TASK \[([^\]]+)\]/.exec(job.result_traceback)![1];
        failedAt.add(task);
        const taskIndex = PLAYBOOKS.provision.tasks.findIndex(
          t => t.name === task,
        );
        const hasVm = s.sim.vms().some(vm => vm.name === `vm-${i}`);
        expect(hasVm).toBe(taskIndex > createIndex);
      }
      expect(failedAt.size).toBeGreaterThan(1);
    } finally {
      await s.close();
    }
  });

  it('jobFailureRate fails about that fraction of jobs, the same ones for the same seed', async () => {
    const outcomes = async () => {
      const s = await startSimulator({
        durations: { provisionMs: 30 },
        queueDelayMs: 0,
        seed: 7,
      });
      try {
        s.sim.setFaults({ jobFailureRate: 0.3 });
        const ids: number[] = [];
        for (let i = 0; i < 60; i++)
          ids.push(await s.launch(CREATE, { namespace: 'ns', name: `r${i}` }));
        const statuses: string[] = [];
        for (const id of ids)
          statuses.push((await s.waitForJob(id, isFinished)).status);
        return statuses;
      } finally {
        await s.close();
      }
    };
    const first = await outcomes();
    const failed = first.filter(st => st === 'failed').length;
    expect(failed).toBeGreaterThan(6);
    expect(failed).toBeLessThan(30);
    expect(await outcomes()).toEqual(first);
  }, 60_000);
});

describe('FaultState', () => {
  it('merges updates and consumes counters one request at a time', () => {
    const faults = new FaultState();
    faults.merge({ failNextLaunches: 1, launchStatus: 503 });
    faults.merge({ latencyMs: 5 });
    expect(faults.snapshot()).toEqual({
      failNextLaunches: 1,
      launchStatus: 503,
      latencyMs: 5,
    });
    expect(faults.takeLaunchFailure()).toEqual({
      status: 503,
      retryAfterSeconds: 1,
    });
    expect(faults.takeLaunchFailure()).toBeUndefined();
    expect(faults.takeStatusPollFailure()).toBeUndefined();
  });

  it('rejects nonsense', () => {
    const faults = new FaultState();
    expect(() => faults.merge({ jobFailureRate: -0.1 })).toThrow(
      /between 0 and 1/,
    );
    expect(() =>
      faults.merge({ latencyMs: 'slow' as unknown as number }),
    ).toThrow(/finite number/);
  });
});
