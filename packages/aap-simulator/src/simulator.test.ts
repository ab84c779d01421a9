import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAapSimulator } from './simulator';
import { stripAnsi } from './playbooks';
import {
  isFinished,
  launchBody,
  SimHarness,
  startSimulator,
  TEST_TOKEN,
} from './testing/simTestHarness';

const CREATE = 'osac-create-compute-instance';
const DELETE = 'osac-delete-compute-instance';

describe('AAP simulator over HTTP', () => {
  let h: SimHarness;

  beforeEach(async () => {
    h = await startSimulator();
  });

  afterEach(async () => {
    await h.close();
  });

  describe('authentication', () => {
    it('answers 401 without credentials, like AWX', async () => {
      const res = await fetch(`${h.url}/api/v2/job_templates/?name=${CREATE}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
      expect(await res.json()).toEqual({
        detail: 'Authentication credentials were not provided.',
      });
    });

    it('answers 401 for a wrong token', async () => {
      const res = await h.api('jobs/1/', {
        headers: { Authorization: 'Bearer nope' },
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ detail: 'Invalid token.' });
    });

    it('needs no token for /_sim controls on loopback', async () => {
      const res = await fetch(`${h.url}/_sim/vms`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ items: [] });
    });
  });

  describe('template lookup', () => {
    it.each(['/api/v2', '/api/controller/v2'])(
      'finds job templates by name under %s',
      async base => {
        const res = await h.api(`job_templates/?name=${CREATE}`, { base });
        expect(res.status).toBe(200);
        const body = await res.json();
        expect(body).toMatchObject({ count: 1, next: null, previous: null });
        expect(body.results[0]).toMatchObject({
          name: CREATE,
          type: 'job_template',
          ask_variables_on_launch: true,
          url: `${base}/job_templates/${body.results[0].id}/`,
        });
        expect(typeof body.results[0].id).toBe('number');
      },
    );

    it('answers an empty list for unknown names and for the other template kind', async () => {
      const unknown = await (await h.api('job_templates/?name=nope')).json();
      expect(unknown).toEqual({
        count: 0,
        next: null,
        previous: null,
        results: [],
      });
      const asWorkflow = await (
        await h.api(`workflow_job_templates/?name=${CREATE}`)
      ).json();
      expect(asWorkflow.count).toBe(0);
    });

    it('serves workflow job templates when configured', async () => {
      const w = await startSimulator({
        workflowTemplates: true,
        templatePrefix: 'acme',
      });
      try {
        const name = 'acme-create-compute-instance';
        for (const base of ['/api/v2', '/api/controller/v2']) {
          const body = await (
            await w.api(`workflow_job_templates/?name=${name}`, { base })
          ).json();
          expect(body.count).toBe(1);
          expect(body.results[0]).toMatchObject({
            name,
            type: 'workflow_job_template',
          });
        }
        expect(
          (await (await w.api(`job_templates/?name=${name}`)).json()).count,
        ).toBe(0);
      } finally {
        await w.close();
      }
    });

    it('redirects a GET without trailing slash and refuses a slashless POST', async () => {
      const get = await h.api('job_templates', { redirect: 'manual' });
      expect(get.status).toBe(301);
      expect(get.headers.get('location')).toBe('/api/v2/job_templates/');
      const id = await h.templateId(CREATE);
      const post = await h.api(`job_templates/${id}/launch`, {
        method: 'POST',
        body: '{}',
      });
      expect(post.status).toBe(404);
    });
  });

  describe('launch', () => {
    it('answers 201 with the job, its id under id and job, and an empty ignored_fields', async () => {
      const id = await h.templateId(CREATE);
      const res = await h.api(`job_templates/${id}/launch/`, {
        method: 'POST',
        body: JSON.stringify(
          launchBody({ namespace: 'ns', name: 'vm-a', uid: 'uid-a' }),
        ),
      });
      expect(res.status).toBe(201);
      const body = await res.json();
      expect(body).toMatchObject({
        type: 'job',
        status: 'pending',
        ignored_fields: {},
        failed: false,
      });
      expect(body.job).toBe(body.id);
      expect(body.url).toBe(`/api/v2/jobs/${body.id}/`);
      expect(res.headers.get('location')).toBe(body.url);
      expect(
        JSON.parse(body.extra_vars).ansible_eda.event.payload.metadata.name,
      ).toBe('vm-a');
    });

    it('accepts extra_vars given as a JSON string', async () => {
      const id = await h.templateId(CREATE);
      const res = await h.api(`job_templates/${id}/launch/`, {
        method: 'POST',
        body: JSON.stringify({
          extra_vars: JSON.stringify(
            launchBody({ namespace: 'ns', name: 'vm-s', uid: 'u' }).extra_vars,
          ),
        }),
      });
      expect(res.status).toBe(201);
      const jobId = (await res.json()).id;
      expect(h.sim.jobs().find(j => j.id === jobId)?.instance).toEqual({
        namespace: 'ns',
        name: 'vm-s',
        uid: 'u',
      });
    });

    it('answers 400 for unparseable extra_vars and 404 for an unknown template', async () => {
      const id = await h.templateId(CREATE);
      const bad = await h.api(`job_templates/${id}/launch/`, {
        method: 'POST',
        body: JSON.stringify({ extra_vars: '{not json' }),
      });
      expect(bad.status).toBe(400);
      expect((await bad.json()).extra_vars).toHaveLength(1);
      const missing = await h.api('job_templates/9999/launch/', {
        method: 'POST',
        body: '{}',
      });
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ detail: 'Not found.' });
    });

    it('launches a workflow job with workflow_job set, and it is 404 at jobs/{id}/', async () => {
      const w = await startSimulator({ workflowTemplates: true });
      try {
        const tid = await w.templateId(CREATE, 'workflow');
        const res = await w.api(`workflow_job_templates/${tid}/launch/`, {
          method: 'POST',
          body: JSON.stringify(
            launchBody({ namespace: 'ns', name: 'wf', uid: 'w1' }),
          ),
        });
        expect(res.status).toBe(201);
        const body = await res.json();
        expect(body).toMatchObject({
          type: 'workflow_job',
          workflow_job: body.id,
          status: 'pending',
        });
        expect(body.job).toBeUndefined();

        expect((await w.api(`jobs/${body.id}/`)).status).toBe(404);
        const done = await w.waitForJob(body.id, isFinished, 'workflow_jobs');
        expect(done).toMatchObject({
          type: 'workflow_job',
          status: 'successful',
          failed: false,
        });
        expect(w.sim.vms()).toEqual([
          expect.objectContaining({ name: 'wf', createdByJob: body.id }),
        ]);

        // ...and a plain job is 404 at workflow_jobs/{id}/.
        const jt = await startSimulator();
        try {
          const jobId = await jt.launch(CREATE, { namespace: 'ns', name: 'j' });
          expect((await jt.api(`workflow_jobs/${jobId}/`)).status).toBe(404);
        } finally {
          await jt.close();
        }
      } finally {
        await w.close();
      }
    });

    it('reports ignored extra_vars when the template does not ask for variables on launch', async () => {
      const s = await startSimulator({
        extraTemplates: [
          {
            name: 'strict-create',
            kind: 'job',
            action: 'provision',
            askVariablesOnLaunch: false,
          },
        ],
      });
      try {
        const tid = await s.templateId('strict-create');
        const lookup = await (
          await s.api('job_templates/?name=strict-create')
        ).json();
        expect(lookup.results[0].ask_variables_on_launch).toBe(false);
        const sent = launchBody({ namespace: 'ns', name: 'ignored', uid: 'i' });
        const res = await s.api(`job_templates/${tid}/launch/`, {
          method: 'POST',
          body: JSON.stringify(sent),
        });
        expect(res.status).toBe(201);
        const body = await res.json();
        expect(body.ignored_fields).toEqual({ extra_vars: sent.extra_vars });
        expect(body.extra_vars).toBe('{}');
        // Without its variables the playbook fails the way Ansible does on an undefined variable.
        const done = await s.waitForJob(body.id, isFinished);
        expect(done.status).toBe('failed');
        expect(done.result_traceback).toMatch(/'ansible_eda' is undefined/);
        expect(s.sim.vms()).toEqual([]);
      } finally {
        await s.close();
      }
    });
  });

  describe('job lifecycle', () => {
    it('moves pending -> waiting -> running -> successful and creates the VM', async () => {
      const id = await h.launch(CREATE, {
        namespace: 'team-a',
        name: 'web-1',
        uid: 'uid-1',
      });
      const seen = new Set<string>();
      const done = await h.waitForJob(id, job => {
        seen.add(job.status);
        return isFinished(job);
      });
      expect(done).toMatchObject({
        status: 'successful',
        failed: false,
        result_traceback: '',
        name: CREATE,
      });
      expect(done.started).not.toBeNull();
      expect(done.finished).not.toBeNull();
      expect(done.elapsed).toBeGreaterThan(0);
      expect(seen.has('running')).toBe(true);
      expect(h.sim.vms()).toEqual([
        expect.objectContaining({
          namespace: 'team-a',
          name: 'web-1',
          uid: 'uid-1',
          createdByJob: id,
        }),
      ]);
      const info = h.sim.jobs().find(j => j.id === id)!;
      expect(info).toMatchObject({
        status: 'successful',
        template: CREATE,
        type: 'job',
      });
      expect(info.statusChangedAt).toBe(info.finished);
    });

    it('ends a job failed with a traceback when jobFailureRate is 1, and never creates its VM early', async () => {
      h.sim.setFaults({ jobFailureRate: 1 });
      const id = await h.launch(CREATE, {
        namespace: 'ns',
        name: 'doomed',
        uid: 'd',
      });
      const done = await h.waitForJob(id, isFinished);
      expect(done.status).toBe('failed');
      expect(done.failed).toBe(true);
      expect(done.result_traceback).toMatch(/FAILED!/);
      expect(done.result_traceback).not.toContain('\u001b');
      const stdout = await h.stdout(id);
      expect(stdout).toMatch(/fatal: \[localhost\]: FAILED!/);
      // format=txt is plain; format=ansi has Ansible's colours (red for the failure), as AWX's.
      expect(stdout).not.toContain('\u001b');
      const ansi = await (await h.api(`jobs/${id}/stdout/?format=ansi`)).text();
      expect(ansi).toContain('\u001b[0;31mfatal: [localhost]: FAILED!');
      expect(stripAnsi(ansi)).toBe(stdout);
      expect(stdout).toMatch(/PLAY RECAP[\s\S]*failed=1/);
      // A VM exists only if the failing task came after "Create VM".
      const failedTask = /TASK \[([^\]]+)\][^\n]*\nfatal/.exec(stdout)![1];
      const createdBeforeFailure = [
        'Wait for VM to boot',
        'Configure guest',
      ].includes(failedTask);
      expect(h.sim.vms().length).toBe(createdBeforeFailure ? 1 : 0);
    });

    it('deprovision removes the VM, and succeeds when there is none', async () => {
      const instance = { namespace: 'ns', name: 'gone', uid: 'g1' };
      const created = await h.launch(CREATE, instance);
      await h.waitForJob(created, isFinished);
      expect(h.sim.vms()).toHaveLength(1);

      const deleted = await h.launch(DELETE, instance);
      expect((await h.waitForJob(deleted, isFinished)).status).toBe(
        'successful',
      );
      expect(h.sim.vms()).toEqual([]);
      expect(await h.stdout(deleted)).toMatch(
        /TASK \[Delete VM\][^\n]*\nchanged: \[localhost\]/,
      );

      const again = await h.launch(DELETE, instance);
      expect((await h.waitForJob(again, isFinished)).status).toBe('successful');
      expect(await h.stdout(again)).toMatch(
        /TASK \[Delete VM\][^\n]*\nok: \[localhost\]/,
      );
    });

    it('deprovision without uid removes every VM of that name, with uid only the matching one', async () => {
      for (const uid of ['old', 'new']) {
        await h.waitForJob(
          await h.launch(CREATE, { namespace: 'ns', name: 'twin', uid }),
          isFinished,
        );
      }
      await h.waitForJob(
        await h.launch(DELETE, { namespace: 'ns', name: 'twin', uid: 'old' }),
        isFinished,
      );
      expect(h.sim.vms().map(vm => vm.uid)).toEqual(['new']);
      await h.waitForJob(
        await h.launch(DELETE, { namespace: 'ns', name: 'twin' }),
        isFinished,
      );
      expect(h.sim.vms()).toEqual([]);
    });
  });

  describe('cancel', () => {
    it('GET tells whether the job can be canceled', async () => {
      const id = await h.launch(CREATE, { namespace: 'ns', name: 'c0' });
      expect(await (await h.api(`jobs/${id}/cancel/`)).json()).toEqual({
        can_cancel: true,
      });
      await h.waitForJob(id, isFinished);
      expect(await (await h.api(`jobs/${id}/cancel/`)).json()).toEqual({
        can_cancel: false,
      });
    });

    it('cancels a pending job at once', async () => {
      const s = await startSimulator({
        queueDelayMs: 10_000,
        durations: { provisionMs: 20_000 },
      });
      try {
        const id = await s.launch(CREATE, { namespace: 'ns', name: 'queued' });
        expect(
          (await s.api(`jobs/${id}/cancel/`, { method: 'POST' })).status,
        ).toBe(202);
        const job = await s.job(id);
        expect(job).toMatchObject({
          status: 'canceled',
          failed: true,
          started: null,
        });
        expect(job.canceled_on).not.toBeNull();
        expect(s.sim.jobs()[0].canceledAt).toBe(job.canceled_on);
      } finally {
        await s.close();
      }
    });

    it('is asynchronous: 202 mid-run, canceled after the current task, and a VM from "Create VM" stays', async () => {
      const s = await startSimulator({
        durations: { provisionMs: 800 },
        queueDelayMs: 0,
      });
      try {
        const id = await s.launch(CREATE, {
          namespace: 'ns',
          name: 'half',
          uid: 'h1',
        });
        // Wait until the "Create VM" task has been dispatched but not finished.
        const deadline = Date.now() + 3000;
        while (!/TASK \[Create VM\]/.test(await s.stdout(id))) {
          if (Date.now() > deadline) throw new Error('Create VM never started');
          await new Promise(resolve => setTimeout(resolve, 5));
        }
        expect(s.sim.vms()).toEqual([]);
        const res = await s.api(`jobs/${id}/cancel/`, { method: 'POST' });
        expect(res.status).toBe(202);
        // Still running right after the 202: the cancel only takes effect between tasks.
        expect((await s.job(id)).status).toBe('running');

        const done = await s.waitForJob(id, isFinished);
        expect(done.status).toBe('canceled');
        expect(done.failed).toBe(true);
        expect(s.sim.vms()).toEqual([
          expect.objectContaining({ name: 'half', createdByJob: id }),
        ]);
        const stdout = await s.stdout(id);
        expect(stdout).toMatch(
          /TASK \[Create VM\][^\n]*\nchanged: \[localhost\]/,
        );
        expect(stdout).not.toMatch(/Wait for VM to boot/);
      } finally {
        await s.close();
      }
    });

    it('answers 405 once the job finished, and 404 for unknown jobs', async () => {
      const id = await h.launch(CREATE, { namespace: 'ns', name: 'fin' });
      await h.waitForJob(id, isFinished);
      const res = await h.api(`jobs/${id}/cancel/`, { method: 'POST' });
      expect(res.status).toBe(405);
      expect(await res.json()).toEqual({
        detail: 'Method "POST" not allowed.',
      });
      expect(
        (await h.api('jobs/4242/cancel/', { method: 'POST' })).status,
      ).toBe(404);
    });

    it('cancels workflow jobs at workflow_jobs/{id}/cancel/', async () => {
      const w = await startSimulator({ workflowTemplates: true });
      try {
        const id = await w.launch(
          CREATE,
          { namespace: 'ns', name: 'wc' },
          'workflow',
        );
        expect(
          (await w.api(`jobs/${id}/cancel/`, { method: 'POST' })).status,
        ).toBe(404);
        expect(
          (await w.api(`workflow_jobs/${id}/cancel/`, { method: 'POST' }))
            .status,
        ).toBe(202);
        expect(
          (await w.waitForJob(id, isFinished, 'workflow_jobs')).status,
        ).toBe('canceled');
        const again = await w.api(`workflow_jobs/${id}/cancel/`, {
          method: 'POST',
        });
        expect(again.status).toBe(405);
      } finally {
        await w.close();
      }
    });
  });

  describe('job output', () => {
    it('stdout grows while tasks run and ends with PLAY RECAP', async () => {
      const s = await startSimulator({
        durations: { provisionMs: 500 },
        queueDelayMs: 0,
      });
      try {
        const id = await s.launch(CREATE, { namespace: 'ns', name: 'out' });
        const lengths: number[] = [];
        let job;
        do {
          lengths.push((await s.stdout(id)).length);
          job = await s.job(id);
          await new Promise(resolve => setTimeout(resolve, 20));
        } while (!isFinished(job));
        const res = await s.api(`jobs/${id}/stdout/?format=txt`);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        const text = await res.text();
        expect(
          new Set(lengths.filter(l => l > 0 && l < text.length)).size,
        ).toBeGreaterThan(1);
        expect(text).toMatch(/^\nPLAY \[Create compute instance\] \*+$/m);
        expect(text).toMatch(
          /TASK \[Validate request\] \*+\nok: \[localhost\]/,
        );
        expect(text.trimEnd()).toMatch(
          /PLAY RECAP \*+\nlocalhost\s+: ok=5\s+changed=1\s+unreachable=0\s+failed=0/,
        );
      } finally {
        await s.close();
      }
    });

    it('serves job_events paginated with page and page_size', async () => {
      const id = await h.launch(CREATE, { namespace: 'ns', name: 'ev' });
      await h.waitForJob(id, isFinished);
      const first = await (
        await h.api(`jobs/${id}/job_events/?page_size=5`)
      ).json();
      expect(first.count).toBeGreaterThan(10);
      expect(first.results).toHaveLength(5);
      expect(first.previous).toBeNull();
      expect(first.next).toBe(
        `/api/v2/jobs/${id}/job_events/?page_size=5&page=2`,
      );
      expect(first.results[0]).toMatchObject({
        counter: 1,
        event: 'playbook_on_start',
        job: id,
        type: 'job_event',
      });

      const second = await (
        await fetch(`${h.url}${first.next}`, {
          headers: { Authorization: `Bearer ${TEST_TOKEN}` },
        })
      ).json();
      expect(second.results[0].counter).toBe(6);
      expect(second.previous).toBe(
        `/api/v2/jobs/${id}/job_events/?page_size=5&page=1`,
      );

      const all = await (
        await h.api(`jobs/${id}/job_events/?page_size=200`)
      ).json();
      const events = all.results.map((e: { event: string }) => e.event);
      expect(events[events.length - 1]).toBe('playbook_on_stats');
      const createVm = all.results.find(
        (e: any) => e.event === 'runner_on_ok' && e.task === 'Create VM',
      );
      expect(createVm).toMatchObject({
        changed: true,
        host_name: 'localhost',
        event_data: { task_action: 'kubevirt.core.kubevirt_vm' },
      });

      expect((await h.api(`jobs/${id}/job_events/?page=99`)).status).toBe(404);
    });
  });

  describe('unified_jobs', () => {
    it('returns the status of the requested ids that still exist, of both job types', async () => {
      const a = await h.launch(CREATE, { namespace: 'ns', name: 'u1' });
      const b = await h.launch(CREATE, { namespace: 'ns', name: 'u2' });
      const c = await h.launch(DELETE, { namespace: 'ns', name: 'u3' });
      h.sim.setFaults({ purgeJobs: [b] });
      const body = await (
        await h.api(`unified_jobs/?id__in=${a},${b},${c},999&page_size=200`)
      ).json();
      expect(body.count).toBe(2);
      expect(body.results.map((j: any) => j.id)).toEqual([a, c]);
      expect(body.results[0]).toMatchObject({
        id: a,
        type: 'job',
        status: expect.any(String),
        failed: false,
        finished: null,
      });
      expect((await h.api('unified_jobs/?id__in=1,x')).status).toBe(400);
    });

    it('clamps page_size to 200, like AWX', async () => {
      const s = await startSimulator({ durations: { provisionMs: 60_000 } });
      try {
        const tid = await s.templateId(CREATE);
        const body = JSON.stringify(
          launchBody({ namespace: 'ns', name: 'many' }),
        );
        for (let i = 0; i < 205; i++) {
          await s.api(`job_templates/${tid}/launch/`, { method: 'POST', body });
        }
        const page = await (await s.api('unified_jobs/?page_size=500')).json();
        expect(page.count).toBe(205);
        expect(page.results).toHaveLength(200);
        expect(page.next).toBe('/api/v2/unified_jobs/?page_size=500&page=2');
      } finally {
        await s.close();
      }
    });
  });

  describe('/_sim controls', () => {
    it('lists VMs and jobs, sets faults, reports stats and resets', async () => {
      const id = await h.launch(CREATE, {
        namespace: 'ns',
        name: 'ctl',
        uid: 'c',
      });
      await h.waitForJob(id, isFinished);

      const vms = await (await fetch(`${h.url}/_sim/vms`)).json();
      expect(vms.items).toEqual([
        expect.objectContaining({
          namespace: 'ns',
          name: 'ctl',
          uid: 'c',
          createdByJob: id,
        }),
      ]);
      const jobs = await (await fetch(`${h.url}/_sim/jobs`)).json();
      expect(jobs.items[0]).toMatchObject({
        id,
        template: CREATE,
        status: 'successful',
        instance: { namespace: 'ns', name: 'ctl', uid: 'c' },
      });

      const faults = await fetch(`${h.url}/_sim/faults`, {
        method: 'POST',
        body: JSON.stringify({
          failNextLaunches: 2,
          launchStatus: 429,
          retryAfterSeconds: 3,
        }),
      });
      expect(await faults.json()).toMatchObject({
        failNextLaunches: 2,
        launchStatus: 429,
        retryAfterSeconds: 3,
        purgeJobs: [],
      });
      const merged = await (
        await fetch(`${h.url}/_sim/faults`, {
          method: 'POST',
          body: '{"latencyMs":1}',
        })
      ).json();
      expect(merged).toMatchObject({ failNextLaunches: 2, latencyMs: 1 });
      const bad = await fetch(`${h.url}/_sim/faults`, {
        method: 'POST',
        body: '{"jobFailureRate":2}',
      });
      expect(bad.status).toBe(400);

      const stats = await (await fetch(`${h.url}/_sim/stats`)).json();
      expect(stats).toMatchObject({
        template_lookup: 1,
        launch: 1,
        job_status: expect.any(Number),
        other: 0,
      });
      expect(h.sim.requestCounts().job_status).toBe(stats.job_status);

      expect(
        (await fetch(`${h.url}/_sim/reset`, { method: 'POST' })).status,
      ).toBe(200);
      expect(h.sim.vms()).toEqual([]);
      expect(h.sim.jobs()).toEqual([]);
      expect(h.sim.requestCounts().launch).toBe(0);
      expect(await (await fetch(`${h.url}/_sim/faults`)).json()).toEqual({
        purgeJobs: [],
      });
      // Ids keep counting after a reset, so a stale id cannot alias a new job.
      const next = await h.launch(CREATE, { namespace: 'ns', name: 'after' });
      expect(next).toBeGreaterThan(id);
    });
  });
});

describe('mounting handle() under a prefix', () => {
  const PREFIX = '/api/aap-simulator';
  let server: Server;
  let sim: ReturnType<typeof createAapSimulator>;
  let base: string;

  beforeAll(async () => {
    sim = createAapSimulator({
      token: TEST_TOKEN,
      durations: { provisionMs: 200, deprovisionMs: 100 },
      queueDelayMs: 0,
    });
    // What express does for app.use(PREFIX, handler): strip the mount path, keep originalUrl.
    server = createServer((req, res) => {
      const url = req.url ?? '/';
      if (!url.startsWith(PREFIX)) {
        res.writeHead(404).end();
        return;
      }
      Object.assign(req, { originalUrl: url });
      req.url = url.slice(PREFIX.length) || '/';
      sim.handle(req, res);
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PREFIX}`;
  });

  afterAll(async () => {
    await sim.close();
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  it('serves the AWX API and /_sim under the prefix, with links that include it', async () => {
    const headers = {
      Authorization: `Bearer ${TEST_TOKEN}`,
      'Content-Type': 'application/json',
    };
    const lookup = await (
      await fetch(`${base}/api/controller/v2/job_templates/?name=${CREATE}`, {
        headers,
      })
    ).json();
    expect(lookup.results[0].url).toBe(
      `${PREFIX}/api/controller/v2/job_templates/${lookup.results[0].id}/`,
    );

    const launch = await fetch(
      `${base}/api/controller/v2/job_templates/${lookup.results[0].id}/launch/`,
      {
        method: 'POST',
        headers,
        body: JSON.stringify(
          launchBody({ namespace: 'ns', name: 'mounted', uid: 'm' }),
        ),
      },
    );
    expect(launch.status).toBe(201);
    const job = await launch.json();
    expect(job.url).toBe(`${PREFIX}/api/controller/v2/jobs/${job.id}/`);

    const detail = await fetch(`${base}/api/controller/v2/jobs/${job.id}/`, {
      headers,
    });
    expect(detail.status).toBe(200);
    expect(
      (await (await fetch(`${base}/_sim/jobs`)).json()).items,
    ).toHaveLength(1);
  });
});
