export const DEFAULT_API_GROUP = 'osac.openshift.io';
export const API_VERSION_NAME = 'v1alpha1';
export const COMPUTE_INSTANCE_KIND = 'ComputeInstance';
export const COMPUTE_INSTANCE_PLURAL = 'computeinstances';
export const SIGNAL_CHANNEL = 'vm-lifecycle';
export const DEFAULT_MAX_JOB_HISTORY = 10;

/** Names derived from the API group, as the OSAC operator derives them. */
export interface ApiGroupNames {
  group: string;
  apiVersion: string;
  /** Controller-owned finalizer: removed only when deprovisioning is done or correctly skipped. */
  finalizer: string;
  /** Finalizer the EDA playbooks add during create and remove at the end of delete. */
  aapFinalizer: string;
  reconciledConfigVersionAnnotation: string;
  requestedByAnnotation: string;
  ownerAnnotation: string;
  /**
   * Written only by the deletion "retry now" route (RFC 3339): the controller skips the backoff of a
   * failed deprovision and reads a stuck job's live state again. Reserved like every group annotation.
   */
  deletionRetryAnnotation: string;
  /** The catalog component a VM belongs to (its catalog entity is a `dependencyOf` it). */
  componentAnnotation: string;
  /** Label carried by the VM objects (KubeVirt) that belong to an instance. */
  instanceLabel: string;
  /**
   * When the VM expires (RFC 3339). Set by the API from the template's lifetime at create (a request
   * may propose it, within the template's maximum) and by the extend route; read by the controller.
   */
  expiresAtAnnotation: string;
  /**
   * Written only by the controller: the reminders already sent for the current expiry, as
   * `<expiresAt> <offset ms>,<offset ms>`, so none is repeated after a restart or a leader change.
   */
  expiryRemindersAnnotation: string;
  /** Written only by the controller when it expires the VM (RFC 3339): an expiry happens once. */
  expiredAtAnnotation: string;
}

export function apiGroupNames(
  group: string = DEFAULT_API_GROUP,
): ApiGroupNames {
  return {
    group,
    apiVersion: `${group}/${API_VERSION_NAME}`,
    finalizer: `${group}/computeinstance`,
    aapFinalizer: `${group}/computeinstance-aap`,
    reconciledConfigVersionAnnotation: `${group}/reconciled-config-version`,
    requestedByAnnotation: `${group}/requested-by`,
    ownerAnnotation: `${group}/owner`,
    deletionRetryAnnotation: `${group}/deletion-retry-requested-at`,
    componentAnnotation: `${group}/component`,
    instanceLabel: `${group}/computeinstance`,
    expiresAtAnnotation: `${group}/expires-at`,
    expiryRemindersAnnotation: `${group}/expiry-reminders-sent`,
    expiredAtAnnotation: `${group}/expired-at`,
  };
}
