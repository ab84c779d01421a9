import { z } from 'zod';
import { JOB_STATES } from '../jobState';
import { ComputeInstanceStatus, JobType, Phase } from '../types';
import { MESSAGES } from './messages';
import {
  enumSchema,
  integerSchema,
  nonEmptyStringSchema,
  rfc3339TimestampSchema,
  ruleParams,
  stringSchema,
  strictObject,
} from './fields';
import { AssertAssignable } from './typeChecks';

export const PHASES: readonly Phase[] = [
  'Starting',
  'Running',
  'Failed',
  'Deleting',
  'Stopping',
  'Stopped',
  'Paused',
];
export const JOB_TYPES: readonly JobType[] = ['provision', 'deprovision'];
export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

/**
 * Condition types are open, as in Kubernetes: other controllers may add their own to the same
 * object, and refusing them would make every later status write of ours fail.
 */
export const conditionSchema = strictObject({
  type: nonEmptyStringSchema,
  status: enumSchema(CONDITION_STATUSES),
  reason: stringSchema,
  message: stringSchema,
  lastTransitionTime: rfc3339TimestampSchema,
  observedGeneration: integerSchema(
    0,
    undefined,
    MESSAGES.nonNegativeInteger,
  ).optional(),
});

/**
 * The state enum is JOB_STATES itself, not a copy: the original operator's schema lacked
 * Canceled, every status write was refused and it kept launching deprovision jobs.
 */
export const jobStateSchema = enumSchema(JOB_STATES);

export const provisioningJobSchema = strictObject({
  jobID: nonEmptyStringSchema,
  launchID: nonEmptyStringSchema.optional(),
  type: enumSchema(JOB_TYPES),
  timestamp: rfc3339TimestampSchema,
  state: jobStateSchema,
  message: stringSchema,
  configVersion: stringSchema,
  blockDeletionOnFailure: z.boolean(ruleParams(MESSAGES.boolean)),
});

export const virtualMachineReferenceSchema = strictObject({
  namespace: stringSchema,
  kubeVirtVirtualMachineName: stringSchema,
});

export const tenantReferenceSchema = strictObject({
  name: stringSchema,
  namespace: stringSchema,
});

/** The status fields we know, each checked as the CRD checks it. */
export const computeInstanceStatusShape = {
  phase: enumSchema(PHASES).optional(),
  conditions: z.array(conditionSchema, ruleParams(MESSAGES.array)).optional(),
  desiredConfigVersion: stringSchema.optional(),
  lastRestartedAt: rfc3339TimestampSchema.optional(),
  ipAddress: stringSchema.optional(),
  provisioningJobs: z
    .array(provisioningJobSchema, ruleParams(MESSAGES.array))
    .optional(),
  externalIPAddress: stringSchema.optional(),
  virtualMachineReference: virtualMachineReferenceSchema.optional(),
  tenantReference: tenantReferenceSchema.optional(),
};

/**
 * The status subresource, playing the part the CRD's OpenAPI schema plays in a cluster. Unlike the
 * spec, a status field we do not know is kept, not refused: status is written by others too
 * (playbooks, OSAC's other controllers), and a newer CRD adds fields there. Refusing one would make
 * every later status write of ours fail on that object; the CRD installed decides what is stored.
 */
export const computeInstanceStatusSchema = z.looseObject(
  computeInstanceStatusShape,
  ruleParams(MESSAGES.object),
);

/**
 * What the schema accepts. Fails to compile if the controller's `ComputeInstanceStatus` type can
 * hold a value (a job state, a phase) the schema would refuse: every writable status must validate.
 */
export type ComputeInstanceStatusInput = AssertAssignable<
  ComputeInstanceStatus,
  z.input<z.ZodObject<typeof computeInstanceStatusShape>>
>;
