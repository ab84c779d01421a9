import { hostname } from 'node:os';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ApiGroupNames,
  COMPUTE_INSTANCE_KIND,
  LifecycleEvent,
  apiGroupNames,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { CoreV1Api, CoreV1Event, KubeConfig } from '@kubernetes/client-node';
import { describeKubeError, kubeStatusOf } from '../cluster/kubeErrors';
import {
  DEFAULT_MAX_EVENTS_PER_INSTANCE,
  NewLifecycleEvent,
  prepareEvent,
} from './eventRules';
import { InstanceRef, LifecycleEventStore } from './types';

export interface KubernetesEventStoreOptions {
  kubeConfig: KubeConfig;
  /** API group of the ComputeInstance CRD (the events' involvedObject and annotation prefix). */
  apiGroup?: string;
  /** Oldest events beyond this many per instance are deleted; default 1000. */
  maxEventsPerInstance?: number;
  /** `source.component` / `reportingComponent` of the events. Default vm-lifecycle-controller. */
  component?: string;
  logger?: LoggerService;
}

const COMPONENT = 'vm-lifecycle-controller';
/**
 * Pruning lists every event of the instance, so it runs once per this many records of one
 * instance (and on its first record in this process), not on every record: the cap may be
 * exceeded by this many events for a while.
 */
const PRUNE_EVERY = 50;
/** Instances whose record count is kept for pruning; the oldest are forgotten beyond it. */
const PRUNE_COUNTERS = 10_000;

/**
 * Lifecycle events as core/v1 Events on the ComputeInstance, so `kubectl describe ci` and
 * `kubectl get events` show what the controller did, and the portal reads the same history back.
 *
 * Written in the core/v1 ("legacy") form, without eventTime: the API server limits the message of
 * an event with eventTime to 1 KiB, and an AAP traceback is longer. The exact timestamp (metav1.Time
 * has whole seconds) and the job id travel in annotations. Event names carry a monotonic counter,
 * which orders events with the same timestamp in the order they were recorded.
 *
 * Kubernetes deletes events after the API server's --event-ttl (1 h by default): in a cluster, the
 * history the portal shows is as long as the cluster keeps events.
 */
export class KubernetesEventStore implements LifecycleEventStore {
  private readonly api: CoreV1Api;
  private readonly names: ApiGroupNames;
  private readonly max: number;
  private readonly component: string;
  private readonly instance = hostname();
  private lastSequence = 0n;
  private readonly sincePrune = new Map<string, number>();

  constructor(private readonly o: KubernetesEventStoreOptions) {
    this.api = o.kubeConfig.makeApiClient(CoreV1Api);
    this.names = apiGroupNames(o.apiGroup);
    this.max = o.maxEventsPerInstance ?? DEFAULT_MAX_EVENTS_PER_INSTANCE;
    this.component = o.component ?? COMPONENT;
  }

  async record(ref: InstanceRef, event: NewLifecycleEvent): Promise<void> {
    const prepared = prepareEvent(ref, event);
    const second = prepared.timestamp.replace(/\.\d+Z$/, 'Z');
    const annotations: Record<string, string> = {
      [this.timestampAnnotation]: prepared.timestamp,
    };
    if (prepared.jobID !== undefined)
      annotations[this.jobIdAnnotation] = prepared.jobID;
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${ref.name}.${this.nextSequence().toString(16)}`,
        namespace: ref.namespace,
        annotations,
      },
      involvedObject: {
        apiVersion: this.names.apiVersion,
        kind: COMPUTE_INSTANCE_KIND,
        namespace: ref.namespace,
        name: ref.name,
        uid: ref.uid,
      },
      type: prepared.type,
      reason: prepared.reason,
      message: prepared.message,
      count: 1,
      firstTimestamp: second,
      lastTimestamp: second,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
    } as unknown as CoreV1Event;
    await this.api.createNamespacedEvent({ namespace: ref.namespace, body });
    if (this.pruneDue(ref.uid)) await this.prune(ref);
  }

  private pruneDue(uid: string): boolean {
    const count = this.sincePrune.get(uid);
    this.sincePrune.delete(uid);
    const due = count === undefined || count + 1 >= PRUNE_EVERY;
    this.sincePrune.set(uid, due ? 0 : count + 1);
    if (this.sincePrune.size > PRUNE_COUNTERS) {
      // Maps iterate in insertion order, and each record re-inserts: the first key is the stalest.
      this.sincePrune.delete(this.sincePrune.keys().next().value!);
    }
    return due;
  }

  async list(ref: InstanceRef): Promise<LifecycleEvent[]> {
    return (await this.listSorted(ref)).slice(-this.max).map(e => e.event);
  }

  private get timestampAnnotation(): string {
    return `${this.names.group}/event-time`;
  }

  private get jobIdAnnotation(): string {
    return `${this.names.group}/job-id`;
  }

  /** Nanoseconds since the epoch, strictly increasing within this process (client-go names events the same way). */
  private nextSequence(): bigint {
    const fromClock = BigInt(Date.now()) * 1_000_000n;
    this.lastSequence =
      fromClock > this.lastSequence ? fromClock : this.lastSequence + 1n;
    return this.lastSequence;
  }

  private async listSorted(ref: InstanceRef) {
    const list = await this.api.listNamespacedEvent({
      namespace: ref.namespace,
      fieldSelector: `involvedObject.uid=${ref.uid}`,
    });
    return list.items
      .map(item => this.toLifecycleEvent(item))
      .filter((e): e is NonNullable<typeof e> => e !== undefined)
      .sort(
        (a, b) =>
          Date.parse(a.event.timestamp) - Date.parse(b.event.timestamp) ||
          compareBigInts(a.sequence, b.sequence),
      );
  }

  private toLifecycleEvent(item: CoreV1Event) {
    if (item.type !== 'Normal' && item.type !== 'Warning') return undefined;
    const annotations = item.metadata?.annotations ?? {};
    const when =
      annotations[this.timestampAnnotation] ??
      toIso(item.eventTime) ??
      toIso(item.lastTimestamp) ??
      toIso(item.firstTimestamp) ??
      toIso(item.metadata?.creationTimestamp);
    if (!when) return undefined;
    const event: LifecycleEvent = {
      timestamp: new Date(Date.parse(when)).toISOString(),
      type: item.type,
      reason: item.reason ?? '',
      message: item.message ?? '',
    };
    const jobID = annotations[this.jobIdAnnotation];
    if (jobID !== undefined) event.jobID = jobID;
    return {
      event,
      sequence: sequenceOf(item.metadata?.name),
      name: item.metadata?.name ?? '',
    };
  }

  /** Deletes the oldest events beyond the cap; a concurrent prune deleting the same event is fine. */
  private async prune(ref: InstanceRef): Promise<void> {
    const events = await this.listSorted(ref);
    const excess = events.slice(0, Math.max(0, events.length - this.max));
    for (const { name } of excess) {
      try {
        await this.api.deleteNamespacedEvent({
          name,
          namespace: ref.namespace,
        });
      } catch (e) {
        if (kubeStatusOf(e)?.code !== 404) {
          this.o.logger?.warn(
            `Could not delete old event ${ref.namespace}/${name}: ${describeKubeError(e)}`,
          );
        }
      }
    }
  }
}

function toIso(value: Date | string | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The counter in `<instance>.<hex>`; events named otherwise sort first among equal timestamps. */
function sequenceOf(name: string | undefined): bigint {
  const hex = /\.([0-9a-f]+)$/.exec(name ?? '')?.[1];
  return hex ? BigInt(`0x${hex}`) : 0n;
}

function compareBigInts(a: bigint, b: bigint): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
