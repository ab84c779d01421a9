/**
 * The client against the AWX-compatible simulator over real HTTP, under both API base paths.
 */
import { createAapSimulator } from '@vm-selfservice/aap-simulator';
import { AapClient, AapClientOptions } from './AapClient';
import {
  AapNotFoundError,
  AuthenticationError,
  ConfigurationError,
  LaunchOutcomeUnknownError,
  RateLimitedError,
  TransientAapError,
} from './errors';

const TOKEN = 'sim-secret-token-4711';

const sim = createAapSimulator({
  token: TOKEN,
  durations: { provisionMs: 300, deprovisionMs: 200 },
  queueDelayMs: 0,
  extraTemplates: [
    {
      name: 'no-prompt',
      kind: 'job',
      action: 'noop',
      askVariablesOnLaunch: false,
    },
    { name: 'wf-create', kind: 'workflow', action: 'provision' },
    { name: 'noop-job', kind: 'job', action: 'noop' },
  ],
});
let origin: string;

beforeAll(async () => {
  origin = (await sim.listen(0)).url;
});
afterEach(() => sim.reset());
afterAll(() => sim.close());

const payload = (name: string) => ({
  ansible_eda: {
    event: {
      payload: { metadata: { namespace: 'default', name, uid: `uid-${name}` } },
    },
  },
});

