/** Wire types of the ComputeInstance resource, shared by the backend controller and the portal. */

export type RunStrategy = 'Always' | 'Halted';

export type Phase =
  | 'Starting'
  | 'Running'
  | 'Failed'
  | 'Deleting'
  | 'Stopping'
  | 'Stopped'
  | 'Paused';

export type JobState =
  | 'Pending'
  | 'Waiting'
  | 'Running'
  | 'Succeeded'
  | 'Failed'
  | 'Canceled'
  | 'Unknown';

export type JobType = 'provision' | 'deprovision';

export type ConditionType =
  | 'ConfigurationApplied'
  | 'Provisioned'
  | 'Ready'
  | 'RestartInProgress'
  | 'RestartFailed'
  /** True while a deletion waits on something that needs attention (see DeletionBlockedReason). */
  | 'DeletionBlocked';

/**
 * Why a deletion waits, on the DeletionBlocked condition. Each names what an admin can look at;
 * the message says since when and when the controller tries again.
 */
export type DeletionBlockedReason =
  /** The provision job has not ended long after the deletion (asked to cancel, or not cancelable). */
  | 'ProvisionJobNotTerminal'
  /** The deprovision job has been running longer than the deadline. */
  | 'DeprovisionJobNotTerminal'
  /** EDA mode: the delete event was sent, but the playbook has not reported back. */
  | 'PlaybookSilent'
  /** AAP (or the EDA event stream) could not be reached or answered with errors. */
  | 'AapUnreachable'
  /** Whether AAP took the launch is still unknown long after the deadline. */
  | 'LaunchOutcomeUnknown'
  /** The deprovision job failed; it is retried with backoff. */
  | 'DeprovisionFailed';

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface ComputeInstanceSpec {
  templateID: string;
  /** A string holding a JSON object, passed through to the playbook. */
  templateParameters?: string;
  image: { sourceType: 'registry'; sourceRef: string };
  guestOSFamily?: string;
  cores: number;
  memoryGiB: number;
  bootDisk: { sizeGiB: number };
  additionalDisks?: Array<{ sizeGiB: number }>;
  runStrategy: RunStrategy;
  sshKey?: string;
  userDataSecretRef?: { name: string };
  /** RFC 3339; a value newer than status.lastRestartedAt asks for a restart. */
  restartRequestedAt?: string;
  /**
   * The VM's NICs (OSAC): the first is the primary subnet, which decides where the VM is placed.
   * Subnets are immutable once assigned; security groups may change.
   */
  networkAttachments?: NetworkAttachment[];
}

export interface NetworkAttachment {
  /** Name of a Subnet in the instance's namespace. */
  subnetRef: string;
  /** Names of SecurityGroups in the instance's namespace. */
  securityGroupRefs?: string[];
}

export interface ProvisioningJob {
  /**
   * The AAP job id ("42", "workflow-42", "eda-webhook-3"), or `intent:<launchID>` while the launch
   * is an intent: persisted before the launch request, and until AAP's job for it is known.
   */
  jobID: string;
  /**
   * Unique per launch attempt, sent with the launch (AAP Direct: in the extra vars; EDA: as the
   * event id) so a job whose launch answer was lost can be found again and adopted.
   */
  launchID?: string;
  type: JobType;
  /** RFC 3339 time the job was launched; "latest" means greatest timestamp. */
  timestamp: string;
  state: JobState;
  message: string;
  configVersion: string;
  blockDeletionOnFailure: boolean;
}

export interface ComputeInstanceStatus {
  phase?: Phase;
  conditions?: Condition[];
  desiredConfigVersion?: string;
  lastRestartedAt?: string;
  ipAddress?: string;
  provisioningJobs?: ProvisioningJob[];
  /** Set by OSAC's ExternalIPAttachment controller, never by us. */
  externalIPAddress?: string;
  /** Where the KubeVirt VirtualMachine lives; set by the playbooks or OSAC's operator. */
  virtualMachineReference?: {
    namespace: string;
    kubeVirtVirtualMachineName: string;
  };
  /** The tenant holding the VM's resources; set by OSAC's operator. */
  tenantReference?: { name: string; namespace: string };
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  finalizers: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ComputeInstance {
  apiVersion: string;
  kind: 'ComputeInstance';
  metadata: ObjectMeta;
  spec: ComputeInstanceSpec;
  status: ComputeInstanceStatus;
}

export interface LifecycleEvent {
  timestamp: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  jobID?: string;
}

/**
 * A job's output as GET .../jobs/:jobID/stdout answers it to a client that accepts JSON: the end of
 * it when it is longer than the backend's maximum (`truncated`), all of it with `?full=true`.
 */
export interface JobOutput {
  text: string;
  /** Characters of the whole output. */
  totalChars: number;
  truncated: boolean;
}

/** Payload published on the signals channel for every change of an instance. */
export interface InstanceSignal {
  type: 'instance';
  namespace: string;
  name: string;
  resourceVersion: string;
  phase?: Phase;
  deleted?: boolean;
  /** With `deleted`: the uid its history is kept under (GET /instances/by-uid/:uid). */
  uid?: string;
  /** With `deleted`: how its last deprovision job ended (none if it never had one). */
  finalJob?: Pick<ProvisioningJob, 'jobID' | 'type' | 'state' | 'message'>;
}
