import { z } from 'zod';
import { ComputeInstanceSpec, RunStrategy } from '../types';
import { atMostCharacters, MESSAGES } from './messages';
import { SPEC_LIMITS } from './limits';
import {
  boundedStringSchema,
  enumSchema,
  integerSchema,
  nonEmptyStringSchema,
  strictObject,
  rfc3339TimestampSchema,
  ruleParams,
  templateIdSchema,
  templateParametersSchema,
} from './fields';
import { AssertAssignable } from './typeChecks';

export const RUN_STRATEGIES: readonly RunStrategy[] = ['Always', 'Halted'];
export const IMAGE_SOURCE_TYPES = ['registry'] as const;

export const runStrategySchema = enumSchema(RUN_STRATEGIES);

export const imageSchema = strictObject({
  sourceType: z.enum(IMAGE_SOURCE_TYPES, ruleParams(MESSAGES.sourceType)),
  sourceRef: z
    .string(ruleParams(MESSAGES.sourceRef))
    .min(1, MESSAGES.sourceRef)
    .max(
      SPEC_LIMITS.imageSourceRef,
      atMostCharacters(SPEC_LIMITS.imageSourceRef),
    ),
});

export const diskSchema = strictObject({
  sizeGiB: integerSchema(1, SPEC_LIMITS.diskSizeGiB, MESSAGES.diskSizeGiB),
});

export const userDataSecretRefSchema = strictObject({
  name: nonEmptyStringSchema.max(
    SPEC_LIMITS.userDataSecretName,
    atMostCharacters(SPEC_LIMITS.userDataSecretName),
  ),
});

const networkObjectNameSchema = nonEmptyStringSchema.max(
  SPEC_LIMITS.networkObjectName,
  atMostCharacters(SPEC_LIMITS.networkObjectName),
);

/** One NIC, as in OSAC's CRD: a Subnet and optional SecurityGroups, by name, in the instance's namespace. */
export const networkAttachmentSchema = strictObject({
  subnetRef: networkObjectNameSchema,
  securityGroupRefs: z
    .array(networkObjectNameSchema, ruleParams(MESSAGES.securityGroupRefs))
    .max(SPEC_LIMITS.securityGroupRefs, MESSAGES.securityGroupRefs)
    .optional(),
});

/** The list is a map keyed by subnetRef in the CRD, so the API server refuses a subnet twice. */
export const networkAttachmentsSchema = z
  .array(networkAttachmentSchema, ruleParams(MESSAGES.networkAttachments))
  .max(SPEC_LIMITS.networkAttachments, MESSAGES.networkAttachments)
  .superRefine((attachments, ctx) => {
    const seen = new Set<string>();
    attachments.forEach((attachment, index) => {
      if (seen.has(attachment.subnetRef)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'subnetRef'],
          message: MESSAGES.duplicateSubnetRef,
        });
      }
      seen.add(attachment.subnetRef);
    });
  });

/** The spec fields, each with the rule of DOMAIN.md section 1. */
export const computeInstanceSpecShape = {
  templateID: templateIdSchema,
  templateParameters: templateParametersSchema.optional(),
  image: imageSchema,
  guestOSFamily: boundedStringSchema(SPEC_LIMITS.guestOSFamily).optional(),
  cores: integerSchema(1, SPEC_LIMITS.cores, MESSAGES.cores),
  memoryGiB: integerSchema(1, SPEC_LIMITS.memoryGiB, MESSAGES.memoryGiB),
  bootDisk: diskSchema,
  additionalDisks: z
    .array(diskSchema, ruleParams(MESSAGES.array))
    .max(SPEC_LIMITS.additionalDisks, MESSAGES.additionalDisks)
    .optional(),
  runStrategy: runStrategySchema,
  sshKey: boundedStringSchema(SPEC_LIMITS.sshKey).optional(),
  userDataSecretRef: userDataSecretRefSchema.optional(),
  restartRequestedAt: rfc3339TimestampSchema.optional(),
  networkAttachments: networkAttachmentsSchema.optional(),
};

/** A complete ComputeInstance spec, as stored. Unknown keys are refused at every level. */
export const computeInstanceSpecSchema = strictObject(computeInstanceSpecShape);

export type SpecFieldName = keyof typeof computeInstanceSpecShape;

/** Top-level spec field names, in DOMAIN.md order. */
export const SPEC_FIELDS = Object.keys(
  computeInstanceSpecShape,
) as SpecFieldName[];

/** Sub-fields of the object-valued spec fields, so paths like spec.image.sourceRef can be named. */
export const NESTED_SPEC_FIELDS: Partial<
  Record<SpecFieldName, readonly string[]>
> = {
  image: Object.keys(imageSchema.shape),
  bootDisk: Object.keys(diskSchema.shape),
  userDataSecretRef: Object.keys(userDataSecretRefSchema.shape),
};

/**
 * The parsed spec. The nested assertions make this fail to compile when the schema and the wire
 * type `ComputeInstanceSpec` drift apart in either direction: the schema letting through something
 * the controller's type does not describe, or refusing a spec the type allows.
 */
export type ParsedComputeInstanceSpec = AssertAssignable<
  z.output<typeof computeInstanceSpecSchema>,
  AssertAssignable<
    ComputeInstanceSpec,
    z.input<typeof computeInstanceSpecSchema>
  >
>;
