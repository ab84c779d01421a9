import { mockServices } from '@backstage/backend-test-utils';
import { apiGroupNames } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { createHarness, sampleSpec } from '../__testUtils__/harness';
import { FakeProvider } from '../__testUtils__/FakeProvider';
import { InMemoryEventStore } from '../events/InMemoryEventStore';
import { TransientAapError } from '../aap/errors';
import { StaleResourceVersionError } from '../store/errors';
import { InMemoryStore } from '../store/InMemoryStore';
import { ComputeInstanceStore } from '../store/types';
import { Controller } from './controller';

/*
 * The controller under hostile conditions (issue 18): clocks that step back, conflicts that do not
 * stop, a store that fails at the wrong moment. Each test reproduces a problem found in review.
 */

describe('Reconciler: job order does not depend on clocks', () => {
  it('a clock 60 s behind the last job launches one job after a spec change, not one per reconcile', async () => {
    const h = createHarness();
    const vm = await h.provisioned('vm1');
    // A new leader with a slow clock, or an NTP step.
    h.clock.advance(-60_000);
    await h.store.update({
      ...vm,
      spec: { ...vm.spec, runStrategy: 'Halted' },
    });
    await h.steps('vm1', 6);
    const jobs = await h.provisionJobs('vm1');
    expect(jobs).toHaveLength(2);
    expect(h.provider.launched('provision')).toHaveLength(2);
    // The new job is the latest although its launch clock read earlier than the first's timestamp.
    const [first, second] = jobs;
    expect(Date.parse(second.timestamp)).toBeGreaterThan(
      Date.parse(first.timestamp),
    );
    expect((await h.latest('vm1', 'provision'))!.jobID).toBe(second.jobID);
  });
});

describe('Reconciler: no silent give-up', () => {
  it('conflicts on the finalizer beyond the retry budget: nothing is launched, the reconcile fails and is retried', async () => {
    const store = new InMemoryStore();
    const h = createHarness({ store });
    await h.create('vm1');
    const update = store.update.bind(store);
    let conflicts = true;
    store.update = async obj => {
      if (conflicts)
        throw new StaleResourceVersionError('default', 'vm1', '1', '2');
      return update(obj);
    };
    await expect(h.step('vm1')).rejects.toThrow(/Could not add finalizer/);
    expect(h.provider.calls.filter(c => c.startsWith('launch'))).toEqual([]);
    conflicts = false;
    await h.step('vm1');
    expect((await h.mustGet('vm1')).metadata.finalizers).toContain(
      h.names.finalizer,
    );
    expect(h.provider.launched('provision')).toHaveLength(1);
  });

  it('FinalizerRemoved is recorded only once the finalizer is really gone', async () => {
    const store = new InMemoryStore();
    const h = createHarness({ store });
    await h.provisioned('vm1');
    await store.delete('default', 'vm1');
    await h.step('vm1');
    const [deprovision] = h.provider.launched('deprovision');
    h.provider.setState(deprovision.id, 'Succeeded');
    const uid = (await h.mustGet('vm1')).metadata.uid;
    const update = store.update.bind(store);
    let failing = true;
    store.update = async obj => {
      if (failing) throw new Error('database is down');
      return update(obj);
    };
    await expect(h.steps('vm1', 2)).rejects.toThrow(/database is down/);
    const reasons = async () =>
      (await h.events.list({ namespace: 'default', name: 'vm1', uid })).map(
        e => e.reason,
      );
    expect(await reasons()).not.toContain('FinalizerRemoved');
    expect(await h.get('vm1')).toBeDefined();
    failing = false;
    await h.steps('vm1', 2);
    expect(await h.get('vm1')).toBeUndefined();
    expect(await reasons()).toContain('FinalizerRemoved');
  });
});

describe('Reconciler: nothing is kept of an instance that is gone', () => {
  it('drops what it remembered (cancels, lost answers, unpersisted ids) and its tracked jobs', async () => {
    const h = createHarness();
    await h.create('vm1');
    await h.step('vm1');
    const [provision] = h.provider.launched('provision');
    h.provider.setState(provision.id, 'Running');
    await h.store.delete('default', 'vm1');
    await h.step('vm1'); // cancel accepted: remembered
    expect(h.reconciler.rememberedInstances).toBe(1);
    h.provider.setState(provision.id, 'Canceled');
    await h.steps('vm1', 2);
    const [deprovision] = h.provider.launched('deprovision');
    h.provider.setState(deprovision.id, 'Succeeded');
    await h.steps('vm1', 3);
    expect(await h.get('vm1')).toBeUndefined();
    expect(h.reconciler.rememberedInstances).toBe(0);
    expect(h.tracker.trackedCount).toBe(0);
  });
});

