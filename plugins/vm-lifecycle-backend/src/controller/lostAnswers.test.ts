import {
  isLaunchIntent,
  launchIdOf,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { TransientAapError } from '../aap/errors';
import { createHarness } from '../__testUtils__/harness';

/*
 * DOMAIN.md "Lost answers: exactly one job per intent", against in-memory fakes. The harness's
 * settle time is 30 s: a look-up must start that long after the outcome became unknown to prove
 * that AAP has no job.
 */
const SETTLE_MS = 30_000;

describe('Reconciler: a launch is an intent first', () => {
  it('persists the intent (type, config version, launch id) before the launch, and sends the launch id', async () => {
    const h = createHarness();
    await h.create('vm1');
    const seen: unknown[] = [];
    const original = h.provider.triggerProvision.bind(h.provider);
    h.provider.triggerProvision = async (instance, launch) => {
      // What the store holds while the request is on its way.
      seen.push((await h.mustGet('vm1')).status.provisioningJobs);
      return original(instance, launch);
    };
    await h.step('vm1');
    const vm = await h.mustGet('vm1');
    expect(seen).toEqual([
      [
        expect.objectContaining({
          jobID: expect.stringMatching(/^intent:/),
          launchID: expect.stringMatching(
            new RegExp(`^${vm.metadata.uid}-provision-`),
          ),
          type: 'provision',
          state: 'Pending',
          configVersion: vm.status.desiredConfigVersion,
        }),
      ],
    ]);
    const [job] = vm.status.provisioningJobs!;
    expect(isLaunchIntent(job)).toBe(false);
    const [fake] = h.provider.launched('provision');
    expect(job).toMatchObject({ jobID: fake.id, launchID: fake.launchID });
  });
});

describe('Reconciler: lost launch answers', () => {
  it('adopts the job AAP created when the launch answer was lost: one job', async () => {
    const h = createHarness();
    await h.create('vm1');
    h.provider.lostLaunchAnswers = 1;
    await h.step('vm1');
    let [entry] = await h.provisionJobs('vm1');
    expect(isLaunchIntent(entry)).toBe(true);
    expect(entry.state).toBe('Unknown');
    expect((await h.mustGet('vm1')).status.phase).toBe('Starting');
    expect(await h.eventReasons('vm1')).toContain('LaunchOutcomeUnknown');

    await h.step('vm1');
    [entry] = await h.provisionJobs('vm1');
    const [fake] = h.provider.launched('provision');
    expect(entry).toMatchObject({ jobID: fake.id, launchID: fake.launchID });
    expect(await h.eventReasons('vm1')).toContain('ProvisionJobAdopted');
    h.provider.setState(fake.id, 'Succeeded');
    await h.steps('vm1', 3);
    expect((await h.mustGet('vm1')).status.phase).toBe('Running');
    expect(h.provider.launched('provision')).toHaveLength(1);
  });

  it('launches again, with the same launch id, only once a look-up after the settle time finds no job', async () => {
    const h = createHarness();
    await h.create('vm1');
    h.provider.unknownLaunchesWithoutJob = 1;
    await h.step('vm1');
    const launchID = launchIdOf((await h.provisionJobs('vm1'))[0])!;
    // Look-ups before the settle time prove nothing: the request may still be on its way.
    for (let i = 0; i < 5; i++) {
      const r = await h.step('vm1');
      expect(r.requeueAfterMs).toBeGreaterThan(0);
    }
    expect(h.provider.calls.filter(c => c.startsWith('launch'))).toHaveLength(
      1,
    );
    expect(h.provider.launched()).toHaveLength(0);
    h.clock.advance(SETTLE_MS);
    await h.step('vm1');
    const launched = h.provider.launched('provision');
    expect(launched).toHaveLength(1);
    expect(launched[0].launchID).toBe(launchID);
    expect(await h.eventReasons('vm1')).toContain('LaunchRepeated');
    expect(await h.provisionJobs('vm1')).toEqual([
      expect.objectContaining({ jobID: launched[0].id, launchID }),
    ]);
  });

  it('a controller restarted between the launch and the status write adopts the job instead of launching another', async () => {
    const h = createHarness();
    await h.create('vm1');
    h.provider.lostLaunchAnswers = 1; // the job exists; the controller never learnt its id
    await h.step('vm1');
    h.restartController();
    await h.steps('vm1', 3);
    expect(h.provider.launched('provision')).toHaveLength(1);
    const [entry] = await h.provisionJobs('vm1');
    expect(entry.jobID).toBe(h.provider.launched('provision')[0].id);
  });

  it('a controller restarted between the intent and the launch waits out the settle time, then launches once', async () => {
    const h = createHarness();
    await h.create('vm1');
    // The first controller recorded the intent and died before its request left: the launch
    // call never returns, and nothing after it runs.
    h.provider.triggerProvision = () => new Promise(() => {});
    void h.step('vm1');
    const intent = await (async () => {
      for (let i = 0; i < 100; i++) {
        const [entry] = await h.provisionJobs('vm1');
        if (entry) return entry;
        await new Promise(r => setTimeout(r, 5));
      }
      throw new Error('no intent recorded');
    })();
    expect(isLaunchIntent(intent)).toBe(true);

    const h2 = createHarness({ store: h.store, events: h.events });
    h2.clock.advance(h.clock.now() - h2.clock.now());
    await h2.steps('vm1', 3);
    expect(h2.provider.launched()).toHaveLength(0);
    h2.clock.advance(SETTLE_MS);
    await h2.steps('vm1', 2);
    const launched = h2.provider.launched('provision');
    expect(launched).toHaveLength(1);
    expect(launched[0].launchID).toBe(launchIdOf(intent));
  });

  it('a failing look-up keeps the intent and launches nothing', async () => {
    const h = createHarness();
    await h.create('vm1');
    h.provider.unknownLaunchesWithoutJob = 1;
    await h.step('vm1');
    h.clock.advance(SETTLE_MS);
    h.provider.findErrors.push(new TransientAapError('AAP answered 504'));
    await h.step('vm1');
    const [entry] = await h.provisionJobs('vm1');
    expect(isLaunchIntent(entry)).toBe(true);
    expect(entry.message).toMatch(/Could not look for the provision job/);
    expect(await h.eventReasons('vm1')).toContain('LaunchLookupFailed');
    expect(h.provider.launched()).toHaveLength(0);
  });

  it('a definite refusal (rate limit) drops the intent: no job recorded', async () => {
    const h = createHarness();
    await h.create('vm1');
    h.provider.launchErrors.push(new TransientAapError('AAP answered 500'));
    await h.step('vm1');
    expect(await h.provisionJobs('vm1')).toEqual([]);
  });
});

describe('Reconciler: deletion with lost answers', () => {
  it('a lost deprovision launch answer is adopted: one deprovision job, then the record goes', async () => {
    const h = createHarness();
    await h.provisioned('vm1');
    await h.store.delete('default', 'vm1');
    h.provider.lostLaunchAnswers = 1;
    await h.step('vm1');
    expect(isLaunchIntent((await h.deprovisionJobs('vm1'))[0])).toBe(true);
    await h.step('vm1');
    const [deprovision] = h.provider.launched('deprovision');
    expect((await h.deprovisionJobs('vm1'))[0].jobID).toBe(deprovision.id);
    h.provider.setState(deprovision.id, 'Succeeded');
    await h.steps('vm1', 3);
    expect(await h.get('vm1')).toBeUndefined();
    expect(h.provider.launched('deprovision')).toHaveLength(1);
  });

  it('a delete while the provision launch is unresolved: the job found is canceled first', async () => {
    const h = createHarness();
    await h.create('vm1');
    h.provider.lostLaunchAnswers = 1;
    await h.step('vm1');
    const [provision] = h.provider.launched('provision');
    h.provider.setState(provision.id, 'Running');
    await h.store.delete('default', 'vm1');
    await h.steps('vm1', 2);
    expect(h.provider.calls).toContain(`cancel:${provision.id}`);
    expect(h.provider.launched('deprovision')).toHaveLength(0);
    h.provider.setState(provision.id, 'Canceled');
    await h.steps('vm1', 3);
    expect(h.provider.launched('deprovision')).toHaveLength(1);
  });

  it('a delete while a provision launch provably never reached AAP: the intent is abandoned, one deprovision job', async () => {
    const h = createHarness();
    await h.create('vm1');
    h.provider.unknownLaunchesWithoutJob = 1;
    await h.step('vm1');
    await h.store.delete('default', 'vm1');
    await h.steps('vm1', 2);
    expect(h.provider.launched('deprovision')).toHaveLength(0);
    h.clock.advance(SETTLE_MS);
    await h.steps('vm1', 2);
    expect(await h.provisionJobs('vm1')).toEqual([
      expect.objectContaining({
        state: 'Canceled',
        message: expect.stringMatching(/^Not launched/),
      }),
    ]);
    expect(h.provider.launched('provision')).toHaveLength(0);
    expect(h.provider.launched('deprovision')).toHaveLength(1);
    expect(await h.eventReasons('vm1')).toContain('LaunchAbandoned');
  });

  it('a lost cancel answer: re-reads the job and cancels again only while it still runs', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const [provision] = h.provider.launched('provision');
    h.provider.setState(provision.id, 'Running');
    await h.store.delete('default', 'vm1');
    h.provider.lostCancelAnswers = 1;
    await h.step('vm1');
    expect(await h.eventReasons('vm1')).toContain('CancelOutcomeUnknown');
    // Still running: AAP is asked again (and answers 202 this time).
    await h.step('vm1');
    const cancels = () =>
      h.provider.calls.filter(c => c === `cancel:${provision.id}`).length;
    expect(cancels()).toBe(2);
    expect(h.provider.launched('deprovision')).toHaveLength(0);
    h.provider.setState(provision.id, 'Canceled');
    await h.steps('vm1', 3);
    expect(cancels()).toBe(2);
    expect(h.provider.launched('deprovision')).toHaveLength(1);
  });

  it('a lost cancel answer for a job that then ended: no second cancel, one deprovision job', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const [provision] = h.provider.launched('provision');
    h.provider.setState(provision.id, 'Running');
    await h.store.delete('default', 'vm1');
    h.provider.cancelEndsImmediately = 'Canceled';
    h.provider.lostCancelAnswers = 1;
    await h.steps('vm1', 4);
    expect(
      h.provider.calls.filter(c => c === `cancel:${provision.id}`),
    ).toHaveLength(1);
    expect(h.provider.launched('deprovision')).toHaveLength(1);
  });

  it('a 405 on cancel while AAP still shows the job running: waits, never deprovisions beside it', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const [provision] = h.provider.launched('provision');
    h.provider.setState(provision.id, 'Running');
    await h.store.delete('default', 'vm1');
    h.provider.refusedCancels = 1;
    await h.step('vm1');
    const [entry] = await h.provisionJobs('vm1');
    expect(entry.state).toBe('Running');
    expect(entry.message).toMatch(/still shows it Running/);
    expect(h.provider.launched('deprovision')).toHaveLength(0);
    h.provider.setState(provision.id, 'Succeeded');
    await h.steps('vm1', 3);
    expect(h.provider.launched('deprovision')).toHaveLength(1);
  });

  it('a 405 on cancel and a failing status read: waits and says so, invents no state', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const [provision] = h.provider.launched('provision');
    h.provider.setState(provision.id, 'Running');
    await h.step('vm1');
    await h.store.delete('default', 'vm1');
    h.provider.refusedCancels = 1;
    // The live read before the cancel succeeds; the one after the 405 fails.
    const original = h.provider.getProvisionStatus.bind(h.provider);
    let reads = 0;
    h.provider.getProvisionStatus = async (i, j) => {
      reads++;
      if (reads === 2) throw new TransientAapError('AAP answered 504');
      return original(i, j);
    };
    await h.step('vm1');
    const [entry] = await h.provisionJobs('vm1');
    expect(entry.state).toBe('Running');
    expect(entry.message).toMatch(/could not be read/);
    expect(h.provider.launched('deprovision')).toHaveLength(0);
  });
});
