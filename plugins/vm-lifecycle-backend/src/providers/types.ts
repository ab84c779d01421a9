import {
  ComputeInstance,
  JobState,
  JobType,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

export interface LaunchedJob {
  jobID: string;
  state: JobState;
  message: string;
}

/**
 * What goes with every launch so that its job can be found again when the answer is lost
 * (DOMAIN.md, "Lost answers"): the launch id, and when the intent was recorded (the job cannot be
 * older, which bounds the look-up).
 */
export interface LaunchRequest {
  launchID: string;
  /** RFC 3339, the intent's timestamp. */
  intendedAt: string;
  /** Aborted when the controller's term of leadership ends: the request is abandoned. */
  signal?: AbortSignal;
}

/** What a provider knows about the job of a launch intent whose answer never came back. */
export type LaunchLookup =
  /** AAP has the job: adopt it. `duplicates`: other jobs carrying the same launch id (should be none). */
  | { outcome: 'found'; job: LaunchedJob; duplicates: string[] }
  /** A complete listing, started at `checkedAt` (ms since epoch), holds no job with this launch id. */
  | { outcome: 'absent'; checkedAt: number }
  /** The provider cannot look (EDA answers no job ids); a repeat is safe because it carries the same event id. */
  | { outcome: 'unsearchable'; reason: string };

export interface JobStatus {
  state: JobState;
  message: string;
}

export type DeprovisionTrigger =
  | { action: 'triggered'; job: LaunchedJob }
  /** The provider cannot deprovision yet (e.g. waiting for the playbook's finalizer); ask again later. */
  | { action: 'waiting'; message: string }
  /** Nothing to deprovision (e.g. the EDA create playbook never added its finalizer). */
  | { action: 'skipped'; message: string };

export type CancelResult =
  /** Cancel accepted (AAP 202): the job stops asynchronously; poll until it is terminal. */
  | 'cancelRequested'
  /** The job had already finished (AAP 405): go on to deprovision. */
  | 'alreadyFinished'
  /** The job no longer exists in AAP (purged, 404): treat as terminal. */
  | 'notFound'
  /** The provider has nothing to cancel (EDA). */
  | 'notSupported';

/**
 * A provisioning backend (AAP Direct, EDA). Implementations throw the typed errors of `aap/errors.ts`
 * (RateLimitedError with retryAfterMs, AuthenticationError, TemplateNotFoundError, ConfigurationError,
 * TransientAapError) so the reconciler can decide without string matching.
 */
export interface ProvisioningProvider {
  readonly name: string;
  /** Launches with `launch.launchID` attached; throws LaunchOutcomeUnknownError when AAP may or may not have the job. */
  triggerProvision(
    instance: ComputeInstance,
    launch: LaunchRequest,
  ): Promise<LaunchedJob>;
  getProvisionStatus(
    instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus>;
  cancelJob(
    instance: ComputeInstance,
    job: ProvisioningJob,
    options?: { signal?: AbortSignal },
  ): Promise<CancelResult>;
  triggerDeprovision(
    instance: ComputeInstance,
    launch: LaunchRequest,
  ): Promise<DeprovisionTrigger>;
  /** Looks for the job of a launch whose outcome is unknown. Throws when the look-up itself fails. */
  findLaunch(
    instance: ComputeInstance,
    type: JobType,
    launch: LaunchRequest,
  ): Promise<LaunchLookup>;
  getDeprovisionStatus(
    instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus>;
  /**
   * Optional batch poll for the job tracker: the status of many jobs at once (AAP Direct: one
   * unified_jobs request per 200 ids), keyed by the jobIDs passed in. Providers without it are polled per job.
   */
  getStatuses?(jobIDs: readonly string[]): Promise<Map<string, JobStatus>>;
  /** Optional: the job's output as plain text (AAP stdout), for the portal's job log view. */
  getJobOutput?(jobID: string): Promise<string>;
}
