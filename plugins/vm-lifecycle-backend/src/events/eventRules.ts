import { InputError } from '@backstage/errors';
import { LifecycleEvent } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { InstanceRef, LifecycleEventStore } from './types';

export type NewLifecycleEvent = Parameters<LifecycleEventStore['record']>[1];

/** Per-instance cap on stored events: a resource stuck in a retry loop must not grow the table forever. */
export const DEFAULT_MAX_EVENTS_PER_INSTANCE = 1000;

const EVENT_TYPES: ReadonlyArray<LifecycleEvent['type']> = [
  'Normal',
  'Warning',
];

/**
 * Validates an event and fills in its timestamp. Timestamps are normalised to ISO 8601 UTC so that
 * ordering by the stored string is chronological on every backend.
 */
export function prepareEvent(
  instance: InstanceRef,
  event: NewLifecycleEvent,
): LifecycleEvent {
  if (!instance?.uid || !instance.namespace || !instance.name) {
    throw new InputError(
      'A lifecycle event needs the namespace, name and uid of its instance',
    );
  }
  if (!EVENT_TYPES.includes(event.type)) {
    throw new InputError(
      `Lifecycle event type must be Normal or Warning (got ${JSON.stringify(event.type)})`,
    );
  }
  if (typeof event.reason !== 'string' || typeof event.message !== 'string') {
    throw new InputError('Lifecycle event reason and message must be strings');
  }
  const millis =
    event.timestamp === undefined ? Date.now() : Date.parse(event.timestamp);
  if (Number.isNaN(millis)) {
    throw new InputError(
      `Lifecycle event timestamp is not a date: ${JSON.stringify(event.timestamp)}`,
    );
  }
  const prepared: LifecycleEvent = {
    timestamp: new Date(millis).toISOString(),
    type: event.type,
    reason: event.reason,
    message: event.message,
  };
  if (event.jobID !== undefined) prepared.jobID = event.jobID;
  return prepared;
}