describe('Controller: a failing first resync', () => {
  it('is retried, and the periodic resync runs regardless', async () => {
    const inner = new InMemoryStore();
    const created = await inner.create({
      metadata: { name: 'vm1', namespace: 'default' },
      spec: sampleSpec(),
    });
    let lists = 0;
    // No watch events reach the controller: only a resync can find the instance.
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'watch') return () => () => undefined;
        if (prop === 'list')
          return async (...args: unknown[]) => {
            lists++;
            if (lists === 1)
              throw new Error('the database is not reachable yet');
            return (target.list as (...a: unknown[]) => unknown)(...args);
          };
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as ComputeInstanceStore;
    const provider = new FakeProvider();
    const controller = new Controller({
      store,
      provider,
      events: new InMemoryEventStore(),
      names: apiGroupNames(),
      logger: mockServices.logger.mock(),
      pollIntervalMs: 50,
      resyncIntervalMs: 200,
    });
    controller.start();
    try {
      for (let i = 0; i < 100 && provider.launched().length === 0; i++)
        await new Promise(r => setTimeout(r, 20));
      expect(provider.launched('provision')).toHaveLength(1);
      expect(provider.launched()[0].instanceKey).toBe(
        `default/${created.metadata.name}`,
      );
      expect(lists).toBeGreaterThanOrEqual(2);
    } finally {
      await controller.stop();
    }
  });
});

describe('Reconciler: stuck deletions say why and can be retried', () => {
  const blockedCondition = async (h: ReturnType<typeof createHarness>) =>
    (await h.mustGet('vm1')).status.conditions?.find(
      c => c.type === 'DeletionBlocked',
    );

  it('a provision job that ignores the cancel: ProvisionJobNotTerminal after the deadline, once; retry now asks again', async () => {
    const h = createHarness({ deletionStuckAfterMs: 10 * 60_000 });
    // The in-memory store stamps deletionTimestamp with the real clock.
    h.clock.advance(Date.now() - h.clock.now());
    await h.create('vm1');
    await h.step('vm1');
    const job = (await h.latest('vm1', 'provision'))!;
    h.provider.setState(job.jobID, 'Running');
    await h.store.delete('default', 'vm1');
    await h.steps('vm1', 3);
    expect(h.provider.calls.filter(c => c.startsWith('cancel'))).toHaveLength(
      1,
    );
    expect(await blockedCondition(h)).toBeUndefined();

    h.clock.advance(11 * 60_000);
    await h.steps('vm1', 3);
    const blocked = await blockedCondition(h);
    expect(blocked).toMatchObject({
      status: 'True',
      reason: 'ProvisionJobNotTerminal',
    });
    expect(blocked!.message).toContain('AAP was asked to cancel it');
    expect(
      (await h.eventReasons('vm1')).filter(r => r === 'DeletionBlocked'),
    ).toHaveLength(1);

    // "Retry now" (the annotation the REST API writes): the job is read live and asked again.
    const current = await h.mustGet('vm1');
    await h.store.update({
      ...current,
      metadata: {
        ...current.metadata,
        annotations: {
          ...current.metadata.annotations,
          [h.names.deletionRetryAnnotation]: new Date(
            h.clock.now(),
          ).toISOString(),
        },
      },
    });
    await h.steps('vm1', 2);
    expect(h.provider.calls.filter(c => c.startsWith('cancel'))).toHaveLength(
      2,
    );
    expect(h.provider.launched('deprovision')).toHaveLength(0);

    h.provider.setState(job.jobID, 'Canceled');
    await h.steps('vm1', 2);
    expect(h.provider.launched('deprovision')).toHaveLength(1);
    expect(await blockedCondition(h)).toMatchObject({
      status: 'False',
      reason: 'DeletionProceeding',
    });
  });

  it('AAP unreachable for the deprovision launch: AapUnreachable after the deadline, cleared when AAP answers', async () => {
    const h = createHarness({ deletionStuckAfterMs: 10 * 60_000 });
    // The in-memory store stamps deletionTimestamp with the real clock.
    h.clock.advance(Date.now() - h.clock.now());
    await h.provisioned('vm1');
    await h.store.delete('default', 'vm1');
    const down = () =>
      new TransientAapError('AAP launch failed after 4 attempts: HTTP 502');
    h.provider.launchErrors = Array.from({ length: 20 }, down);
    await h.step('vm1');
    expect(await blockedCondition(h)).toBeUndefined();
    h.clock.advance(11 * 60_000);
    await h.step('vm1');
    const blocked = await blockedCondition(h);
    expect(blocked).toMatchObject({ status: 'True', reason: 'AapUnreachable' });
    expect(blocked!.message).toContain('HTTP 502');

    h.provider.launchErrors = [];
    await h.step('vm1');
    expect(h.provider.launched('deprovision')).toHaveLength(1);
    const after = await blockedCondition(h);
    expect(after?.reason).not.toBe('AapUnreachable');
  });
});
