import { mockServices } from '@backstage/backend-test-utils';
import {
  apiGroupNames,
  ComputeInstance,
  ComputeInstanceSpec,
  latestJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { JobTracker } from '../controller/jobTracker';
import { Reconciler } from '../controller/reconciler';
import { ReconcileResult } from '../controller/workQueue';
import { InMemoryEventStore } from '../events/InMemoryEventStore';
import { InMemoryStore } from '../store/InMemoryStore';
import { FakeProvider } from './FakeProvider';

export const NAMESPACE = 'default';
export const POLL_MS = 1000;

export function sampleSpec(
  overrides: Partial<ComputeInstanceSpec> = {},
): ComputeInstanceSpec {
  return {
    templateID: 'fedora_small',
    image: {
      sourceType: 'registry',
      sourceRef: 'quay.io/containerdisks/fedora:latest',
    },
    cores: 2,
    memoryGiB: 4,
    bootDisk: { sizeGiB: 20 },
    runStrategy: 'Always',
    ...overrides,
  };
}

/** A reconciler wired to in-memory fakes of both ports, with a clock the test moves. */
export function createHarness(
  options: {
    maxJobHistory?: number;
    store?: InMemoryStore;
    provider?: FakeProvider;
    events?: InMemoryEventStore;
    unknownOutcomeSettleMs?: number;
    deletionStuckAfterMs?: number;
  } = {},
) {
  let nowMs = Date.parse('2026-01-01T00:00:00.000Z');
  const clock = {
    now: () => nowMs,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
  const store = options.store ?? new InMemoryStore();
  const provider = options.provider ?? new FakeProvider(clock.now);
  const events = options.events ?? new InMemoryEventStore();
  const names = apiGroupNames();
  const woken: string[] = [];

  function newReconciler() {
    const tracker = new JobTracker({
      provider,
      mode: 'batch',
      pollIntervalMs: POLL_MS,
      onChange: key => woken.push(key),
      now: clock.now,
    });
    const reconciler = new Reconciler({
      store,
      provider,
      tracker,
      names,
      recordEvent: (instance, event) =>
        events.record(instance.metadata, {
          ...event,
          timestamp: new Date(nowMs).toISOString(),
        }),
      logger: mockServices.logger.mock(),
      pollIntervalMs: POLL_MS,
      maxJobHistory: options.maxJobHistory ?? 10,
      unknownOutcomeSettleMs: options.unknownOutcomeSettleMs ?? 30_000,
      deletionStuckAfterMs: options.deletionStuckAfterMs,
      now: clock.now,
    });
    return { reconciler, tracker };
  }
  let { reconciler, tracker } = newReconciler();

  const h = {
    store,
    provider,
    events,
    names,
    clock,
    woken,
    get reconciler() {
      return reconciler;
    },
    get tracker() {
      return tracker;
    },
    /** Simulates a controller restart: all in-memory state is gone, only the store remains. */
    restartController() {
      ({ reconciler, tracker } = newReconciler());
    },
    newReconciler,
    async create(
      name: string,
      spec: Partial<ComputeInstanceSpec> = {},
    ): Promise<ComputeInstance> {
      return store.create({
        metadata: { name, namespace: NAMESPACE },
        spec: sampleSpec(spec),
      });
    },
    async get(name: string): Promise<ComputeInstance | undefined> {
      return store.get(NAMESPACE, name);
    },
    async mustGet(name: string): Promise<ComputeInstance> {
      const obj = await store.get(NAMESPACE, name);
      if (!obj) throw new Error(`${name} is gone`);
      return obj;
    },
    /** One reconcile; the clock first moves past the tracker's freshness window so reads are live. */
    async step(name: string): Promise<ReconcileResult> {
      clock.advance(POLL_MS * 3);
      return reconciler.reconcile(`${NAMESPACE}/${name}`);
    },
    async steps(name: string, n: number): Promise<ReconcileResult> {
      let r: ReconcileResult = {};
      for (let i = 0; i < n; i++) r = await h.step(name);
      return r;
    },
    async provisionJobs(name: string) {
      return ((await h.mustGet(name)).status.provisioningJobs ?? []).filter(
        j => j.type === 'provision',
      );
    },
    async deprovisionJobs(name: string) {
      return ((await h.mustGet(name)).status.provisioningJobs ?? []).filter(
        j => j.type === 'deprovision',
      );
    },
    async latest(name: string, type: 'provision' | 'deprovision') {
      return latestJob((await h.mustGet(name)).status.provisioningJobs, type);
    },
    async eventReasons(name: string): Promise<string[]> {
      const obj = await h.get(name);
      const uid = obj?.metadata.uid;
      if (!uid) throw new Error('needs a live object');
      return (await events.list({ namespace: NAMESPACE, name, uid })).map(
        e => e.reason,
      );
    },
    /** Runs a VM to phase Running with its provision job Succeeded. */
    async provisioned(name: string, spec: Partial<ComputeInstanceSpec> = {}) {
      await h.create(name, spec);
      await h.step(name);
      const job = await h.latest(name, 'provision');
      provider.setState(job!.jobID, 'Succeeded');
      await h.steps(name, 2);
      return h.mustGet(name);
    },
  };
  return h;
}
