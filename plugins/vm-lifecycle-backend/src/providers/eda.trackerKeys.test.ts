import { createEdaHarness } from './__testUtils__/edaHarness';

describe('EDA jobs of different instances share ids', () => {
  it("a status observed for one instance is never read as another instance's", async () => {
    const h = createEdaHarness();
    await h.create('a');
    await h.create('b');
    await h.step('a');
    await h.step('b');
    expect((await h.latest('a', 'provision'))!.jobID).toBe(
      (await h.latest('b', 'provision'))!.jobID,
    );
    await h.playbook.create('b');
    await h.tracker.tick();
    // Within the tracker's freshness window: A must read its own job, not B's observation.
    await h.reconciler.reconcile('default/a');
    await h.reconciler.reconcile('default/b');
    expect((await h.latest('a', 'provision'))!.state).toBe('Unknown');
    expect((await h.mustGet('a')).status.phase).toBe('Starting');
    expect((await h.latest('b', 'provision'))!.state).toBe('Succeeded');
    expect(h.tracker.trackedCount).toBe(1);
  });
});
