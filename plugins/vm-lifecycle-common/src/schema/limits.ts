/**
 * Upper bounds of the spec, shared by the zod schemas and (as maximum / maxLength / maxItems) by
 * deploy/crd.yaml; the CRD agreement test holds the two to the same numbers. Without them a
 * requester could ask for `memoryGiB: 1e308`, and the playbook would be the first to object.
 */
export const SPEC_LIMITS = {
  cores: 128,
  memoryGiB: 4096,
  /** Boot disk and every additional disk. */
  diskSizeGiB: 65536,
  additionalDisks: 16,
  /** Characters of the JSON text. */
  templateParameters: 16384,
  /** Nesting of objects and arrays inside templateParameters (the top-level object is level 1). */
  templateParametersDepth: 10,
  templateID: 253,
  imageSourceRef: 2048,
  guestOSFamily: 63,
  sshKey: 8192,
  /** A Secret name: a DNS subdomain. */
  userDataSecretName: 253,
  /** NICs; OSAC's own bound (it keeps the cost of its CEL rules bounded). */
  networkAttachments: 8,
  /** A Subnet or SecurityGroup name: a DNS subdomain. */
  networkObjectName: 253,
  /** Security groups of one NIC (OSAC sets no bound; we do, as for every other list). */
  securityGroupRefs: 16,
} as const;
