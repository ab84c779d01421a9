import { InputError } from '@backstage/errors';
import {
  ComputeInstanceStatus,
  JOB_STATES,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/*
 * Schema validation of the status subresource, playing the role the CRD's OpenAPI schema plays in a
 * cluster: a status the schema does not describe is refused as a whole, so a bad write fails loudly
 * instead of half-landing. The enums list every value the controller can write: the original operator
 * shipped a CRD without `Canceled`, every status write was refused, and it kept launching jobs.
 * Unknown fields are refused rather than pruned so that a field missing from the schema shows up in
 * the fast in-memory tests instead of silently disappearing in a cluster.
 *
 * Kept dependency-free and small so a shared zod schema can replace it without touching the stores.
 */

export const PHASES = [
  'Starting',
  'Running',
  'Failed',
  'Deleting',
  'Stopping',
  'Stopped',
  'Paused',
] as const;
export const JOB_TYPES = ['provision', 'deprovision'] as const;
export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

const STATUS_FIELDS = [
  'phase',
  'conditions',
  'desiredConfigVersion',
  'lastRestartedAt',
  'ipAddress',
  'provisioningJobs',
];
const CONDITION_FIELDS = [
  'type',
  'status',
  'reason',
  'message',
  'lastTransitionTime',
  'observedGeneration',
];
const JOB_FIELDS = [
  'jobID',
  'launchID',
  'type',
  'timestamp',
  'state',
  'message',
  'configVersion',
  'blockDeletionOnFailure',
];

// RFC 3339 as Kubernetes' `format: date-time` accepts it (fractional seconds optional).
const RFC3339 =
  /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function fail(path: string, problem: string): never {
  throw new InputError(`Invalid ComputeInstance status: ${path} ${problem}`);
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkObject(
  value: unknown,
  path: string,
  allowed: string[],
): Record<string, unknown> {
  if (!isPlainObject(value))
    fail(path, `must be an object (got ${show(value)})`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key) && value[key] !== undefined) {
      fail(`${path}.${key}`, 'is not a known field');
    }
  }
  return value;
}

function checkString(value: unknown, path: string, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string')
    fail(path, `must be a string (got ${show(value)})`);
}

function checkEnum(
  value: unknown,
  path: string,
  allowed: readonly string[],
  required: boolean,
): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    fail(path, `must be one of ${allowed.join(', ')} (got ${show(value)})`);
  }
}

function checkDateTime(value: unknown, path: string, required: boolean): void {
  if (value === undefined && !required) return;
  if (
    typeof value !== 'string' ||
    !RFC3339.test(value) ||
    Number.isNaN(Date.parse(value))
  ) {
    fail(path, `must be an RFC 3339 date-time (got ${show(value)})`);
  }
}

function checkArray(value: unknown, path: string): unknown[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    fail(path, `must be an array (got ${show(value)})`);
  return value;
}

function checkCondition(value: unknown, path: string): void {
  const c = checkObject(value, path, CONDITION_FIELDS);
  checkString(c.type, `${path}.type`, true);
  if (c.type === '') fail(`${path}.type`, 'must not be empty');
  checkEnum(c.status, `${path}.status`, CONDITION_STATUSES, true);
  checkString(c.reason, `${path}.reason`, true);
  checkString(c.message, `${path}.message`, true);
  checkDateTime(c.lastTransitionTime, `${path}.lastTransitionTime`, true);
  if (
    c.observedGeneration !== undefined &&
    (!Number.isInteger(c.observedGeneration) ||
      (c.observedGeneration as number) < 0)
  ) {
    fail(
      `${path}.observedGeneration`,
      `must be a non-negative integer (got ${show(c.observedGeneration)})`,
    );
  }
}

function checkJob(value: unknown, path: string): void {
  const j = checkObject(value, path, JOB_FIELDS);
  checkString(j.jobID, `${path}.jobID`, true);
  if (j.jobID === '') fail(`${path}.jobID`, 'must not be empty');
  checkString(j.launchID, `${path}.launchID`, false);
  if (j.launchID === '') fail(`${path}.launchID`, 'must not be empty');
  checkEnum(j.type, `${path}.type`, JOB_TYPES, true);
  checkDateTime(j.timestamp, `${path}.timestamp`, true);
  checkEnum(j.state, `${path}.state`, JOB_STATES, true);
  checkString(j.message, `${path}.message`, true);
  checkString(j.configVersion, `${path}.configVersion`, true);
  if (typeof j.blockDeletionOnFailure !== 'boolean') {
    fail(
      `${path}.blockDeletionOnFailure`,
      `must be a boolean (got ${show(j.blockDeletionOnFailure)})`,
    );
  }
}

/**
 * Throws an `InputError` naming the first offending field (e.g. `status.provisioningJobs[0].state`)
 * if `status` does not match the ComputeInstance status schema.
 */
export function validateStatus(
  status: unknown,
): asserts status is ComputeInstanceStatus {
  const s = checkObject(status, 'status', STATUS_FIELDS);
  checkEnum(s.phase, 'status.phase', PHASES, false);
  checkArray(s.conditions, 'status.conditions')?.forEach((c, i) =>
    checkCondition(c, `status.conditions[${i}]`),
  );
  checkString(s.desiredConfigVersion, 'status.desiredConfigVersion', false);
  checkDateTime(s.lastRestartedAt, 'status.lastRestartedAt', false);
  checkString(s.ipAddress, 'status.ipAddress', false);
  checkArray(s.provisioningJobs, 'status.provisioningJobs')?.forEach((j, i) =>
    checkJob(j, `status.provisioningJobs[${i}]`),
  );
}
