/**
 * Lost answers against the simulator over real HTTP (DOMAIN.md, "Lost answers"): the request is
 * carried out, its answer is not; the provider says "outcome unknown" and finds the job again by
 * its launch id, using only the job-list filters real AWX offers.
 */
import {
  createAapSimulator,
  AapSimulator,
} from '@vm-selfservice/aap-simulator';
import {
  ComputeInstance,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { AapClient } from '../aap/AapClient';
import {
  CancelOutcomeUnknownError,
  LaunchOutcomeUnknownError,
} from '../aap/errors';
import { testLaunch } from '../__testUtils__/launchRequest';
import { AapDirectProvider } from './AapDirectProvider';

// Hundreds of jobs through the simulator: seconds on a busy 2-core machine.
jest.setTimeout(30_000);
const TOKEN = 'lookup-test-token';

function instance(name: string): ComputeInstance {
  return {
    apiVersion: 'osac.openshift.io/v1alpha1',
    kind: 'ComputeInstance',
    metadata: {
      name,
      namespace: 'team-a',
      uid: `uid-${name}`,
      resourceVersion: '1',
      creationTimestamp: '2026-01-01T00:00:00Z',
      finalizers: [],
      labels: {},
      annotations: {},
    },
    spec: {
      templateID: 'small',
      image: { sourceType: 'registry', sourceRef: 'quay.io/x:1' },
      cores: 1,
      memoryGiB: 1,
      bootDisk: { sizeGiB: 10 },
      runStrategy: 'Always',
    },
    status: {},
  };
}

function provisionJob(jobID: string): ProvisioningJob {
  return {
    jobID,
    type: 'provision',
    timestamp: new Date().toISOString(),
    state: 'Running',
    message: '',
    configVersion: 'v1',
    blockDeletionOnFailure: false,
  };
}

const now = () => new Date().toISOString();

describe.each([false, true])(
  'lost answers, workflow templates: %s',
  workflowTemplates => {
    let sim: AapSimulator;
    let client: AapClient;
    let provider: AapDirectProvider;

    beforeEach(async () => {
      sim = createAapSimulator({
        token: TOKEN,
        workflowTemplates,
        durations: { provisionMs: 2000, deprovisionMs: 500 },
        queueDelayMs: 0,
      });
      const { url } = await sim.listen(0);
      client = new AapClient({
        baseUrl: `${url}/api/controller/v2`,
        token: TOKEN,
        retryBaseDelayMs: 5,
        timeoutMs: 300,
      });
      provider = new AapDirectProvider({ client });
    });

    afterEach(() => sim.close());

    const launchID = (n: number) => `uid-vm-provision-${n}`;

    it('a lost launch answer is "outcome unknown", and the job is found by its launch id', async () => {
      sim.setFaults({ lostAnswers: { launch: { next: 1 } } });
      const request = { launchID: launchID(1), intendedAt: now() };
      await expect(
        provider.triggerProvision(instance('vm'), request),
      ).rejects.toBeInstanceOf(LaunchOutcomeUnknownError);
      expect(client.stats().launches).toBe(1);
      const [job] = sim.jobs();
      const lookup = await provider.findLaunch(
        instance('vm'),
        'provision',
        request,
      );
      expect(lookup).toMatchObject({
        outcome: 'found',
        job: {
          jobID: workflowTemplates ? `workflow-${job.id}` : String(job.id),
        },
        duplicates: [],
      });
    });

    it.each([
      [
        'a gateway 504 after processing',
        { gatewayErrors: { launch: { next: 1, status: 504 } } },
      ],
      [
        'a gateway 502 after processing',
        { gatewayErrors: { launch: { next: 1, status: 502 } } },
      ],
      [
        'a 503 after processing',
        { gatewayErrors: { launch: { next: 1, status: 503 } } },
      ],
      [
        'an answer slower than the time-out',
        { slowAnswers: { launch: { next: 1, delayMs: 800 } } },
      ],
    ])('%s is "outcome unknown", never a failure', async (_name, faults) => {
      sim.setFaults(faults);
      const request = { launchID: launchID(2), intendedAt: now() };
      const err = await provider
        .triggerProvision(instance('vm'), request)
        .catch(e => e);
      expect(err).toBeInstanceOf(LaunchOutcomeUnknownError);
      expect(client.stats().launches).toBe(1);
      const lookup = await provider.findLaunch(
        instance('vm'),
        'provision',
        request,
      );
      expect(lookup.outcome).toBe('found');
    });

    it('a launch that never reached AAP: the look-up proves no job, with the time it started', async () => {
      // Resolve the template first, so the dropped connection is the launch's.
      await provider.findLaunch(
        instance('vm'),
        'provision',
        testLaunch('warm-up'),
      );
      sim.setFaults({ dropNextConnections: 1 });
      const request = { launchID: launchID(3), intendedAt: now() };
      await expect(
        provider.triggerProvision(instance('vm'), request),
      ).rejects.toBeInstanceOf(LaunchOutcomeUnknownError);
      const before = Date.now();
      const lookup = await provider.findLaunch(
        instance('vm'),
        'provision',
        request,
      );
      expect(lookup).toEqual({
        outcome: 'absent',
        checkedAt: expect.any(Number),
      });
      expect(
        (lookup as { checkedAt: number }).checkedAt,
      ).toBeGreaterThanOrEqual(before);
      expect(sim.jobs()).toEqual([]);
    });

    it('sends the launch id beside the payload, and does not confuse another launch of the template', async () => {
      await provider.triggerProvision(
        instance('other'),
        testLaunch('uid-other-provision-9'),
      );
      const request = { launchID: launchID(4), intendedAt: now() };
      await provider.triggerProvision(instance('vm'), request);
      const res = await fetch(
        `${client.baseUrl}${workflowTemplates ? 'workflow_jobs' : 'jobs'}/${sim.jobs()[1].id}/`,
        { headers: { Authorization: `Bearer ${TOKEN}` } },
      );
      const extra = JSON.parse((await res.json()).extra_vars);
      expect(extra.ansible_eda.event.launch_id).toBe(launchID(4));
      expect(extra.ansible_eda.event.payload.metadata.name).toBe('vm');
      const lookup = await provider.findLaunch(
        instance('vm'),
        'provision',
        request,
      );
      expect(lookup).toMatchObject({
        outcome: 'found',
        job: { jobID: expect.stringContaining(String(sim.jobs()[1].id)) },
      });
    });

    it('pages through the jobs of the template, and asks for each page once however many intents wait', async () => {
      const many = Array.from({ length: 450 }, (_, i) => i);
      for (const i of many) {
        await provider.triggerProvision(instance(`vm-${i}`), {
          launchID: launchID(1000 + i),
          intendedAt: now(),
        });
      }
      const before = client.stats().jobLookups;
      const lookups = await Promise.all(
        [3, 222, 449].map(i =>
          provider.findLaunch(instance(`vm-${i}`), 'provision', {
            launchID: launchID(1000 + i),
            intendedAt: now(),
          }),
        ),
      );
      expect(lookups.map(l => l.outcome)).toEqual(['found', 'found', 'found']);
      // 450 jobs at 200 a page: 3 pages for all three look-ups together.
      expect(client.stats().jobLookups - before).toBe(3);
    });
  },
);

describe('AAP Direct: cancels and batch reads as real AWX answers them', () => {
  let sim: AapSimulator;
  let client: AapClient;
  let provider: AapDirectProvider;

  beforeEach(async () => {
    sim = createAapSimulator({
      token: TOKEN,
      durations: { provisionMs: 1500, deprovisionMs: 300 },
      queueDelayMs: 0,
    });
    const { url } = await sim.listen(0);
    client = new AapClient({
      baseUrl: `${url}/api/v2`,
      token: TOKEN,
      retryBaseDelayMs: 5,
      timeoutMs: 1000,
    });
    provider = new AapDirectProvider({ client });
  });

  afterEach(() => sim.close());

  it('a lost cancel answer is "outcome unknown" and is not repeated blindly', async () => {
    const launched = await provider.triggerProvision(
      instance('vm'),
      testLaunch(),
    );
    sim.setFaults({ lostAnswers: { cancel: { next: 1 } } });
    const err = await provider
      .cancelJob(instance('vm'), provisionJob(launched.jobID))
      .catch(e => e);
    expect(err).toBeInstanceOf(CancelOutcomeUnknownError);
    expect(client.stats().cancels).toBe(1);
    // It did take effect in AAP.
    expect(sim.jobs()[0].canceledAt).toBeDefined();
  });

  it('a failed job in a batch answer gets its traceback from the job itself (lists carry none)', async () => {
    sim.setFaults({ jobFailureRate: 1 });
    const launched = await provider.triggerProvision(
      instance('vm'),
      testLaunch(),
    );
    for (;;) {
      const [job] = sim.jobs();
      if (job.status === 'failed') break;
      await new Promise(r => setTimeout(r, 20));
    }
    const statuses = await provider.getStatuses([launched.jobID]);
    expect(statuses.get(launched.jobID)).toEqual({
      state: 'Failed',
      message: expect.stringMatching(/failed: TASK \[/),
    });
    expect(client.stats()).toMatchObject({ batchPolls: 1, statusPolls: 1 });
  });

  it('a job missing from a batch answer is purged only after its own read answers 404', async () => {
    const a = await provider.triggerProvision(instance('a'), testLaunch('a-1'));
    const b = await provider.triggerProvision(instance('b'), testLaunch('b-1'));
    sim.setFaults({ purgeJobs: [Number(a.jobID)] });
    const statuses = await provider.getStatuses([a.jobID, b.jobID]);
    expect(statuses.get(a.jobID)?.message).toMatch(/purged/);
    expect(statuses.get(b.jobID)?.state).not.toBe('Failed');
    expect(client.stats()).toMatchObject({ batchPolls: 1, statusPolls: 1 });
  });

  it('a job missing from the batch whose own read fails is left out, not called purged', async () => {
    const a = await provider.triggerProvision(instance('a'), testLaunch('a-1'));
    sim.setFaults({
      purgeJobs: [Number(a.jobID)],
      gatewayErrors: { job_status: { next: 10, status: 502 } },
    });
    const statuses = await provider.getStatuses([a.jobID]);
    expect(statuses.has(a.jobID)).toBe(false);
  });
});
