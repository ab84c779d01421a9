import type { JobHooks } from './jobs';
import type { PayloadRef, PlaybookTargetClient } from './edaPlaybookTarget';

/**
 * The resource side of the OSAC EDA playbooks, run as part of the simulated job's tasks:
 * - create: adds the `<group>/computeinstance-aap` finalizer right after validating the request
 *   (before anything exists that a delete could orphan), and sets the
 *   `<group>/reconciled-config-version` annotation to the event's `status.desiredConfigVersion`
 *   as its last step, so the annotation means "this version is applied";
 * - delete: removes the finalizer as its last step, once the VM is gone.
 * A failing call fails the task and so the job, as a failing `k8s` / `uri` task would.
 */
export function edaPlaybookHooks(
  action: 'provision' | 'deprovision',
  payload: Record<string, unknown>,
  client: PlaybookTargetClient,
): JobHooks {
  return {
    async afterTask(job, task) {
      const index = job.playbook.tasks.indexOf(task);
      const last = index === job.playbook.tasks.length - 1;
      const ref = payloadRef(payload);
      if (!ref) return;
      if (action === 'provision' && index === 0) {
        await client.addAapFinalizer(ref);
      } else if (action === 'provision' && last) {
        const version = desiredConfigVersion(payload);
        if (!version) {
          throw new Error(
            "The task includes an option with an undefined variable. The error was: 'dict object' has no attribute 'desiredConfigVersion'",
          );
        }
        await client.setReconciledVersion(ref, version);
      } else if (action === 'deprovision' && last) {
        await client.removeAapFinalizer(ref);
      }
    },
  };
}

function payloadRef(payload: Record<string, unknown>): PayloadRef | undefined {
  const metadata = payload.metadata as Record<string, unknown> | undefined;
  if (!metadata || typeof metadata.name !== 'string' || !metadata.name)
    return undefined;
  return {
    namespace:
      typeof metadata.namespace === 'string' && metadata.namespace
        ? metadata.namespace
        : 'default',
    name: metadata.name,
    uid:
      typeof metadata.uid === 'string' && metadata.uid
        ? metadata.uid
        : undefined,
  };
}

function desiredConfigVersion(
  payload: Record<string, unknown>,
): string | undefined {
  const status = payload.status as Record<string, unknown> | undefined;
  const version = status?.desiredConfigVersion;
  return typeof version === 'string' && version ? version : undefined;
}
