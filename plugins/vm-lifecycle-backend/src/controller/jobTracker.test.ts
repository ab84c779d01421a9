import { testLaunch } from '../__testUtils__/launchRequest';
import {
  createAapSimulator,
  AapSimulator,
} from '@vm-selfservice/aap-simulator';
import {
  ComputeInstance,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { AapClient } from '../aap/AapClient';
import { AapDirectProvider } from '../providers/AapDirectProvider';
import { JobPollingMode, JobTracker } from './jobTracker';
import { sampleSpec } from '../__testUtils__/harness';

// Hundreds of jobs through the simulator: seconds on a busy 2-core machine.
jest.setTimeout(30_000);
const TOKEN = 'tracker-token';

function instance(i: number): ComputeInstance {
  return {
    apiVersion: 'osac.openshift.io/v1alpha1',
    kind: 'ComputeInstance',
    metadata: {
      name: `vm-${i}`,
      namespace: 'default',
      uid: `uid-${i}`,
      resourceVersion: '1',
      creationTimestamp: new Date().toISOString(),
      finalizers: [],
      labels: {},
      annotations: {},
    },
    spec: sampleSpec(),
    status: {},
  };
}

describe('JobTracker against the simulator', () => {
  let sim: AapSimulator;
  let url: string;

  beforeEach(async () => {
    // Jobs long enough to stay active for the whole test.
    sim = createAapSimulator({
      token: TOKEN,
      durations: { provisionMs: 60_000, deprovisionMs: 60_000 },
      queueDelayMs: 0,
    });
    ({ url } = await sim.listen(0, '127.0.0.1'));
  });

  afterEach(async () => {
    await sim.close();
  });

  async function trackHundredJobs(mode: JobPollingMode) {
    const client = new AapClient({ baseUrl: `${url}/api/v2`, token: TOKEN });
    const provider = new AapDirectProvider({ client });
    const woken = new Set<string>();
    const tracker = new JobTracker({
      provider,
      mode,
      pollIntervalMs: 60_000,
      onChange: key => woken.add(key),
    });
    for (let i = 0; i < 100; i++) {
      const vm = instance(i);
      const launched = await provider.triggerProvision(vm, testLaunch());
      const job: ProvisioningJob = {
        jobID: launched.jobID,
        type: 'provision',
        timestamp: new Date().toISOString(),
        state: 'Pending',
        message: launched.message,
        configVersion: 'v1',
        blockDeletionOnFailure: false,
      };
      tracker.track(`default/vm-${i}`, vm, job);
    }
    const before = client.stats();
    await tracker.tick();
    const after = client.stats();
    return { tracker, woken, requests: after.total - before.total };
  }

  it('polls 100 active jobs with ONE request per tick in batch mode', async () => {
    const { tracker, requests, woken } = await trackHundredJobs('batch');
    expect(requests).toBe(1);
    expect(tracker.stats().tickRequests).toBe(1);
    // Every job moved from Pending to Running in the simulator, so every instance is woken.
    expect(woken.size).toBe(100);
  });

  it('needs one request per job in perJob mode (as the original operator)', async () => {
    const { tracker, requests } = await trackHundredJobs('perJob');
    expect(requests).toBe(100);
    expect(tracker.stats().tickRequests).toBe(100);
  });

  it('splits more than 200 active jobs into chunks of 200', async () => {
    const client = new AapClient({ baseUrl: `${url}/api/v2`, token: TOKEN });
    const provider = new AapDirectProvider({ client });
    const tracker = new JobTracker({
      provider,
      mode: 'batch',
      pollIntervalMs: 60_000,
      onChange: () => {},
    });
    for (let i = 0; i < 450; i++) {
      const job: ProvisioningJob = {
        jobID: String(100_000 + i),
        type: 'provision',
        timestamp: new Date().toISOString(),
        state: 'Running',
        message: '',
        configVersion: 'v1',
        blockDeletionOnFailure: false,
      };
      tracker.track(`default/vm-${i}`, instance(i), job);
    }
    await tracker.tick();
    expect(tracker.stats().tickRequests).toBe(3);
  });

  it('reports a failed poll as an error for the instance, and does not wake it twice for the same error', async () => {
    const client = new AapClient({
      baseUrl: `${url}/api/v2`,
      token: TOKEN,
      maxRetries: 0,
    });
    const provider = new AapDirectProvider({ client });
    const woken: string[] = [];
    const tracker = new JobTracker({
      provider,
      mode: 'batch',
      pollIntervalMs: 60_000,
      onChange: key => woken.push(key),
    });
    const vm = instance(1);
    const launched = await provider.triggerProvision(vm, testLaunch());
    const job: ProvisioningJob = {
      jobID: launched.jobID,
      type: 'provision',
      timestamp: new Date().toISOString(),
      state: 'Pending',
      message: '',
      configVersion: 'v1',
      blockDeletionOnFailure: false,
    };
    tracker.track('default/vm-1', vm, job);
    sim.setFaults({ failNextStatusPolls: 2, statusPollStatus: 500 });
    await tracker.tick();
    await tracker.tick();
    expect(woken).toEqual(['default/vm-1']);
    await expect(tracker.currentStatus(vm, job)).rejects.toThrow();
  });
});
