import { z } from 'zod';
import { MESSAGES } from './messages';
import {
  annotationsSchema,
  boundedStringSchema,
  enumSchema,
  instanceNameSchema,
  namespaceSchema,
  ruleParams,
  strictObject,
  templateIdSchema,
} from './fields';
import {
  computeInstanceSpecShape,
  diskSchema,
  imageSchema,
  NESTED_SPEC_FIELDS,
  runStrategySchema,
  SpecFieldName,
} from './spec';
import { isPlainObject } from './rules';

/** Request bodies above this size are refused before parsing (API contract: 64 KiB). */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;

/** Spec fields a PATCH may change. restartRequestedAt is mutable too, but only via the restart route. */
export const PATCHABLE_SPEC_FIELDS: readonly SpecFieldName[] = ['runStrategy'];

/**
 * The spec of a create request: only templateID is required, everything else may come from the
 * template's defaults. image and bootDisk may be partial because they are deep-merged with them.
 */
export const createInstanceSpecSchema = strictObject({
  ...computeInstanceSpecShape,
  templateID: templateIdSchema,
  image: imageSchema.partial().optional(),
  cores: computeInstanceSpecShape.cores.optional(),
  memoryGiB: computeInstanceSpecShape.memoryGiB.optional(),
  bootDisk: diskSchema.partial().optional(),
  runStrategy: computeInstanceSpecShape.runStrategy.optional(),
  // A requester-chosen timestamp here would be compared with lastRestartedAt by the controller;
  // restarts are requested through the restart route, which stamps the server's clock.
  restartRequestedAt: z.never(ruleParams(MESSAGES.restartOnCreate)).optional(),
});

export const createInstanceMetadataSchema = strictObject({
  name: instanceNameSchema,
  namespace: namespaceSchema.optional(),
  annotations: annotationsSchema.optional(),
});

/** Body of POST /instances. labels, uid, finalizers... are not the requester's to set: unknown fields. */
export const createInstanceRequestSchema = strictObject({
  metadata: createInstanceMetadataSchema,
  spec: createInstanceSpecSchema,
});

export type CreateInstanceSpec = z.output<typeof createInstanceSpecSchema>;
export type CreateInstanceRequest = z.output<
  typeof createInstanceRequestSchema
>;

/** Body of PATCH /instances/:namespace/:name, a JSON merge patch of the one mutable field. */
export const patchInstanceRequestSchema = strictObject({
  spec: strictObject({ runStrategy: runStrategySchema }),
});

export type PatchInstanceRequest = z.output<typeof patchInstanceRequestSchema>;

/** Body of POST .../restart: none at all, or an empty object (what JSON body parsers make of none). */
export const restartRequestSchema = z
  .object({}, ruleParams(MESSAGES.emptyRestartBody))
  .strict()
  .optional();

/**
 * Dotted paths of the fields a PATCH body tries to change that exist but cannot change after
 * creation: every known spec field other than runStrategy, and any metadata field. The router
 * answers 422 naming them before schema validation; keys that are not fields at all are left to
 * patchInstanceRequestSchema, whose 400 says "unknown field". Object-valued fields are named down
 * to their known sub-fields (spec.image.sourceRef) so the message points at what was edited.
 */
export function immutableFieldsInPatch(body: unknown): string[] {
  if (!isPlainObject(body)) return [];
  const fields: string[] = [];
  const { spec, metadata } = body;
  if (isPlainObject(spec)) {
    for (const [key, value] of Object.entries(spec)) {
      if (!isSpecField(key) || PATCHABLE_SPEC_FIELDS.includes(key)) continue;
      fields.push(...specFieldPaths(key, value));
    }
  }
  if (isPlainObject(metadata)) {
    fields.push(...Object.keys(metadata).map(key => `metadata.${key}`));
  }
  return fields;
}

/** The 422 message for the fields immutableFieldsInPatch found. */
export function immutableFieldsMessage(fields: readonly string[]): string {
  const subject = fields.length === 1 ? 'field' : 'fields';
  return `Immutable ${subject} cannot be changed after creation: ${fields.join(', ')} (only spec.runStrategy can be patched; a restart is requested with POST .../restart)`;
}

function isSpecField(key: string): key is SpecFieldName {
  return Object.prototype.hasOwnProperty.call(computeInstanceSpecShape, key);
}

function specFieldPaths(key: SpecFieldName, value: unknown): string[] {
  const nested = NESTED_SPEC_FIELDS[key];
  if (nested && isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length > 0 && keys.every(k => nested.includes(k))) {
      return keys.map(k => `spec.${key}.${k}`);
    }
  }
  return [`spec.${key}`];
}

/** What an admin states when releasing a stuck deletion without a successful deprovision. */
export const DELETION_RELEASE_CONFIRMATIONS = [
  /** The admin checked that the VM no longer exists (deleted by hand, host gone). */
  'vm-gone',
  /** The VM may still exist; the admin takes the risk of an orphan. */
  'accept-risk',
] as const;

export type DeletionReleaseConfirmation =
  (typeof DELETION_RELEASE_CONFIRMATIONS)[number];

export const DELETION_RELEASE_REASON_LIMITS = { min: 10, max: 1000 } as const;

/** Body of POST /instances/:namespace/:name/deletion/release. */
export const deletionReleaseRequestSchema = strictObject({
  confirm: enumSchema(DELETION_RELEASE_CONFIRMATIONS),
  reason: boundedStringSchema(DELETION_RELEASE_REASON_LIMITS.max).refine(
    s => s.trim().length >= DELETION_RELEASE_REASON_LIMITS.min,
    `must say why, in at least ${DELETION_RELEASE_REASON_LIMITS.min} characters`,
  ),
});

export type DeletionReleaseRequest = z.infer<
  typeof deletionReleaseRequestSchema
>;
