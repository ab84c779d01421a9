import {
  isFinished,
  launchBody,
  SimHarness,
  startSimulator,
} from './testing/simTestHarness';

const CREATE = 'osac-create-compute-instance';

/** Answers lost after the work was done: the job exists in AAP although the client saw no 201. */
describe('answer faults: the request is carried out, its answer is not', () => {
  let h: SimHarness;

  beforeEach(async () => {
    h = await startSimulator({ durations: { provisionMs: 300 } });
  });

  afterEach(async () => {
    await h.close();
  });

  async function launch(): Promise<Response> {
    const tid = await h.templateId(CREATE);
    return h.api(`job_templates/${tid}/launch/`, {
      method: 'POST',
      body: JSON.stringify(
        launchBody({ namespace: 'ns', name: 'a', uid: 'u1' }),
      ),
    });
  }

  it('a lost launch answer resets the connection, yet the job was created and runs', async () => {
    h.sim.setFaults({ lostAnswers: { launch: { next: 1 } } });
    await expect(launch()).rejects.toThrow(/fetch failed/);
    expect(h.sim.jobs()).toEqual([
      expect.objectContaining({
        template: CREATE,
        instance: expect.objectContaining({ uid: 'u1' }),
      }),
    ]);
    const [job] = h.sim.jobs();
    expect((await h.waitForJob(job.id, isFinished)).status).toBe('successful');
    // The rule was for the next call only.
    expect((await launch()).status).toBe(201);
    expect(h.sim.jobs()).toHaveLength(2);
  });

  it('a gateway 504 after processing: the client reads an HTML 504, the job exists', async () => {
    h.sim.setFaults({ gatewayErrors: { launch: { next: 1, status: 504 } } });
    const res = await launch();
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/504 Gateway Time-out/);
    expect(h.sim.jobs()).toHaveLength(1);
  });

  it('a slow answer arrives only after delayMs; a client with a shorter time-out gives up while the job runs', async () => {
    h.sim.setFaults({ slowAnswers: { launch: { next: 1, delayMs: 400 } } });
    const tid = await h.templateId(CREATE);
    const started = Date.now();
    await expect(
      h.api(`job_templates/${tid}/launch/`, {
        method: 'POST',
        body: JSON.stringify(launchBody({ namespace: 'ns', name: 'a' })),
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(350);
    expect(h.sim.jobs()).toHaveLength(1);
    // A patient client gets the real 201 after the delay.
    h.sim.setFaults({ slowAnswers: { launch: { next: 1, delayMs: 150 } } });
    const res = await launch();
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('a lost cancel answer: the cancel took effect', async () => {
    const id = await h.launch(CREATE, { namespace: 'ns', name: 'c' });
    h.sim.setFaults({ lostAnswers: { cancel: { next: 1 } } });
    await expect(
      h.api(`jobs/${id}/cancel/`, { method: 'POST' }),
    ).rejects.toThrow();
    expect((await h.waitForJob(id, isFinished)).status).toBe('canceled');
    expect((await h.api(`jobs/${id}/cancel/`, { method: 'POST' })).status).toBe(
      405,
    );
  });

  it('hits about `rate` of the requests, the same ones for the same seed, and can be switched off', async () => {
    const pattern = async () => {
      const s = await startSimulator({
        seed: 3,
        durations: { provisionMs: 50 },
      });
      try {
        s.sim.setFaults({
          gatewayErrors: { job_status: { rate: 0.5, status: 502 } },
        });
        const id = await s.launch(CREATE, { namespace: 'ns', name: 'r' });
        const statuses: number[] = [];
        for (let i = 0; i < 40; i++)
          statuses.push((await s.api(`jobs/${id}/`)).status);
        s.sim.setFaults({ gatewayErrors: { job_status: null as never } });
        statuses.push((await s.api(`jobs/${id}/`)).status);
        return statuses;
      } finally {
        await s.close();
      }
    };
    const first = await pattern();
    const failed = first.filter(st => st === 502).length;
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(32);
    expect(first[first.length - 1]).toBe(200);
    expect(await pattern()).toEqual(first);
  });

  it('is set and shown through /_sim/faults, which refuses nonsense naming the field', async () => {
    const post = (body: unknown) =>
      fetch(`${h.url}/_sim/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await post({
      lostAnswers: { launch: { rate: 0.3 }, cancel: { rate: 0.3 } },
      slowAnswers: { eda_post: { next: 2, delayMs: 1000 } },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(
      expect.objectContaining({
        lostAnswers: { launch: { rate: 0.3 }, cancel: { rate: 0.3 } },
        slowAnswers: { eda_post: { next: 2, delayMs: 1000 } },
      }),
    );
    const bad = await post({ slowAnswers: { launch: { next: 1 } } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).detail).toMatch(/slowAnswers\.launch\.delayMs/);
    const badStatus = await post({
      gatewayErrors: { launch: { next: 1, status: 500 } },
    });
    expect((await badStatus.json()).detail).toMatch(/502, 503 or 504/);
  });
});
