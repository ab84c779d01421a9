/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "expectHidden"] }] */
import {
  AAP_TOKEN,
  ApiBackend,
  apiCaller,
  startApiBackend,
} from '../__testUtils__/apiBackend';
import {
  FaultProxy,
  ProxyFault,
  startFaultProxy,
} from '../__testUtils__/faultProxy';
import { waitFor } from '../__testUtils__/waitFor';

jest.setTimeout(90_000);

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('per-user write rate limit', () => {
  let api: ApiBackend;
  let call: ReturnType<typeof apiCaller>;

  beforeAll(async () => {
    api = await startApiBackend({
      vmLifecycle: {
        rateLimit: { writes: { limit: 3, window: { seconds: 3 } } },
      },
    });
    call = apiCaller(api.server);
  });
  afterAll(async () => {
    await api.stop();
  });

  const names = async () =>
    (await call('get', '/instances', 'carol')).body.items
      .map((i: any) => i.metadata.name)
      .sort();

  it('answers 429 with Retry-After past the limit, counts refused writes, stores nothing, and spares reads and other users', async () => {
    await call('post', '/instances')
      .send({
        metadata: { name: 'rl-1' },
        spec: { templateID: 'fedora_small' },
      })
      .expect(201);
    await call('patch', '/instances/default/rl-1')
      .send({ spec: { cores: 64 } })
      .expect(422);
    await call('post', '/instances')
      .send({ metadata: { name: 'Not Valid' }, spec: {} })
      .expect(400);
    const before = await names();

    const limited = await call('post', '/instances').send({
      metadata: { name: 'rl-2' },
      spec: { templateID: 'fedora_small' },
    });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);
    expect(limited.body.error).toEqual({
      name: 'TooManyRequestsError',
      message: expect.stringContaining('at most 3 per 3 s per user'),
    });
    await call('delete', '/instances/default/rl-1').expect(429);
    expect(await names()).toEqual(before);

    await call('get', '/instances').expect(200);
    await call('get', '/instances/default/rl-1').expect(200);
    await call('post', '/instances', 'bob')
      .send({
        metadata: { name: 'rl-bob' },
        spec: { templateID: 'fedora_small' },
      })
      .expect(201);

    await sleep(retryAfter * 1000 + 100);
    await call('post', '/instances')
      .send({
        metadata: { name: 'rl-2' },
        spec: { templateID: 'fedora_small' },
      })
      .expect(201);
  });
});

