import {
  ComputeInstance,
  isTerminalJobState,
  JobState,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  CancelResult,
  DeprovisionTrigger,
  JobStatus,
  LaunchedJob,
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
  private nextId = 100;

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

  async triggerProvision(instance: ComputeInstance): Promise<LaunchedJob> {
    return this.launch('provision', instance);
  }

  async triggerDeprovision(
    instance: ComputeInstance,
  ): Promise<DeprovisionTrigger> {
    return {
      action: 'triggered',
      job: await this.launch('deprovision', instance),
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
    fake.cancelRequested = true;
    if (this.cancelEndsImmediately)
      this.setState(fake.id, this.cancelEndsImmediately);
    return 'cancelRequested';
  }

  private async launch(
    type: 'provision' | 'deprovision',
    instance: ComputeInstance,
  ): Promise<LaunchedJob> {
    const key = `${instance.metadata.namespace}/${instance.metadata.name}`;
    this.calls.push(`launch:${type}:${key}`);
    const error = this.launchErrors.shift();
    if (error) throw error;
    const id = String(this.nextId++);
    this.jobs.set(id, {
      id,
      type,
      instanceKey: key,
      state: 'Pending',
      message: `AAP job ${id} is pending`,
      cancelRequested: false,
      purged: false,
    });
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
