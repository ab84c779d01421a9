import { LoggerService } from '@backstage/backend-plugin-api';
import { LifecycleEvent } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { NewLifecycleEvent } from './eventRules';
import { InstanceRef, LifecycleEventStore } from './types';

/**
 * Records every event in `primary` (what the live instance's page reads) and in `copy`, which
 * outlives it: in cluster mode the primary is Kubernetes Events, which the API server's event TTL
 * (1 h by default) erases, and the copy is the plugin's database, read for a deleted instance's
 * history. The copy is best effort: a failure is logged and never fails the event itself.
 */
export class CopyingEventStore implements LifecycleEventStore {
  constructor(
    private readonly primary: LifecycleEventStore,
    readonly copy: LifecycleEventStore,
    private readonly logger?: Pick<LoggerService, 'warn'>,
  ) {}

  async record(instance: InstanceRef, event: NewLifecycleEvent): Promise<void> {
    // One timestamp for both, so the copy reads exactly as the original did.
    const stamped = {
      ...event,
      timestamp: event.timestamp ?? new Date().toISOString(),
    };
    const [primary, copy] = await Promise.allSettled([
      this.primary.record(instance, stamped),
      this.copy.record(instance, stamped),
    ]);
    if (copy.status === 'rejected') {
      this.logger?.warn(
        `Could not copy lifecycle event ${event.reason} of ComputeInstance ${instance.namespace}/${instance.name} to the database: ${String(copy.reason)}`,
      );
    }
    if (primary.status === 'rejected') throw primary.reason;
  }

  list(instance: InstanceRef): Promise<LifecycleEvent[]> {
    return this.primary.list(instance);
  }
}
