import {
  ComputeInstance,
  ComputeInstanceSpec,
  Condition,
  ConditionType,
  computeConfigVersion,
  isTerminalJobState,
  latestJob,
  Phase,
  ProvisioningJob,
  sameLaunch,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/*
 * Pure helpers that derive status fields from spec and job history.
 */

function isNewer(a: string | undefined, b: string | undefined): boolean {
  if (!a) return false;
  if (!b) return true;
  return Date.parse(a) > Date.parse(b);
}

/** A restart is pending when spec.restartRequestedAt is newer than the last restart carried out. */
export function pendingRestart(instance: ComputeInstance): string | undefined {
  const requested = instance.spec.restartRequestedAt;
  return isNewer(requested, instance.status.lastRestartedAt)
    ? requested
    : undefined;
}

/**
 * The desired config version. The restart timestamp counts only when it is newer than the last
 * restart, so an older (or repeated) timestamp changes nothing and launches no job.
 */
export function desiredConfigVersion(instance: ComputeInstance): string {
  const spec: ComputeInstanceSpec = { ...instance.spec };
  const lastRestart = instance.status.lastRestartedAt;
  spec.restartRequestedAt =
    pendingRestart(instance) ?? lastRestart ?? spec.restartRequestedAt;
  if (spec.restartRequestedAt === undefined) delete spec.restartRequestedAt;
  return computeConfigVersion(spec);
}

/**
 * Adds or replaces a job (by id, or by launch id: the job an intent became replaces the intent) and
 * keeps only the newest `max` entries, oldest first.
 */
export function upsertJob(
  jobs: readonly ProvisioningJob[] | undefined,
  job: ProvisioningJob,
  max: number,
): ProvisioningJob[] {
  const others = (jobs ?? []).filter(j => !sameLaunch(j, job));
  const all = [...others, job].sort(
    (a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp),
  );
  return all.slice(Math.max(0, all.length - max));
}

/**
 * The timestamp for a new job entry: now, but never at or before the latest recorded one. "Latest"
 * is chosen by timestamp, so a clock behind the history (a new leader with a slow clock, an NTP
 * step) must not make a new job look older than the one it follows.
 */
export function nextJobTimestamp(
  jobs: readonly ProvisioningJob[] | undefined,
  nowMs: number,
): string {
  let latest = -Infinity;
  for (const job of jobs ?? []) {
    const t = Date.parse(job.timestamp);
    if (t > latest) latest = t;
  }
  return new Date(Math.max(nowMs, latest + 1)).toISOString();
}

export function phaseFor(
  instance: ComputeInstance,
  desiredVersion: string,
): Phase {
  if (instance.metadata.deletionTimestamp) return 'Deleting';
  const jobs = instance.status.provisioningJobs;
  const latest = latestJob(jobs, 'provision');
  const halted = instance.spec.runStrategy === 'Halted';
  if (!latest) return 'Starting';
  if (!isTerminalJobState(latest.state)) {
    const everProvisioned = (jobs ?? []).some(
      j => j.type === 'provision' && j.state === 'Succeeded',
    );
    return halted && everProvisioned ? 'Stopping' : 'Starting';
  }
  if (latest.state === 'Succeeded') {
    if (latest.configVersion !== desiredVersion) return 'Starting';
    return halted ? 'Stopped' : 'Running';
  }
  return 'Failed';
}

export function setCondition(
  conditions: readonly Condition[] | undefined,
  type: ConditionType,
  status: Condition['status'],
  reason: string,
  message: string,
  now: string,
): Condition[] {
  const existing = (conditions ?? []).find(c => c.type === type);
  const others = (conditions ?? []).filter(c => c.type !== type);
  const lastTransitionTime =
    existing && existing.status === status ? existing.lastTransitionTime : now;
  return [...others, { type, status, reason, message, lastTransitionTime }];
}

/** Recomputes the conditions that follow from the job history and phase. */
export function deriveConditions(
  instance: ComputeInstance,
  desiredVersion: string,
  phase: Phase,
  now: string,
): Condition[] {
  const jobs = instance.status.provisioningJobs ?? [];
  const latest = latestJob(jobs, 'provision');
  let conditions = instance.status.conditions ?? [];

  const applied =
    latest?.state === 'Succeeded' && latest.configVersion === desiredVersion;
  conditions = setCondition(
    conditions,
    'ConfigurationApplied',
    applied ? 'True' : 'False',
    appliedReason(applied, latest),
    latest
      ? latest.message
      : 'Waiting for the controller to launch the provision job',
    now,
  );

  const provisioned = jobs.some(
    j => j.type === 'provision' && j.state === 'Succeeded',
  );
  conditions = setCondition(
    conditions,
    'Provisioned',
    provisioned ? 'True' : 'False',
    provisioned ? 'ProvisionJobSucceeded' : 'NotProvisioned',
    provisioned
      ? 'A provision job has succeeded'
      : 'No provision job has succeeded yet',
    now,
  );

  const ready = phase === 'Running';
  conditions = setCondition(
    conditions,
    'Ready',
    ready ? 'True' : 'False',
    phase,
    ready
      ? 'The VM is running with the desired configuration'
      : `Phase is ${phase}`,
    now,
  );

  const restart = pendingRestart(instance);
  if (restart) {
    const failed =
      latest &&
      latest.configVersion === desiredVersion &&
      latest.state === 'Failed';
    conditions = setCondition(
      conditions,
      'RestartInProgress',
      failed ? 'False' : 'True',
      failed ? 'RestartJobFailed' : 'RestartRequested',
      `Restart requested at ${restart}`,
      now,
    );
    conditions = setCondition(
      conditions,
      'RestartFailed',
      failed ? 'True' : 'False',
      failed ? 'RestartJobFailed' : 'RestartPending',
      failed ? latest!.message : `Restart requested at ${restart}`,
      now,
    );
  } else if (conditions.some(c => c.type === 'RestartInProgress')) {
    conditions = setCondition(
      conditions,
      'RestartInProgress',
      'False',
      'RestartDone',
      'No restart pending',
      now,
    );
    conditions = setCondition(
      conditions,
      'RestartFailed',
      'False',
      'RestartDone',
      'The last restart succeeded',
      now,
    );
  }
  return conditions;
}

function appliedReason(
  applied: boolean,
  latest: ProvisioningJob | undefined,
): string {
  if (applied) return 'JobSucceeded';
  return latest ? `Job${latest.state}` : 'NoJob';
}
