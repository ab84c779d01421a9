import { SimJobInfo, SimVm } from './simHost';

export interface InvariantInput {
  jobs: SimJobInfo[];
  vms: SimVm[];
  /** Instances still in the store at the end (the scenario deletes all, so normally none). */
  remaining: Array<{
    namespace: string;
    name: string;
    uid: string;
    phase?: string;
  }>;
  /** Instances that were supposed to reach Running before their deletion and never did. */
  neverRunning: string[];
  /** When the simulator purged a job (a purged job stops where it is, so this is its end). */
  purgedAt: Map<number, number>;
  /** Every instance the scenario created (uid and label): each must end with a successful deprovision. */
  created: Array<{ uid: string; label: string }>;
}

export interface InvariantReport {
  /** VMs in the simulated inventory with no instance in the store. Must be 0. */
  orphanedVms: number;
  /** Instances with more deprovision jobs than (unsuccessful deprovision jobs + 1). Must be 0. */
  duplicateDeprovision: number;
  /** Instances with more provision jobs than (unsuccessful provision jobs + 1). Must be 0. */
  duplicateProvision: number;
  /** Instances with two jobs alive at the same time (provision or deprovision). Must be 0. */
  overlappingJobs: number;
  /** Instances not at their desired end state: still stored, never Running when they should have been, or without a successful deprovision. Must be 0. */
  notAtDesiredState: number;
  /** Jobs still pending/waiting/running in AAP after everything was deleted. Must be 0. */
  jobsStillActive: number;
  /** Informational: instances with more than one deprovision job (retries after failed ones are legitimate). */
  instancesWithSeveralDeprovisionJobs: number;
  /** Up to 20 human-readable findings. */
  details: string[];
}

const FINISHED = new Set(['successful', 'failed', 'canceled']);

export function isDeprovisionTemplate(template: string): boolean {
  return template.includes('delete');
}

/**
 * The invariants of the issue, from the simulator's own records (what AAP really ran), not from the
 * controller's view of it.
 */
export function checkInvariants(input: InvariantInput): InvariantReport {
  const details: string[] = [];
  const note = (s: string) => {
    if (details.length < 20) details.push(s);
  };
  const remainingUids = new Set(input.remaining.map(r => r.uid));
  const storeKeys = new Set(
    input.remaining.map(r => `${r.namespace}/${r.name}/${r.uid}`),
  );

  const orphans = input.vms.filter(
    vm => !storeKeys.has(`${vm.namespace}/${vm.name}/${vm.uid}`),
  );
  for (const vm of orphans)
    note(
      `orphaned VM ${vm.namespace}/${vm.name} (uid ${vm.uid}, created by job ${vm.createdByJob})`,
    );

  const byInstance = new Map<string, { label: string; jobs: SimJobInfo[] }>();
  let jobsStillActive = 0;
  for (const job of input.jobs) {
    if (!job.purged && !FINISHED.has(job.status)) {
      jobsStillActive++;
      note(`job ${job.id} (${job.template}) is still ${job.status}`);
    }
    if (!job.instance) {
      note(`job ${job.id} (${job.template}) has no instance in its payload`);
      continue;
    }
    const entry = byInstance.get(job.instance.uid) ?? {
      label: `${job.instance.namespace}/${job.instance.name}`,
      jobs: [],
    };
    entry.jobs.push(job);
    byInstance.set(job.instance.uid, entry);
  }

  const endOf = (job: SimJobInfo): number => {
    if (job.finished) return Date.parse(job.finished);
    if (job.purged)
      return input.purgedAt.get(job.id) ?? Number.POSITIVE_INFINITY;
    return Number.POSITIVE_INFINITY;
  };

  let duplicateDeprovision = 0;
  let duplicateProvision = 0;
  let overlappingJobs = 0;
  let severalDeprovisions = 0;
  let withoutSuccessfulDeprovision = 0;
  for (const [uid, { label, jobs }] of byInstance) {
    jobs.sort((a, b) => a.id - b.id);
    const deprovisions = jobs.filter(j => isDeprovisionTemplate(j.template));
    const provisions = jobs.filter(j => !isDeprovisionTemplate(j.template));
    const unsuccessful = (list: SimJobInfo[]) =>
      list.filter(j => j.purged || j.status !== 'successful').length;
    if (deprovisions.length > 1) severalDeprovisions++;
    if (deprovisions.length > unsuccessful(deprovisions) + 1) {
      duplicateDeprovision++;
      note(
        `${label}: ${deprovisions.length} deprovision jobs (${deprovisions.map(j => `${j.id}:${j.status}`).join(', ')})`,
      );
    }
    if (provisions.length > unsuccessful(provisions) + 1) {
      duplicateProvision++;
      note(
        `${label}: ${provisions.length} provision jobs (${provisions.map(j => `${j.id}:${j.status}`).join(', ')})`,
      );
    }
    for (let i = 1; i < jobs.length; i++) {
      const previous = jobs[i - 1];
      if (endOf(previous) > Date.parse(jobs[i].created)) {
        overlappingJobs++;
        note(
          `${label}: job ${jobs[i].id} (${jobs[i].template}) was launched while job ${previous.id} (${previous.template}, ${previous.status}) was still alive`,
        );
        break;
      }
    }
    if (
      !remainingUids.has(uid) &&
      !deprovisions.some(j => j.status === 'successful' && !j.purged)
    ) {
      withoutSuccessfulDeprovision++;
      note(`${label}: deleted without a successful deprovision job`);
    }
  }
  for (const { uid, label } of input.created) {
    if (!byInstance.has(uid) && !remainingUids.has(uid)) {
      withoutSuccessfulDeprovision++;
      note(`${label}: deleted without any AAP job`);
    }
  }
  for (const r of input.remaining)
    note(
      `${r.namespace}/${r.name} is still stored (phase ${r.phase ?? 'none'})`,
    );
  for (const name of input.neverRunning) note(`${name} never reached Running`);

  return {
    orphanedVms: orphans.length,
    duplicateDeprovision,
    duplicateProvision,
    overlappingJobs,
    notAtDesiredState:
      input.remaining.length +
      input.neverRunning.length +
      withoutSuccessfulDeprovision,
    jobsStillActive,
    instancesWithSeveralDeprovisionJobs: severalDeprovisions,
    details,
  };
}

export function invariantsHold(r: InvariantReport): boolean {
  return (
    r.orphanedVms === 0 &&
    r.duplicateDeprovision === 0 &&
    r.duplicateProvision === 0 &&
    r.overlappingJobs === 0 &&
    r.notAtDesiredState === 0 &&
    r.jobsStillActive === 0
  );
}
