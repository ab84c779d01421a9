import {
  apiGroupNames,
  ComputeInstance,
  DEFAULT_API_GROUP,
  isTerminalJobState,
  latestJob,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/** The API group an instance was written with ("osac.openshift.io/v1alpha1" -> "osac.openshift.io"). */
export function apiGroupOf(
  instance: Pick<ComputeInstance, 'apiVersion'>,
): string {
  const slash = instance.apiVersion?.indexOf('/') ?? -1;
  return slash > 0 ? instance.apiVersion.slice(0, slash) : DEFAULT_API_GROUP;
}

/**
 * Annotations are read under the instance's own API group, so a portal talking to a backend
 * configured for the older cloudkit group still finds who requested and owns a VM.
 */
export function requestedByOf(instance: ComputeInstance): string | undefined {
  const key = apiGroupNames(apiGroupOf(instance)).requestedByAnnotation;
  return instance.metadata.annotations?.[key];
}

export function ownerOf(instance: ComputeInstance): string | undefined {
  const key = apiGroupNames(apiGroupOf(instance)).ownerAnnotation;
  return instance.metadata.annotations?.[key];
}

/** "user:default/guest" -> "guest"; refs in other namespaces keep it ("team-b/alice"). */
export function shortEntityRef(ref: string | undefined): string {
  if (!ref) return '';
  const colon = ref.indexOf(':');
  const rest = colon >= 0 ? ref.slice(colon + 1) : ref;
  return rest.startsWith('default/') ? rest.slice('default/'.length) : rest;
}

/** The most recently launched job of either type (greatest timestamp, as DOMAIN.md defines "latest"). */
export function latestJobOf(
  instance: ComputeInstance,
): ProvisioningJob | undefined {
  const jobs = instance.status?.provisioningJobs;
  const provision = latestJob(jobs, 'provision');
  const deprovision = latestJob(jobs, 'deprovision');
  if (!provision) return deprovision;
  if (!deprovision) return provision;
  return Date.parse(deprovision.timestamp) >= Date.parse(provision.timestamp)
    ? deprovision
    : provision;
}

/** Jobs oldest first by launch time; status keeps them in that order but does not promise it. */
export function jobsOldestFirst(instance: ComputeInstance): ProvisioningJob[] {
  return [...(instance.status?.provisioningJobs ?? [])].sort(
    (a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp),
  );
}

/** The provision job a delete would have to cancel first, if one is still running. */
export function runningProvisionJob(
  instance: ComputeInstance,
): ProvisioningJob | undefined {
  const job = latestJob(instance.status?.provisioningJobs, 'provision');
  return job && !isTerminalJobState(job.state) ? job : undefined;
}

export function isDeleting(instance: ComputeInstance): boolean {
  return (
    Boolean(instance.metadata.deletionTimestamp) ||
    instance.status?.phase === 'Deleting'
  );
}

export function sizeText(instance: ComputeInstance): string {
  const { cores, memoryGiB } = instance.spec;
  return `${cores} vCPU · ${memoryGiB} GiB`;
}

export function instanceKey(
  instance: Pick<ComputeInstance, 'metadata'>,
): string {
  return `${instance.metadata.namespace}/${instance.metadata.name}`;
}

/** An age the way kubectl shows it: "45s", "12m", "3h5m" is "3h 5m", "2d 4h". */
export function formatAge(
  fromIso: string | undefined,
  now: number = Date.now(),
): string {
  if (!fromIso) return '';
  const from = Date.parse(fromIso);
  if (Number.isNaN(from)) return '';
  const ms = Math.max(0, now - from);
  // Seconds matter only in the first minute; after that they just make the column flicker.
  return ms < 60_000 ? formatDuration(ms) : formatDuration(ms - (ms % 60_000));
}

/** A duration for people: "8s", "1m 20s", "2h 5m", "3d 4h". */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    const rest = seconds % 60;
    return rest ? `${minutes}m ${rest}s` : `${minutes}m`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const rest = minutes % 60;
    return rest ? `${hours}h ${rest}m` : `${hours}h`;
  }
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return rest ? `${days}d ${rest}h` : `${days}d`;
}

/**
 * The last state seen of an instance whose record is now gone, completed with what its removal
 * proves. The controller removes its finalizer only after a deprovision job launched with
 * blockDeletionOnFailure has succeeded, but that final status write and the removal come so close
 * together that the page usually only saw the job still running.
 */
export function asDeleted(instance: ComputeInstance): ComputeInstance {
  const jobs = instance.status?.provisioningJobs ?? [];
  const last = latestJob(jobs, 'deprovision');
  if (!last || isTerminalJobState(last.state) || !last.blockDeletionOnFailure) {
    return instance;
  }
  return {
    ...instance,
    status: {
      ...instance.status,
      provisioningJobs: jobs.map(j =>
        j === last
          ? {
              ...j,
              state: 'Succeeded',
              message:
                'Succeeded: the record is only removed after this job succeeded',
            }
          : j,
      ),
    },
  };
}
