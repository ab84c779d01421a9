import { SPEC_LIMITS } from './limits';

/**
 * The user-facing wording of every validation rule. Kept in one place so the REST API's 400s and
 * the portal's inline form errors say exactly the same thing.
 */
export const MESSAGES = {
  required: 'is required',
  unknownField: 'unknown field',
  object: 'must be an object',
  array: 'must be an array',
  string: 'must be a string',
  nonEmptyString: 'must be a non-empty string',
  boolean: 'must be a boolean',
  rfc1123Label:
    "must be an RFC 1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)",
  templateId:
    "must start with a letter or '_' and contain only letters, digits, '.' and '_'",
  cores: `must be an integer between 1 and ${SPEC_LIMITS.cores}`,
  memoryGiB: `must be an integer between 1 and ${SPEC_LIMITS.memoryGiB}`,
  diskSizeGiB: `must be an integer between 1 and ${SPEC_LIMITS.diskSizeGiB}`,
  additionalDisks: `must be an array of at most ${SPEC_LIMITS.additionalDisks} disks`,
  nonNegativeInteger: 'must be an integer of at least 0',
  sourceType: 'must be "registry"',
  sourceRef:
    'must be a non-empty string (an OCI image reference, e.g. quay.io/containerdisks/fedora:latest)',
  runStrategy: 'must be one of Always, Halted',
  rfc3339: 'must be an RFC 3339 timestamp (e.g. 2024-05-01T12:00:00Z)',
  templateParameters: 'must be a string holding a JSON object',
  templateParametersLength: `must be at most ${SPEC_LIMITS.templateParameters} characters`,
  templateParametersDepth: `must not nest objects and arrays more than ${SPEC_LIMITS.templateParametersDepth} levels deep`,
  annotationKey:
    "must be a Kubernetes annotation key (an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)",
  networkAttachments: `must be an array of at most ${SPEC_LIMITS.networkAttachments} network attachments`,
  securityGroupRefs: `must be an array of at most ${SPEC_LIMITS.securityGroupRefs} security group names`,
  duplicateSubnetRef: 'names a subnet another network attachment already uses',
  restartOnCreate:
    'cannot be set when requesting an instance; ask for a restart once it exists',
  emptyRestartBody: 'must be empty (a restart takes no options)',
} as const;

/** Message for a string longer than its limit. */
export function atMostCharacters(limit: number): string {
  return `must be at most ${limit} characters`;
}

/** Message for a value outside a fixed set, listing the allowed values. */
export function oneOf(values: readonly string[]): string {
  return `must be one of ${values.join(', ')}`;
}
