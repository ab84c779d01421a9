import { mockServices } from '@backstage/backend-test-utils';
import {
  apiGroupNames,
  ComputeInstance,
  ComputeInstanceSpec,
  latestJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { JobTracker } from '../../controller/jobTracker';
import { Reconciler } from '../../controller/reconciler';
import { ReconcileResult } from '../../controller/workQueue';
import { InMemoryEventStore } from '../../events/InMemoryEventStore';
import { InMemoryStore } from '../../store/InMemoryStore';
import { sampleSpec } from '../../__testUtils__/harness';
import { EdaAuthConfig } from '../edaAuth';
import {
  addAapFinalizer,
  removeAapFinalizer,
  setReconciledVersion,
} from '../edaMetadata';
import { EdaProvider } from '../EdaProvider';
import { ProvisioningProvider } from '../types';

export const NAMESPACE = 'default';
export const POLL_MS = 1000;
export const PROVISION_URL =
  'https://aap.example.com/eda-event-streams/api/eda/v1/external_event_stream/11111111-aaaa-4bbb-8ccc-000000000001/post/';
export const DEPROVISION_URL =
  'https://aap.example.com/eda-event-streams/api/eda/v1/external_event_stream/22222222-aaaa-4bbb-8ccc-000000000002/post/';

export interface PostedEvent {
  url: string;
  headers: Record<string, string>;
  body: string;
  payload: ComputeInstance;
}

type Answer =
  { status: number; body?: string; headers?: Record<string, string> } | Error;

/**
 * A fake EDA event stream: records every POST and answers 200, or what the test queued. The
 * "playbooks" are the test calling `playbook.*`, which write exactly what the callback route writes.
 */
export class FakeEventStreams {
  readonly posted: PostedEvent[] = [];
  readonly answers: Answer[] = [];

  readonly fetchImpl = async (
    url: string,
    init: RequestInit,
  ): Promise<Response> => {
    const body = String(init.body);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const answer = this.answers.shift() ?? { status: 200 };
    if (answer instanceof Error) throw answer;
    this.posted.push({ url, headers, body, payload: JSON.parse(body) });
    return new Response(answer.body ?? '', {
      status: answer.status,
      headers: answer.headers,
    });
  };

  to(url: string): PostedEvent[] {
    return this.posted.filter(p => p.url === url);
  }
}

/** A reconciler on in-memory ports with the real EDA provider (or any provider) behind it. */
export function createEdaHarness(
  options: {
    auth?: EdaAuthConfig;
    completionTimeoutMs?: number;
    provider?: (deps: {
      store: InMemoryStore;
      streams: FakeEventStreams;
      now: () => number;
    }) => ProvisioningProvider;
    maxJobHistory?: number;
  } = {},
) {
  let nowMs = Date.parse('2026-01-01T00:00:00.000Z');
  const now = () => nowMs;
  const store = new InMemoryStore();
  const events = new InMemoryEventStore();
  const names = apiGroupNames();
  const streams = new FakeEventStreams();
  const provider =
    options.provider?.({ store, streams, now }) ??
    new EdaProvider({
      store,
      names,
      provisionUrl: PROVISION_URL,
      deprovisionUrl: DEPROVISION_URL,
      auth: options.auth ?? { type: 'token', token: 'eda-token' },
      completionTimeoutMs: options.completionTimeoutMs,
      retryBaseDelayMs: 1,
      fetchImpl: streams.fetchImpl,
      now,
    });
  const tracker = new JobTracker({
    provider,
    mode: 'batch',
    pollIntervalMs: POLL_MS,
    onChange: () => {},
    now,
  });
  const logger = mockServices.logger.mock();
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
    logger,
    pollIntervalMs: POLL_MS,
    maxJobHistory: options.maxJobHistory ?? 10,
    configErrorRetryMs: 60_000,
    now,
  });

  const ref = (instance: ComputeInstance) => ({
    namespace: NAMESPACE,
    name: instance.metadata.name,
    uid: instance.metadata.uid,
  });
  const h = {
    logger,
    store,
    events,
    names,
    streams,
    provider,
    tracker,
    reconciler,
    advance(ms: number) {
      nowMs += ms;
    },
    create(name: string, spec: Partial<ComputeInstanceSpec> = {}) {
      return store.create({
        metadata: { name, namespace: NAMESPACE },
        spec: sampleSpec(spec),
      });
    },
    get: (name: string) => store.get(NAMESPACE, name),
    async mustGet(name: string): Promise<ComputeInstance> {
      const obj = await store.get(NAMESPACE, name);
      if (!obj) throw new Error(`${name} is gone`);
      return obj;
    },
    /** One reconcile, after the tracker's observations went stale so status reads are live. */
    async step(name: string): Promise<ReconcileResult> {
      nowMs += POLL_MS * 3;
      return reconciler.reconcile(`${NAMESPACE}/${name}`);
    },
    async steps(name: string, n: number): Promise<ReconcileResult> {
      let result: ReconcileResult = {};
      for (let i = 0; i < n; i++) result = await h.step(name);
      return result;
    },
    async latest(name: string, type: 'provision' | 'deprovision') {
      return latestJob((await h.mustGet(name)).status.provisioningJobs, type);
    },
    async eventReasons(name: string): Promise<string[]> {
      const obj = await h.mustGet(name);
      return (await events.list(obj.metadata)).map(e => e.reason);
    },
    /** What the OSAC playbooks write on the resource (here straight through the store). */
    playbook: {
      async addFinalizer(name: string) {
        return addAapFinalizer(store, names, ref(await h.mustGet(name)));
      },
      async reportApplied(name: string, configVersion?: string) {
        const obj = await h.mustGet(name);
        return setReconciledVersion(
          store,
          names,
          ref(obj),
          configVersion ?? obj.status.desiredConfigVersion!,
        );
      },
      async removeFinalizer(name: string) {
        return removeAapFinalizer(store, names, ref(await h.mustGet(name)));
      },
      /** The whole create playbook, for the last event sent. */
      async create(name: string) {
        const event = [...streams.to(PROVISION_URL)]
          .reverse()
          .find(e => e.payload.metadata.name === name)!;
        await h.playbook.addFinalizer(name);
        await h.playbook.reportApplied(
          name,
          event.payload.status.desiredConfigVersion,
        );
      },
    },
    /** Create -> event -> playbook -> Running. */
    async running(name: string) {
      await h.create(name);
      await h.step(name);
      await h.playbook.create(name);
      await h.steps(name, 2);
      return h.mustGet(name);
    },
  };
  return h;
}
