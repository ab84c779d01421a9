import { LifecycleEvent } from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  DEFAULT_MAX_EVENTS_PER_INSTANCE,
  NewLifecycleEvent,
  prepareEvent,
} from './eventRules';
import { InstanceRef, LifecycleEventStore } from './types';

export interface InMemoryEventStoreOptions {
  /** Oldest events beyond this many per instance are dropped; default 1000. */
  maxEventsPerInstance?: number;
}

/** `LifecycleEventStore` in memory, for the controller's unit tests; same rules as `DatabaseEventStore`. */
export class InMemoryEventStore implements LifecycleEventStore {
  private readonly byUid = new Map<string, LifecycleEvent[]>();
  private readonly max: number;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.max = options.maxEventsPerInstance ?? DEFAULT_MAX_EVENTS_PER_INSTANCE;
  }

  async record(instance: InstanceRef, event: NewLifecycleEvent): Promise<void> {
    const prepared = prepareEvent(instance, event);
    const events = this.byUid.get(instance.uid) ?? [];
    // Insert after every event with the same or an earlier timestamp: chronological, ties in record order.
    let at = events.length;
    while (at > 0 && events[at - 1].timestamp > prepared.timestamp) at--;
    events.splice(at, 0, prepared);
    if (events.length > this.max) events.splice(0, events.length - this.max);
    this.byUid.set(instance.uid, events);
  }

  async list(instance: InstanceRef): Promise<LifecycleEvent[]> {
    return (this.byUid.get(instance.uid) ?? []).map(e => ({ ...e }));
  }
}
