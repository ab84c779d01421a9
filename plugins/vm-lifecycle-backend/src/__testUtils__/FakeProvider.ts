import {
  ComputeInstance,
  isTerminalJobState,
  JobState,
  JobType,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  CancelOutcomeUnknownError,
  LaunchOutcomeUnknownError,
} from '../aap/errors';
import {
  CancelResult,
  DeprovisionTrigger,
  JobStatus,
  LaunchedJob,
  LaunchLookup,
  LaunchRequest,
  ProvisioningProvider,
} from '../providers/types';

export interface FakeJob {
  id: string;
  type: 'provision' | 'deprovision';
  instanceKey: string;
  state: JobState;
  message: string;
  cancelRequested: boolean;
  purged: boolean;
  launchID: string;
}

/**
 * A programmable in-memory provisioning provider for the reconciler's unit tests: the test moves
 * jobs between states and injects errors; the fake records every call.
 */
export class FakeProvider implements ProvisioningProvider {
  readonly name = 'fake';
  readonly jobs = new Map<string, FakeJob>();
  readonly calls: string[] = [];
  /** Errors thrown by the next launches, in order. */
  launchErrors: Error[] = [];
  /** Errors thrown by the next status reads, in order. */
  statusErrors: Error[] = [];
  /** When set, a cancel of a running job ends it at once with this state (otherwise it stays until the test moves it). */
  cancelEndsImmediately?: JobState;
  /** The next launches create their job, then their answer is lost (LaunchOutcomeUnknownError). */
  lostLaunchAnswers = 0;
  /** The next launches fail with LaunchOutcomeUnknownError without creating a job (a request that never got in). */
  unknownLaunchesWithoutJob = 0;
  /** The next cancels take effect, then their answer is lost (CancelOutcomeUnknownError). */
  lostCancelAnswers = 0;
  /** The next cancels answer "already finished" (405) whatever the job's state. */
  refusedCancels = 0;
  /** Errors thrown by the next launch look-ups, in order. */
  findErrors: Error[] = [];
  private nextId = 100;

  constructor(private readonly now: () => number = Date.now) {}

  launched(
    type?: 'provision' | 'deprovision',
    instanceKey?: string,
  ): FakeJob[] {
    return [...this.jobs.values()].filter(
      j =>
        (!type || j.type === type) &&
        (!instanceKey || j.instanceKey === instanceKey),
    );
  }

  setState(jobID: string, state: JobState, message?: string): void {
    const job = this.mustGet(jobID);
    job.state = state;
    job.message = message ?? `AAP job ${jobID} is ${state}`;
  }

  purge(jobID: string): void {
    this.mustGet(jobID).purged = true;
  }

  async triggerProvision(
    instance: ComputeInstance,
    launch: LaunchRequest,
  ): Promise<LaunchedJob> {
    return this.launch('provision', instance, launch);
  }

  async triggerDeprovision(
    instance: ComputeInstance,
    launch: LaunchRequest,
  ): Promise<DeprovisionTrigger> {
    return {
      action: 'triggered',
      job: await this.launch('deprovision', instance, launch),
    };
  }

  async findLaunch(
    instance: ComputeInstance,
    type: JobType,
    launch: LaunchRequest,
  ): Promise<LaunchLookup> {
    this.calls.push(`find:${type}:${launch.launchID}`);
    const error = this.findErrors.shift();
    if (error) throw error;
    const key = `${instance.metadata.namespace}/${instance.metadata.name}`;
    const found = this.launched(type, key).filter(
      j => j.launchID === launch.launchID,
    );
    if (found.length === 0) return { outcome: 'absent', checkedAt: this.now() };
    const [first, ...others] = found;
    return {
      outcome: 'found',
      job: { jobID: first.id, state: first.state, message: first.message },
      duplicates: others.map(j => j.id),
    };
  }

  async getProvisionStatus(
    _i: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus> {
    return this.status(job.jobID);
  }

  async getDeprovisionStatus(
    _i: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus> {
    return this.status(job.jobID);
  }

  async getStatuses(jobIDs: string[]): Promise<Map<string, JobStatus>> {
    this.calls.push(`batch:${jobIDs.length}`);
    const error = this.statusErrors.shift();
    if (error) throw error;
    return new Map(jobIDs.map(id => [id, this.peek(id)]));
  }

  async cancelJob(
    _i: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<CancelResult> {
    this.calls.push(`cancel:${job.jobID}`);
    const fake = this.mustGet(job.jobID);
    if (fake.purged) return 'notFound';
    if (isTerminalJobState(fake.state)) return 'alreadyFinished';
    if (this.refusedCancels > 0) {
      this.refusedCancels--;
      return 'alreadyFinished';
    }
    fake.cancelRequested = true;
    if (this.cancelEndsImmediately)
      this.setState(fake.id, this.cancelEndsImmediately);
    if (this.lostCancelAnswers > 0) {
      this.lostCancelAnswers--;
      throw new CancelOutcomeUnknownError(
        `the answer to the cancel of ${job.jobID} was lost`,
      );
    }
    return 'cancelRequested';
  }

  private async launch(
    type: 'provision' | 'deprovision',
    instance: ComputeInstance,
    launch: LaunchRequest,
  ): Promise<LaunchedJob> {
    const key = `${instance.metadata.namespace}/${instance.metadata.name}`;
    this.calls.push(`launch:${type}:${key}`);
    const error = this.launchErrors.shift();
    if (error) throw error;
    if (this.unknownLaunchesWithoutJob > 0) {
      this.unknownLaunchesWithoutJob--;
      throw new LaunchOutcomeUnknownError('the launch request timed out');
    }
    const id = String(this.nextId++);
    this.jobs.set(id, {
      id,
      type,
      instanceKey: key,
      state: 'Pending',
      message: `AAP job ${id} is pending`,
      cancelRequested: false,
      purged: false,
      launchID: launch.launchID,
    });
    if (this.lostLaunchAnswers > 0) {
      this.lostLaunchAnswers--;
      throw new LaunchOutcomeUnknownError(
        'the connection was reset before the answer arrived',
      );
    }
    return { jobID: id, state: 'Pending', message: `AAP job ${id} is pending` };
  }

  private status(jobID: string): JobStatus {
    this.calls.push(`status:${jobID}`);
    const error = this.statusErrors.shift();
    if (error) throw error;
    return this.peek(jobID);
  }

  private peek(jobID: string): JobStatus {
    const job = this.mustGet(jobID);
    if (job.purged)
      return {
        state: 'Failed',
        message: `AAP job ${jobID} no longer exists (purged)`,
      };
    return { state: job.state, message: job.message };
  }

  private mustGet(jobID: string): FakeJob {
    const job = this.jobs.get(jobID);
    if (!job) throw new Error(`FakeProvider: no job ${jobID}`);
    return job;
  }
}
