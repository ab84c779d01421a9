import {
  ApiGroupNames,
  ComputeInstance,
  latestJob,
  InstanceSignal,
  SIGNAL_CHANNEL,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { SignalsService } from '@backstage/plugin-signals-node';
import { ComputeInstanceStore } from '../store/types';

/**
 * Publishes every change of an instance on the `vm-lifecycle` channel, to the people who may see
 * it: its requester, its owner's members and the admin groups (signals match these refs against
 * each connected user's ownership refs). Changes made through another replica are that replica's
 * to publish (see docs/replicas.md).
 */
export function publishInstanceSignals(
  store: ComputeInstanceStore,
  signals: SignalsService,
  names: ApiGroupNames,
  adminGroups: string[],
  logger?: { warn(message: string): void },
): () => void {
  return store.watch(event => {
    // Published once, by the replica whose write it was: the events bus of the events backend
    // (database-backed on PostgreSQL) carries it to the signal subscribers of every replica.
    if (event.remote) return;
    const { metadata, status } = event.object;
    const recipients = [
      metadata.annotations[names.requestedByAnnotation],
      metadata.annotations[names.ownerAnnotation],
      ...adminGroups,
    ].filter((r): r is string => Boolean(r));
    if (recipients.length === 0) return;
    const message: InstanceSignal = {
      type: 'instance',
      namespace: metadata.namespace,
      name: metadata.name,
      resourceVersion: metadata.resourceVersion,
      ...(status.phase ? { phase: status.phase } : {}),
      ...(event.type === 'DELETED' ? deletedFields(event.object) : {}),
    };
    void signals
      .publish({
        recipients: { type: 'user', entityRef: recipients },
        channel: SIGNAL_CHANNEL,
        message: { ...message },
      })
      .catch(e =>
        // Live updates are best effort (the portal also polls); the store stays the truth.
        logger?.warn(
          `Could not publish the live update of ComputeInstance ${metadata.namespace}/${metadata.name}: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
  });
}

/** What a deleted instance's signal carries: where its history is, and how it ended. */
function deletedFields(instance: ComputeInstance): Partial<InstanceSignal> {
  const job = latestJob(instance.status.provisioningJobs ?? [], 'deprovision');
  return {
    deleted: true,
    uid: instance.metadata.uid,
    ...(job
      ? {
          finalJob: {
            jobID: job.jobID,
            type: job.type,
            state: job.state,
            message: job.message,
          },
        }
      : {}),
  };
}
