import { LifecycleEvent } from '@vm-selfservice/plugin-vm-lifecycle-common';

export interface InstanceRef {
  namespace: string;
  name: string;
  uid: string;
}

/** Lifecycle events per instance (reason, message, job id), kept for the API and the portal's diagrams. */
export interface LifecycleEventStore {
  record(
    instance: InstanceRef,
    event: Omit<LifecycleEvent, 'timestamp'> & { timestamp?: string },
  ): Promise<void>;
  /** Oldest first. Events of the instance with this uid only: a recreated name starts a fresh history. */
  list(instance: InstanceRef): Promise<LifecycleEvent[]>;
}
