import { Inventory } from './inventory';
import { instanceFromExtraVars, isFinished, JobEngine } from './jobs';
import { Scheduler } from './scheduler';
import { TemplateCatalog } from './templates';
import { launchBody } from './testing/simTestHarness';

function engineWith(durations = { provisionMs: 200, deprovisionMs: 100 }) {
  const scheduler = new Scheduler();
  const inventory = new Inventory();
  const engine = new JobEngine({
    scheduler,
    inventory,
    now: Date.now,
    random: Math.random,
    failureRate: () => 0,
    durations,
    queueDelayMs: 20,
    log: () => {},
  });
  const templates = new TemplateCatalog({}, new Date().toISOString());
  return {
    scheduler,
    inventory,
    engine,
    create: templates.forAction('provision')!,
    remove: templates.forAction('deprovision')!,
  };
}

const until = async (condition: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(resolve => setTimeout(resolve, 10));
  }
};

describe('JobEngine', () => {
  it('runs thousands of concurrent jobs with one timer each and none left afterwards', async () => {
    const { scheduler, inventory, engine, create } = engineWith();
    const jobs = Array.from({ length: 3000 }, (_, i) =>
      engine.launch(
        create,
        launchBody({ namespace: 'scale', name: `vm-${i}`, uid: `u${i}` })
          .extra_vars,
      ),
    );
    expect(scheduler.pending).toBe(3000);
    await until(() => jobs.every(isFinished));
    expect(jobs.every(j => j.status === 'successful')).toBe(true);
    expect(inventory.list()).toHaveLength(3000);
    expect(scheduler.pending).toBe(0);
  });

  it('clear() stops every job and its timers', () => {
    const { scheduler, engine, create } = engineWith();
    for (let i = 0; i < 10; i++) engine.launch(create, {});
    expect(scheduler.pending).toBe(10);
    engine.clear();
    expect(scheduler.pending).toBe(0);
    expect(engine.infos()).toEqual([]);
  });

  it('keeps job ids unique across job types and after clear()', () => {
    const { engine, create, remove } = engineWith();
    const a = engine.launch(create, {});
    const b = engine.launch(remove, {});
    engine.clear();
    const c = engine.launch(create, {});
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
    expect(c.id).toBeGreaterThan(b.id);
    engine.clear();
  });
});

describe('instanceFromExtraVars', () => {
  it('reads ansible_eda.event.payload.metadata', () => {
    expect(
      instanceFromExtraVars(
        launchBody({ namespace: 'n', name: 'x', uid: 'u' }).extra_vars,
        true,
      ),
    ).toEqual({
      namespace: 'n',
      name: 'x',
      uid: 'u',
    });
  });

  it('defaults the namespace, invents a uid only for provisioning, and needs a name', () => {
    const vars = {
      ansible_eda: { event: { payload: { metadata: { name: 'x' } } } },
    };
    expect(instanceFromExtraVars(vars, true)).toEqual({
      namespace: 'default',
      name: 'x',
      uid: expect.any(String),
    });
    expect(instanceFromExtraVars(vars, false)).toEqual({
      namespace: 'default',
      name: 'x',
      uid: '',
    });
    expect(instanceFromExtraVars({}, true)).toBeNull();
    expect(
      instanceFromExtraVars(
        { ansible_eda: { event: { payload: { metadata: { name: '' } } } } },
        true,
      ),
    ).toBeNull();
  });
});
