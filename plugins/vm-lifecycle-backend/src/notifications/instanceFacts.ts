import {
  ApiGroupNames,
  ComputeInstance,
  latestJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/** What people are told about a VM. */
export type FactKind = 'ready' | 'provisionFailed' | 'deletionBlocked';

/**
 * A state of a VM worth a notification, with a key that the status carries: the same on every
 * replica and after a restart, and new each time the state is entered again (a second failure has
 * another job id; Ready again after a restart has another lastTransitionTime; a blocked deletion
 * is keyed by its deletion request).
 */
export interface InstanceFact {
  kind: FactKind;
  key: string;
}

/** The facts an instance's status shows now. */
export function instanceFacts(instance: ComputeInstance): InstanceFact[] {
  const facts: InstanceFact[] = [];
  const conditions = instance.status?.conditions ?? [];
  const condition = (type: string) =>
    conditions.find(c => c.type === type && c.status === 'True');
  if (!instance.metadata.deletionTimestamp) {
    const ready = condition('Ready');
    if (ready && instance.status.phase === 'Running') {
      facts.push({ kind: 'ready', key: `ready@${ready.lastTransitionTime}` });
    }
    const job = latestJob(instance.status?.provisioningJobs, 'provision');
    if (instance.status?.phase === 'Failed' && job?.state === 'Failed') {
      facts.push({ kind: 'provisionFailed', key: `failed@${job.jobID}` });
    }
  }
  // Once per deletion: a failed deprovision is retried with backoff, and each attempt that fails
  // again would otherwise tell the same people the same thing (the admins hear of it when stuck).
  if (condition('DeletionBlocked') && instance.metadata.deletionTimestamp) {
    facts.push({
      kind: 'deletionBlocked',
      key: `blocked@${instance.metadata.deletionTimestamp}`,
    });
  }
  return facts;
}

/** Who hears about a VM: its requester and its owner (a group's members, through the notifications backend). */
export function instanceRecipients(
  instance: ComputeInstance,
  names: ApiGroupNames,
): string[] {
  const { annotations } = instance.metadata;
  return [
    ...new Set(
      [
        annotations?.[names.requestedByAnnotation],
        annotations?.[names.ownerAnnotation],
      ].filter((r): r is string => Boolean(r)),
    ),
  ];
}
