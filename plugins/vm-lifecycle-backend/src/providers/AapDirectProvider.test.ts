/**
 * AAP Direct end to end against the simulator over real HTTP: template resolution and its cache,
 * launch payload, job and workflow-job polling, cancel, purge, batch status.
 */
import { testLaunch } from '../__testUtils__/launchRequest';
import { createAapSimulator } from '@vm-selfservice/aap-simulator';
import {
  ComputeInstance,
  JobState,
  ProvisioningJob,
  isTerminalJobState,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { AapClient } from '../aap/AapClient';
import {
  AapNotFoundError,
  ConfigurationError,
  RateLimitedError,
  TemplateNotFoundError,
} from '../aap/errors';
import { FetchLike } from '../aap/transport';
import {
  AapDirectProvider,
  AapDirectTemplatesConfig,
} from './AapDirectProvider';
import { JobStatus } from './types';

const TOKEN = 'provider-test-token';

function instance(name: string): ComputeInstance {
  return {
    apiVersion: 'osac.openshift.io/v1alpha1',
    kind: 'ComputeInstance',
    metadata: {
      name,
      namespace: 'team-a',
      uid: `uid-${name}`,
      resourceVersion: '1',
      creationTimestamp: '2025-01-01T00:00:00Z',
      finalizers: ['osac.openshift.io/computeinstance'],
      labels: {},
      annotations: {},
    },
    spec: {
      templateID: 'small',
      image: {
        sourceType: 'registry',
        sourceRef: 'quay.io/containerdisks/fedora:latest',
      },
      cores: 2,
      memoryGiB: 4,
      bootDisk: { sizeGiB: 20 },
      runStrategy: 'Always',
    },
    status: {},
  };
}

const record = (
  jobID: string,
  type: ProvisioningJob['type'] = 'provision',
): ProvisioningJob => ({
  jobID,
  type,
  timestamp: new Date().toISOString(),
  state: 'Pending',
  message: '',
  configVersion: 'v1',
  blockDeletionOnFailure: type === 'deprovision',
});

async function pollUntilTerminal(
  poll: () => Promise<JobStatus>,
  timeoutMs = 5000,
): Promise<JobStatus & { seen: JobState[] }> {
  const seen: JobState[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await poll();
    if (seen.at(-1) !== status.state) seen.push(status.state);
    if (isTerminalJobState(status.state) || Date.now() > deadline)
      return { ...status, seen };
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

const simOptions = {
  token: TOKEN,
  durations: { provisionMs: 300, deprovisionMs: 200 },
  queueDelayMs: 0,
  extraTemplates: [
    {
      name: 'no-prompt',
      kind: 'job' as const,
      action: 'noop' as const,
      askVariablesOnLaunch: false,
    },
    {
      name: 'custom-create',
      kind: 'workflow' as const,
      action: 'provision' as const,
    },
  ],
};
const sim = createAapSimulator(simOptions);
const wfSim = createAapSimulator({ ...simOptions, workflowTemplates: true });
let simUrl: string;
let wfSimUrl: string;

beforeAll(async () => {
  simUrl = (await sim.listen(0)).url;
  wfSimUrl = (await wfSim.listen(0)).url;
});
afterEach(() => {
  sim.reset();
  wfSim.reset();
});
afterAll(async () => {
  await sim.close();
  await wfSim.close();
});

function setup(
  options: {
    url?: string;
    templates?: AapDirectTemplatesConfig;
    fetchImpl?: FetchLike;
  } = {},
) {
  const client = new AapClient({
    baseUrl: `${options.url ?? simUrl}/api/controller/v2`,
    token: TOKEN,
    retryBaseDelayMs: 5,
    fetchImpl: options.fetchImpl,
  });
  const provider = new AapDirectProvider({
    client,
    templates: options.templates,
  });
  return { client, provider };
}

describe('AapDirectProvider', () => {
  it('provisions and deprovisions a VM through job templates', async () => {
    const { provider, client } = setup();
    const vm = instance('web-1');

    const launched = await provider.triggerProvision(vm, testLaunch());
    expect(launched).toEqual({
      jobID: expect.stringMatching(/^\d+$/),
      state: 'Pending',
      message: expect.stringMatching(
        /^Launched AAP job \d+ from job template "osac-create-compute-instance" \(id \d+\) to provision team-a\/web-1$/,
      ),
    });
    const [job] = sim.jobs();
    expect(String(job.id)).toBe(launched.jobID);
    expect(job.instance).toEqual({
      namespace: 'team-a',
      name: 'web-1',
      uid: 'uid-web-1',
    });

    const provisioned = await pollUntilTerminal(() =>
      provider.getProvisionStatus(vm, record(launched.jobID)),
    );
    expect(provisioned).toMatchObject({
      state: 'Succeeded',
      message: `AAP job ${launched.jobID} succeeded`,
    });
    expect(provisioned.seen).toContain('Running');
    expect(sim.vms()).toEqual([
      expect.objectContaining({
        namespace: 'team-a',
        name: 'web-1',
        uid: 'uid-web-1',
      }),
    ]);

    const trigger = await provider.triggerDeprovision(vm, testLaunch());
    expect(trigger).toMatchObject({
      action: 'triggered',
      job: { state: 'Pending' },
    });
    if (trigger.action !== 'triggered') throw new Error('unreachable');
    expect(trigger.job.message).toContain('"osac-delete-compute-instance"');
    const deprovisioned = await pollUntilTerminal(() =>
      provider.getDeprovisionStatus(
        vm,
        record(trigger.job.jobID, 'deprovision'),
      ),
    );
    expect(deprovisioned.state).toBe('Succeeded');
    expect(sim.vms()).toEqual([]);

    // One lookup per template; the job-template hit means no workflow lookup.
    expect(client.stats().lookups).toBe(2);
  });

  it('provisions through workflow job templates with "workflow-<id>" job ids', async () => {
    const { provider, client } = setup({ url: wfSimUrl });
    const vm = instance('wf-1');

    const launched = await provider.triggerProvision(vm, testLaunch());
    expect(launched.jobID).toMatch(/^workflow-\d+$/);
    expect(launched.message).toMatch(
      /workflow job template "osac-create-compute-instance"/,
    );
    const provisioned = await pollUntilTerminal(() =>
      provider.getProvisionStatus(vm, record(launched.jobID)),
    );
    expect(provisioned).toMatchObject({
      state: 'Succeeded',
      message: expect.stringMatching(/^AAP workflow job \d+ succeeded$/),
    });
    expect(wfSim.vms()).toHaveLength(1);
    // Polled at workflow_jobs/: a poll at jobs/ would have been a 404 and read as purged.
    expect(wfSim.requestCounts().job_status).toBeGreaterThan(0);

    const trigger = await provider.triggerDeprovision(vm, testLaunch());
    if (trigger.action !== 'triggered')
      throw new Error('expected a deprovision job');
    expect(trigger.job.jobID).toMatch(/^workflow-\d+$/);
    await expect(
      pollUntilTerminal(() =>
        provider.getDeprovisionStatus(
          vm,
          record(trigger.job.jobID, 'deprovision'),
        ),
      ),
    ).resolves.toMatchObject({ state: 'Succeeded' });
    expect(wfSim.vms()).toEqual([]);

    // Each name: job template miss, then workflow hit; cached afterwards.
    await provider.triggerProvision(instance('wf-2'), testLaunch());
    expect(client.stats().lookups).toBe(4);
  });

  it('caches template ids: many launches, one lookup', async () => {
    const { provider, client } = setup();
    await Promise.all(
      ['a', 'b', 'c', 'd'].map(name =>
        provider.triggerProvision(instance(name), testLaunch()),
      ),
    );
    await provider.triggerProvision(instance('e'), testLaunch());
    expect(client.stats()).toMatchObject({ lookups: 1, launches: 5 });
  });

  it('uses explicit template names and the prefix convention', async () => {
    const explicit = setup({
      templates: { provision: 'custom-create', prefix: 'ignored' },
    });
    const launched = await explicit.provider.triggerProvision(
      instance('x'),
      testLaunch(),
    );
    expect(launched.jobID).toMatch(/^workflow-/);
    expect(launched.message).toContain('"custom-create"');

    const prefixed = setup({ templates: { prefix: 'acme' } });
    expect(prefixed.provider.templates).toEqual({
      provision: 'acme-create-compute-instance',
      deprovision: 'acme-delete-compute-instance',
    });
  });

  it('throws TemplateNotFoundError when neither kind has the name, and looks again next time', async () => {
    const { provider, client } = setup({ templates: { prefix: 'missing' } });
    const err = await provider
      .triggerProvision(instance('x'), testLaunch())
      .catch(e => e);
    expect(err).toBeInstanceOf(TemplateNotFoundError);
    expect(err.templateName).toBe('missing-create-compute-instance');
    await expect(
      provider.triggerDeprovision(instance('x'), testLaunch()),
    ).rejects.toBeInstanceOf(TemplateNotFoundError);
    await expect(
      provider.triggerProvision(instance('x'), testLaunch()),
    ).rejects.toBeInstanceOf(TemplateNotFoundError);
    expect(client.stats()).toMatchObject({ lookups: 6, launches: 0 });
    expect(sim.jobs()).toEqual([]);
  });

  it('drops the cached template when its launch answers 404 and looks it up again', async () => {
    // AAP is rebuilt behind the same URL: the job template id we cached is gone, and the
    // same name now exists as a workflow job template. The fetch switches servers to model that.
    let target = simUrl;
    const fetchImpl: FetchLike = (url, init) =>
      fetch(url.replace(/^http:\/\/[^/]+/, target), init);
    const { provider, client } = setup({ fetchImpl });

    await expect(
      provider.triggerProvision(instance('a'), testLaunch()),
    ).resolves.toMatchObject({ jobID: expect.stringMatching(/^\d+$/) });
    target = wfSimUrl;
    const err = await provider
      .triggerProvision(instance('b'), testLaunch())
      .catch(e => e);
    expect(err).toBeInstanceOf(AapNotFoundError);
    expect(err.message).toMatch(
      /job template "osac-create-compute-instance" \(id \d+\) no longer exists.*looked up by name again/,
    );
    const relaunched = await provider.triggerProvision(
      instance('b'),
      testLaunch(),
    );
    expect(relaunched.jobID).toMatch(/^workflow-\d+$/);
    expect(client.stats().lookups).toBe(1 + 2);
    expect(wfSim.jobs()).toHaveLength(1);
  });

  it('refuses a template that does not prompt for variables, before launching anything', async () => {
    const { provider, client } = setup({
      templates: { provision: 'no-prompt' },
    });
    const err = await provider
      .triggerProvision(instance('x'), testLaunch())
      .catch(e => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toMatch(/"no-prompt".*Prompt on launch/);
    expect(client.stats().launches).toBe(0);
    expect(sim.jobs()).toEqual([]);
    // Not cached: fixing the template in AAP takes effect on the next attempt.
    await provider
      .triggerProvision(instance('x'), testLaunch())
      .catch(() => undefined);
    expect(client.stats().lookups).toBe(2);
  });

  it('passes a rate limit on launch through, with no job created', async () => {
    const { provider } = setup();
    sim.setFaults({
      failNextLaunches: 1,
      launchStatus: 429,
      retryAfterSeconds: 4,
    });
    const err = await provider
      .triggerProvision(instance('x'), testLaunch())
      .catch(e => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryAfterMs).toBe(4000);
    expect(sim.jobs()).toEqual([]);
  });

  it('reports a failed job with its traceback', async () => {
    const { provider } = setup();
    sim.setFaults({ jobFailureRate: 1 });
    const vm = instance('x');
    const launched = await provider.triggerProvision(vm, testLaunch());
    const status = await pollUntilTerminal(() =>
      provider.getProvisionStatus(vm, record(launched.jobID)),
    );
    expect(status.state).toBe('Failed');
    expect(status.message).toMatch(
      new RegExp(`^AAP job ${launched.jobID} failed: TASK \\[`),
    );
  });

  it('cancels a running provision job: 202, then Canceled, then alreadyFinished', async () => {
    const { provider } = setup();
    const vm = instance('x');
    const launched = await provider.triggerProvision(vm, testLaunch());
    await expect(provider.cancelJob(vm, record(launched.jobID))).resolves.toBe(
      'cancelRequested',
    );
    const status = await pollUntilTerminal(() =>
      provider.getProvisionStatus(vm, record(launched.jobID)),
    );
    expect(status).toMatchObject({
      state: 'Canceled',
      message: expect.stringContaining('was canceled'),
    });
    await expect(provider.cancelJob(vm, record(launched.jobID))).resolves.toBe(
      'alreadyFinished',
    );
  });

  it('cancels workflow jobs at workflow_jobs/', async () => {
    const { provider } = setup({ url: wfSimUrl });
    const vm = instance('x');
    const launched = await provider.triggerProvision(vm, testLaunch());
    await expect(provider.cancelJob(vm, record(launched.jobID))).resolves.toBe(
      'cancelRequested',
    );
    await expect(
      pollUntilTerminal(() =>
        provider.getProvisionStatus(vm, record(launched.jobID)),
      ),
    ).resolves.toMatchObject({
      state: 'Canceled',
    });
  });

  it('treats a purged job as terminal Failed and its cancel as notFound', async () => {
    const { provider } = setup();
    const vm = instance('x');
    const launched = await provider.triggerProvision(vm, testLaunch());
    sim.setFaults({ purgeJobs: [Number(launched.jobID)] });
    await expect(
      provider.getProvisionStatus(vm, record(launched.jobID)),
    ).resolves.toEqual({
      state: 'Failed',
      message: expect.stringContaining(
        `AAP job ${launched.jobID} no longer exists in AAP (purged)`,
      ),
    });
    await expect(provider.cancelJob(vm, record(launched.jobID))).resolves.toBe(
      'notFound',
    );
  });

  it('does not poll or cancel job ids it did not issue', async () => {
    const { provider, client } = setup();
    const vm = instance('x');
    await expect(
      provider.getProvisionStatus(vm, record('eda-webhook-1')),
    ).resolves.toMatchObject({ state: 'Failed' });
    await expect(provider.cancelJob(vm, record('eda-webhook-1'))).resolves.toBe(
      'notSupported',
    );
    expect(client.stats().total).toBe(0);
  });

  it('batch-polls jobs and workflow jobs in one request', async () => {
    const plain = setup();
    const a = await plain.provider.triggerProvision(
      instance('a'),
      testLaunch(),
    );
    const b = await plain.provider.triggerProvision(
      instance('b'),
      testLaunch(),
    );
    const gone = await plain.provider.triggerProvision(
      instance('c'),
      testLaunch(),
    );
    sim.setFaults({ purgeJobs: [Number(gone.jobID)] });
    const ids = [
      a.jobID,
      b.jobID,
      gone.jobID,
      'eda-webhook-2',
      'workflow-999999',
    ];

    const statuses = await plain.provider.getStatuses(ids);
    expect([...statuses.keys()]).toEqual(expect.arrayContaining(ids));
    expect(statuses.get(a.jobID)?.state).toMatch(/Pending|Waiting|Running/);
    expect(statuses.get(gone.jobID)).toMatchObject({
      state: 'Failed',
      message: expect.stringContaining('purged'),
    });
    expect(statuses.get('eda-webhook-2')).toMatchObject({ state: 'Failed' });
    expect(statuses.get('workflow-999999')).toMatchObject({
      state: 'Failed',
      message: expect.stringContaining('purged'),
    });
    expect(plain.client.stats().batchPolls).toBe(1);

    const wf = setup({ url: wfSimUrl });
    const w = await wf.provider.triggerProvision(instance('w'), testLaunch());
    const wfStatuses = await wf.provider.getStatuses([w.jobID]);
    expect(wfStatuses.get(w.jobID)?.message).toMatch(/^AAP workflow job \d+ /);
    // The same number as a plain job is someone else's job (AAP ids are unique across kinds).
    const misread = await wf.provider.getStatuses([
      w.jobID.replace('workflow-', ''),
    ]);
    expect([...misread.values()][0]).toMatchObject({
      state: 'Failed',
      message: expect.stringContaining('purged'),
    });
  });

  it('reads job output for the portal', async () => {
    const { provider } = setup();
    const vm = instance('x');
    const launched = await provider.triggerProvision(vm, testLaunch());
    await pollUntilTerminal(() =>
      provider.getProvisionStatus(vm, record(launched.jobID)),
    );
    await expect(provider.getJobOutput(launched.jobID)).resolves.toMatch(
      /PLAY \[/,
    );
    await expect(provider.getJobOutput('eda-webhook-1')).rejects.toBeInstanceOf(
      AapNotFoundError,
    );
  });
});