describe('job output', () => {
  let api: ApiBackend;
  let call: ReturnType<typeof apiCaller>;
  let proxy: FaultProxy;
  let simUrl: string;
  let jobID: string;

  beforeAll(async () => {
    api = await startApiBackend({
      aapUrl: async url => {
        simUrl = url;
        proxy = await startFaultProxy(url);
        return proxy.url;
      },
      vmLifecycle: {
        jobOutput: { cacheTtl: { seconds: 2 }, maxCharacters: 300 },
      },
    });
    call = apiCaller(api.server);
    await call('post', '/instances')
      .send({
        metadata: { name: 'out-1' },
        spec: { templateID: 'fedora_small' },
      })
      .expect(201);
    const vm = await waitFor('out-1 Running', async () => {
      const res = await call('get', '/instances/default/out-1');
      return res.body.status?.phase === 'Running' ? res.body : undefined;
    });
    jobID = vm.status.provisioningJobs[0].jobID;
  });
  afterAll(async () => {
    await api.stop();
    await proxy.close();
  });

  const stdoutPath = () => `/instances/default/out-1/jobs/${jobID}/stdout`;
  const stdoutReads = () => api.sim.requestCounts().stdout ?? 0;
  const fullOutput = async () =>
    (
      await fetch(`${simUrl}/api/v2/jobs/${jobID}/stdout/?format=txt`, {
        headers: { Authorization: `Bearer ${AAP_TOKEN}` },
      })
    ).text();

  it('asks AAP once per job however many browsers read it at once, and at most once per TTL after', async () => {
    await sleep(2100);
    const first = stdoutReads();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call('get', stdoutPath(), i % 2 ? 'alice' : 'carol'),
      ),
    );
    expect(answers.map(a => a.status)).toEqual(Array(20).fill(200));
    expect(stdoutReads() - first).toBe(1);

    const started = Date.now();
    while (Date.now() - started < 5000) {
      await call('get', stdoutPath()).expect(200);
      await sleep(100);
    }
    // 5 s of polling every 100 ms with a 2 s TTL: at most one read per TTL.
    expect(stdoutReads() - first).toBeLessThanOrEqual(4);
  });

  it('caps the output, says so, and serves the whole text as a download', async () => {
    const whole = await fullOutput();
    expect(whole.length).toBeGreaterThan(300);

    const capped = await call('get', stdoutPath());
    expect(capped.headers['content-type']).toMatch(/text\/plain/);
    expect(capped.headers['x-output-truncated']).toBe('true');
    expect(Number(capped.headers['x-output-length'])).toBe(whole.length);
    expect(capped.text).toMatch(
      /^\[\d+ earlier characters not shown; download the full output/,
    );
    const shown = capped.text.slice(capped.text.indexOf('\n') + 1);
    expect(shown.length).toBeLessThanOrEqual(300);
    expect(whole.endsWith(shown)).toBe(true);
    expect(shown).toMatch(/PLAY RECAP/);

    const json = await call('get', stdoutPath()).set(
      'Accept',
      'application/json',
    );
    // The portal's JSON keeps Ansible's colours for its log viewer and counts them.
    const wholeAnsi = await (
      await fetch(`${simUrl}/api/v2/jobs/${jobID}/stdout/?format=ansi`, {
        headers: { Authorization: `Bearer ${AAP_TOKEN}` },
      })
    ).text();
    expect(wholeAnsi).toContain('\u001b[');
    expect(json.body).toMatchObject({
      totalChars: wholeAnsi.length,
      truncated: true,
    });
    const shownAnsi = json.body.text.slice(json.body.text.indexOf('\n') + 1);
    expect(shownAnsi.length).toBeLessThanOrEqual(300);
    expect(wholeAnsi.endsWith(shownAnsi)).toBe(true);

    const download = await call('get', `${stdoutPath()}?full=true`);
    expect(download.status).toBe(200);
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="default-out-1-job-${jobID}.txt"`,
    );
    expect(download.text).toBe(whole);
    await call('get', `${stdoutPath()}?full=maybe`).expect(400);
  });

  it('answers 503 without AAP internals when AAP is unreachable or fails, keeps the detail in the log, and does not hammer it', async () => {
    const internals = [
      proxy.url,
      simUrl,
      '127.0.0.1',
      '/api/controller',
      'aap-internal.corp.example',
    ];
    const faults: ProxyFault[] = [
      { kind: 'reset' },
      {
        kind: 'respond',
        status: 502,
        body: '<html><body>Bad gateway: https://aap-internal.corp.example:8443/api/controller/v2/jobs/ refused</body></html>',
      },
      {
        kind: 'respond',
        status: 500,
        contentType: 'application/json',
        body: '{"detail":"Traceback: aap-internal.corp.example database is down"}',
      },
    ];
    async function expectHidden(fault: ProxyFault) {
      await sleep(2100);
      proxy.inject(/\/stdout\//, fault);
      const attempts = () =>
        proxy.requests.filter(p => p.includes('/stdout/')).length;
      const before = attempts();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => call('get', stdoutPath())),
      );
      const res = answers[0];
      expect({ fault: fault.kind, status: res.status }).toEqual({
        fault: fault.kind,
        status: 503,
      });
      for (const text of internals) {
        expect(answers.every(a => !a.text.includes(text))).toBe(true);
      }
      const logId = /logId=([0-9a-f]+)/.exec(res.body.error.message)?.[1];
      expect(logId).toBeDefined();
      expect(
        api.logger.lines.some(
          l =>
            l.includes(`logId=${logId}`) &&
            l.includes(`AAP output of job ${jobID} failed`),
        ),
      ).toBe(true);
      // One read and its retries for all five callers; the failure is kept for the TTL.
      const tried = attempts() - before;
      await call('get', stdoutPath()).expect(503);
      expect(attempts() - before).toBe(tried);
      expect(tried).toBeLessThanOrEqual(4);
      proxy.inject(undefined);
    }
    for (const fault of faults) await expectHidden(fault);
  });
});