async function until<T>(
  fn: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

/** Lets the simulator finish requests the client gave up on, so they cannot leak into the next test. */
const settle = () => new Promise(resolve => setTimeout(resolve, 400));

const finished = (job: { status: string }) =>
  ['successful', 'failed', 'canceled', 'error'].includes(job.status);

describe.each(['/api/v2', '/api/controller/v2/'])(
  'AapClient against the simulator at %s',
  basePath => {
    const makeClient = (extra: Partial<AapClientOptions> = {}) =>
      new AapClient({
        baseUrl: `${origin}${basePath}`,
        token: TOKEN,
        retryBaseDelayMs: 5,
        ...extra,
      });

    async function templateId(
      client: AapClient,
      name: string,
    ): Promise<number> {
      const template =
        (await client.findJobTemplate(name)) ??
        (await client.findWorkflowJobTemplate(name));
      return template!.id;
    }

    describe('authentication', () => {
      it.each([
        ['a wrong token', 'not-the-right-token-99'],
        ['no token', ''],
      ])(
        'turns 401 for %s into AuthenticationError without leaking the token',
        async (_label, token) => {
          const client = makeClient({ token });
          const err = await client
            .findJobTemplate('osac-create-compute-instance')
            .catch(e => e);
          expect(err).toBeInstanceOf(AuthenticationError);
          expect(err.status).toBe(401);
          expect(err.message).toMatch(
            /AAP token is missing, invalid or expired/,
          );
          // Portal users read the message (status conditions); only the log gets the host.
          expect(err.message).not.toContain(new URL(origin).host);
          expect(err.detail).toContain(new URL(origin).host);
          expect(err.message).not.toContain(token || TOKEN);
          expect(err.message).not.toContain(TOKEN);
          expect(err.detail).not.toContain(TOKEN);
          expect(JSON.stringify(err)).not.toContain(token || TOKEN);
          expect(client.stats()).toMatchObject({ lookups: 1, retries: 0 });
        },
      );
    });

    describe('templates', () => {
      it('finds job templates and workflow job templates by exact name', async () => {
        const client = makeClient();
        await expect(
          client.findJobTemplate('osac-create-compute-instance'),
        ).resolves.toEqual({
          id: expect.any(Number),
          name: 'osac-create-compute-instance',
          kind: 'job',
          askVariablesOnLaunch: true,
        });
        await expect(
          client.findJobTemplate('wf-create'),
        ).resolves.toBeUndefined();
        await expect(
          client.findWorkflowJobTemplate('wf-create'),
        ).resolves.toMatchObject({ kind: 'workflow' });
        await expect(
          client.findJobTemplate('osac-create'),
        ).resolves.toBeUndefined();
        expect(client.stats().lookups).toBe(4);
      });
    });

    describe('launch', () => {
      it('launches with extra_vars and returns the job id from the 201 answer', async () => {
        const client = makeClient();
        const launched = await client.launchJobTemplate(
          await templateId(client, 'osac-create-compute-instance'),
          payload('vm1'),
        );
        expect(launched).toEqual({
          id: expect.any(Number),
          kind: 'job',
          status: 'pending',
        });
        expect(sim.jobs()).toEqual([
          expect.objectContaining({
            id: launched.id,
            type: 'job',
            instance: { namespace: 'default', name: 'vm1', uid: 'uid-vm1' },
          }),
        ]);
      });

      it('treats ignored extra_vars as a configuration error and cancels the stray job', async () => {
        const client = makeClient();
        const err = await client
          .launchJobTemplate(
            await templateId(client, 'no-prompt'),
            payload('vm1'),
            'no-prompt',
          )
          .catch(e => e);
        expect(err).toBeInstanceOf(ConfigurationError);
        expect(err.message).toMatch(
          /"no-prompt".*Prompt on launch.*was canceled/,
        );
        const [job] = sim.jobs();
        expect(job.canceledAt).toBeDefined();
        expect(client.stats()).toMatchObject({ launches: 1, cancels: 1 });
      });

      it('surfaces 429 with Retry-After as RateLimitedError, without retrying or creating a job', async () => {
        const client = makeClient();
        const id = await templateId(client, 'osac-create-compute-instance');
        sim.setFaults({
          failNextLaunches: 1,
          launchStatus: 429,
          retryAfterSeconds: 3,
        });
        const err = await client
          .launchJobTemplate(id, payload('vm1'))
          .catch(e => e);
        expect(err).toBeInstanceOf(RateLimitedError);
        expect(err.status).toBe(429);
        expect(err.retryAfterMs).toBe(3000);
        expect(client.stats().launches).toBe(1);
        expect(sim.jobs()).toHaveLength(0);
      });

      it('retries a launch answered 500 (AWX rolled it back) and creates exactly one job', async () => {
        const client = makeClient();
        const id = await templateId(client, 'osac-create-compute-instance');
        sim.setFaults({ failNextLaunches: 2, launchStatus: 500 });
        await expect(
          client.launchJobTemplate(id, payload('vm1')),
        ).resolves.toMatchObject({ kind: 'job' });
        expect(client.stats()).toMatchObject({ launches: 3, retries: 2 });
        expect(sim.jobs()).toHaveLength(1);
      });

      it('does not repeat a launch whose connection dropped: the job may exist', async () => {
        const client = makeClient();
        const id = await templateId(client, 'osac-create-compute-instance');
        sim.setFaults({ dropNextConnections: 1 });
        const err = await client
          .launchJobTemplate(id, payload('vm1'))
          .catch(e => e);
        expect(err).toBeInstanceOf(LaunchOutcomeUnknownError);
        expect(err).toBeInstanceOf(TransientAapError);
        expect(err.message).toMatch(/may or may not have started a job/);
        expect(client.stats().launches).toBe(1);
      });

      it('does not repeat a launch that timed out', async () => {
        const client = makeClient({ timeoutMs: 100 });
        const id = await templateId(client, 'osac-create-compute-instance');
        sim.setFaults({ latencyMs: 300 });
        const err = await client
          .launchJobTemplate(id, payload('vm1'))
          .catch(e => e);
        expect(err).toBeInstanceOf(LaunchOutcomeUnknownError);
        expect(err.message).toMatch(/timed out after 100 ms/);
        expect(client.stats().launches).toBe(1);
        await settle();
        // Real AWX would usually still create this job; either way we must not add a second one.
        expect(sim.jobs().length).toBeLessThanOrEqual(1);
      });

      it('answers 404 for a template id that does not exist', async () => {
        await expect(
          makeClient().launchJobTemplate(9999, payload('vm1')),
        ).rejects.toBeInstanceOf(AapNotFoundError);
      });
    });

    describe('job status', () => {
      it('reads a job until it finished', async () => {
        const client = makeClient();
        const { id } = await client.launchJobTemplate(
          await templateId(client, 'osac-create-compute-instance'),
          payload('vm1'),
        );
        const job = await until(() => client.getJob(id), finished);
        expect(job).toMatchObject({ id, status: 'successful' });
      });

      it('reads workflow jobs at workflow_jobs/ (jobs/ answers 404 for them)', async () => {
        const client = makeClient();
        const launched = await client.launchWorkflowJobTemplate(
          await templateId(client, 'wf-create'),
          payload('vm1'),
        );
        expect(launched.kind).toBe('workflow');
        await expect(client.getWorkflowJob(launched.id)).resolves.toMatchObject(
          { id: launched.id },
        );
        await expect(client.getJob(launched.id)).rejects.toBeInstanceOf(
          AapNotFoundError,
        );
      });

      it('retries a status poll after 500s and a dropped connection', async () => {
        const client = makeClient();
        const { id } = await client.launchJobTemplate(
          await templateId(client, 'noop-job'),
          payload('vm1'),
        );
        sim.setFaults({ failNextStatusPolls: 2, statusPollStatus: 500 });
        await expect(client.getJob(id)).resolves.toMatchObject({ id });
        sim.setFaults({ dropNextConnections: 1 });
        await expect(client.getJob(id)).resolves.toMatchObject({ id });
        expect(client.stats()).toMatchObject({ statusPolls: 5, retries: 3 });
      });

      it('gives up with TransientAapError when 500s persist', async () => {
        const warnings: string[] = [];
        const client = makeClient({
          maxRetries: 2,
          logger: { warn: m => warnings.push(m) },
        });
        const { id } = await client.launchJobTemplate(
          await templateId(client, 'noop-job'),
          payload('vm1'),
        );
        sim.setFaults({ failNextStatusPolls: 10, statusPollStatus: 500 });
        const err = await client.getJob(id).catch(e => e);
        expect(err).toBeInstanceOf(TransientAapError);
        expect(err.status).toBe(500);
        expect(err.message).toMatch(/failed after 3 attempts: HTTP 500/);
        expect(warnings).toHaveLength(2);
        expect(warnings.join('\n')).not.toContain(TOKEN);
      });

      it('retries a GET that timed out, then gives up', async () => {
        const client = makeClient({ timeoutMs: 50, maxRetries: 1 });
        sim.setFaults({ latencyMs: 200 });
        const err = await client.getJob(1).catch(e => e);
        expect(err).toBeInstanceOf(TransientAapError);
        expect(err).not.toBeInstanceOf(LaunchOutcomeUnknownError);
        expect(err.message).toMatch(
          /failed after 2 attempts: timed out after 50 ms/,
        );
        await settle();
      });

      it('surfaces 503 on a status poll as RateLimitedError', async () => {
        const client = makeClient();
        sim.setFaults({
          failNextStatusPolls: 1,
          statusPollStatus: 503,
          retryAfterSeconds: 2,
        });
        const err = await client.getJob(1).catch(e => e);
        expect(err).toBeInstanceOf(RateLimitedError);
        expect(err.retryAfterMs).toBe(2000);
      });

      it('answers AapNotFoundError for a purged job', async () => {
        const client = makeClient();
        const { id } = await client.launchJobTemplate(
          await templateId(client, 'noop-job'),
          payload('vm1'),
        );
        sim.setFaults({ purgeJobs: [id] });
        await expect(client.getJob(id)).rejects.toBeInstanceOf(
          AapNotFoundError,
        );
        await expect(client.cancelJob(id)).rejects.toBeInstanceOf(
          AapNotFoundError,
        );
      });
    });

    describe('cancel', () => {
      it('answers cancelRequested (202), the job ends canceled, then alreadyFinished (405)', async () => {
        const client = makeClient();
        const { id } = await client.launchJobTemplate(
          await templateId(client, 'osac-create-compute-instance'),
          payload('vm1'),
        );
        await expect(client.cancelJob(id)).resolves.toBe('cancelRequested');
        const job = await until(() => client.getJob(id), finished);
        expect(job.status).toBe('canceled');
        await expect(client.cancelJob(id)).resolves.toBe('alreadyFinished');
        expect(client.stats().cancels).toBe(2);
      });

      it('cancels workflow jobs at workflow_jobs/', async () => {
        const client = makeClient();
        const { id } = await client.launchWorkflowJobTemplate(
          await templateId(client, 'wf-create'),
          payload('vm1'),
        );
        await expect(client.cancelJob(id)).rejects.toBeInstanceOf(
          AapNotFoundError,
        );
        await expect(client.cancelWorkflowJob(id)).resolves.toBe(
          'cancelRequested',
        );
        const job = await until(() => client.getWorkflowJob(id), finished);
        expect(job.status).toBe('canceled');
        await expect(client.cancelWorkflowJob(id)).resolves.toBe(
          'alreadyFinished',
        );
      });
    });

    describe('output', () => {
      it('reads stdout as text and job events as a page', async () => {
        const client = makeClient();
        const { id } = await client.launchJobTemplate(
          await templateId(client, 'osac-create-compute-instance'),
          payload('vm1'),
        );
        await until(() => client.getJob(id), finished);
        const stdout = await client.getJobStdout(id);
        expect(stdout).toMatch(/PLAY \[/);
        expect(stdout).toMatch(/TASK \[/);
        const events = await client.getJobEvents(id);
        expect(events.count).toBeGreaterThan(0);
        expect(events.results[0]).toMatchObject({ event: expect.any(String) });
        expect(client.stats()).toMatchObject({ stdout: 1, events: 1 });
      });
    });

    describe('batch status', () => {
      it('polls 250 jobs of both kinds in 2 requests; purged ids are missing', async () => {
        const client = makeClient();
        const jobTemplate = await templateId(client, 'noop-job');
        const wfTemplate = await templateId(client, 'wf-create');
        const ids: number[] = [];
        for (let i = 0; i < 250; i += 25) {
          const batch = await Promise.all(
            Array.from({ length: 25 }, (_, j) =>
              (i + j) % 10 === 0
                ? client.launchWorkflowJobTemplate(
                    wfTemplate,
                    payload(`vm${i + j}`),
                  )
                : client.launchJobTemplate(jobTemplate, payload(`vm${i + j}`)),
            ),
          );
          ids.push(...batch.map(job => job.id));
        }
        sim.setFaults({ purgeJobs: [ids[0], ids[249]] });
        const before = client.stats().batchPolls;
        const statuses = await client.getJobStatuses([...ids, ids[5]]);
        expect(client.stats().batchPolls - before).toBe(2);
        expect(sim.requestCounts().batch_status).toBe(2);
        expect(statuses.size).toBe(248);
        expect(statuses.has(ids[0])).toBe(false);
        expect(statuses.get(ids[10])).toMatchObject({
          id: ids[10],
          type: 'workflow_job',
          status: expect.any(String),
        });
        expect(statuses.get(ids[11])).toMatchObject({
          id: ids[11],
          type: 'job',
        });
      });
    });
  },
);
