import { NotFoundError } from '@backstage/errors';
import {
  ApiGroupNames,
  ComputeInstance,
  isLaunchIntent,
  isTerminalJobState,
  JobType,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { ComputeInstanceStore } from '../store/types';
import { EdaCompletion } from './edaCompletion';
import { isEdaJobId } from './edaJobId';
import {
  hasAapFinalizer,
  InstanceRef,
  removeAapFinalizer,
} from './edaMetadata';
import {
  CancelResult,
  DeprovisionTrigger,
  JobStatus,
  LaunchedJob,
  LaunchLookup,
  LaunchRequest,
  ProvisioningProvider,
} from './types';

export type ProviderType = 'aap' | 'eda';

export interface RoutingProviderOptions {
  /** The provider that launches new jobs (`vmLifecycle.provider.type`). */
  launch: ProviderType;
  store: ComputeInstanceStore;
  names: ApiGroupNames;
  /** AAP Direct; required when launching with it, optional otherwise (it then serves old AAP jobs). */
  aap?: ProvisioningProvider;
  /** The EDA provider; required when launching with it. */
  eda?: ProvisioningProvider & { completion?: EdaCompletion };
  /** For EDA jobs left from before a switch when no EDA provider is configured. */
  edaCompletionTimeoutMs?: number;
}

/**
 * Lets a running system switch between AAP Direct and EDA without stranding existing instances
 * (issue 7, item 4). New jobs go to the configured provider; a recorded job is always judged by
 * the provider that issued it, told apart by its id (`eda-webhook-N` or an AAP job id):
 * - an EDA provision still in flight after a switch to AAP Direct is waited for through the EDA
 *   signals (annotation), which need only the store, not the EDA URLs;
 * - an instance the EDA playbooks created is deprovisioned through AAP Direct when deleted. Its
 *   `-aap` finalizer would then never be removed by an EDA delete playbook and would keep the
 *   record forever, so once the AAP Direct delete job has succeeded (the VM is gone) this provider
 *   removes it, before reporting the success that lets the controller remove its own finalizer;
 * - after a switch to EDA, an instance AAP Direct provisioned has no `-aap` finalizer, and the EDA
 *   rule "no finalizer, nothing to delete" would orphan its VM: it is deprovisioned through AAP
 *   Direct when that is configured, and otherwise kept (waiting) rather than skipped.
 */
export class RoutingProvider implements ProvisioningProvider {
  readonly name: string;
  readonly getStatuses?: (
    jobIDs: readonly string[],
  ) => Promise<Map<string, JobStatus>>;
  private readonly edaCompletion: EdaCompletion;
  private readonly launcher: ProvisioningProvider;
  /** AAP Direct deprovision jobs of instances that carry the EDA finalizer, by AAP job id. */
  private readonly releaseOnSuccess = new Map<string, InstanceRef>();

  constructor(private readonly options: RoutingProviderOptions) {
    const launcher = options.launch === 'eda' ? options.eda : options.aap;
    if (!launcher) {
      throw new Error(
        options.launch === 'eda'
          ? 'vmLifecycle.provider.type is "eda" but vmLifecycle.provider.eda is not configured'
          : 'vmLifecycle.provider.type is "aap" but vmLifecycle.provider.aap is not configured',
      );
    }
    this.launcher = launcher;
    this.name = launcher.name;
    this.edaCompletion =
      options.eda?.completion ??
      new EdaCompletion({
        store: options.store,
        names: options.names,
        completionTimeoutMs: options.edaCompletionTimeoutMs,
      });
    const aap = options.aap;
    // Batches serve AAP Direct's jobs only. In EDA mode most jobs are EDA's, and per-job polling
    // reads their signals every tick (even when the playbook's write landed on another replica).
    if (options.launch === 'aap' && aap?.getStatuses) {
      this.getStatuses = jobIDs => this.batchStatuses(aap, jobIDs);
    }
  }

  triggerProvision(
    instance: ComputeInstance,
    launch: LaunchRequest,
  ): Promise<LaunchedJob> {
    return this.launcher.triggerProvision(instance, launch);
  }

  /**
   * AAP Direct is asked whenever it is configured, whoever launches now: an intent recorded before a
   * switch to EDA may have become an AAP job, and re-sending it as an event would be a second job.
   */
  async findLaunch(
    instance: ComputeInstance,
    type: JobType,
    launch: LaunchRequest,
  ): Promise<LaunchLookup> {
    const { aap } = this.options;
    if (!aap) return this.launcher.findLaunch(instance, type, launch);
    const lookup = await aap.findLaunch(instance, type, launch);
    if (lookup.outcome === 'found' || this.launcher === aap) return lookup;
    return this.launcher.findLaunch(instance, type, launch);
  }

  async triggerDeprovision(
    instance: ComputeInstance,
    request: LaunchRequest,
  ): Promise<DeprovisionTrigger> {
    const { aap, launch } = this.options;
    const edaFinalizer = hasAapFinalizer(instance.metadata, this.options.names);
    if (launch === 'eda' && !edaFinalizer && provisionedByAapDirect(instance)) {
      if (!aap) {
        return {
          action: 'waiting',
          message: `${ref(instance)} was provisioned through AAP Direct and carries no ${this.options.names.aapFinalizer} finalizer, so the EDA delete playbook would never be asked to remove its VM; configure vmLifecycle.provider.aap so it can be deprovisioned`,
        };
      }
      return aap.triggerDeprovision(instance, request);
    }
    const trigger = await this.launcher.triggerDeprovision(instance, request);
    if (launch === 'aap' && edaFinalizer && trigger.action === 'triggered') {
      this.releaseOnSuccess.set(trigger.job.jobID, refOf(instance));
    }
    return trigger;
  }

  getProvisionStatus(
    instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus> {
    if (isEdaJobId(job.jobID))
      return this.edaCompletion.provisionStatus(instance, job);
    return this.aapOrUntrackable(job, aap =>
      aap.getProvisionStatus(instance, job),
    );
  }

  async getDeprovisionStatus(
    instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus> {
    if (isEdaJobId(job.jobID))
      return this.edaCompletion.deprovisionStatus(instance, job);
    // Registered before the first await: after a restart this is the first read of the job (the
    // tracker starts empty), so a batch poll can never report its success before it is known here.
    if (hasAapFinalizer(instance.metadata, this.options.names)) {
      this.releaseOnSuccess.set(job.jobID, refOf(instance));
    }
    const status = await this.aapOrUntrackable(job, aap =>
      aap.getDeprovisionStatus(instance, job),
    );
    return this.afterAapDeprovision(job.jobID, status);
  }

  cancelJob(
    instance: ComputeInstance,
    job: ProvisioningJob,
    options?: { signal?: AbortSignal },
  ): Promise<CancelResult> {
    if (isEdaJobId(job.jobID) || !this.options.aap)
      return this.edaCompletion.cancel();
    return this.options.aap.cancelJob(instance, job, options);
  }

  async getJobOutput(jobID: string): Promise<string> {
    if (isEdaJobId(jobID)) {
      throw new NotFoundError(
        `Job ${jobID} is an event sent to EDA, not an AAP job: its output is in the job the rulebook activation launched in AAP`,
      );
    }
    const aap = this.options.aap;
    if (!aap?.getJobOutput)
      throw new NotFoundError(
        `No AAP Direct provider is configured to read the output of job ${jobID}`,
      );
    return aap.getJobOutput(jobID);
  }

  /**
   * EDA ids are left out: the same `eda-webhook-N` exists on many instances and this call does
   * not say which one is meant. Those jobs are judged by getProvisionStatus/getDeprovisionStatus,
   * and their completion is a write to the instance, which wakes the controller through the watch.
   */
  private async batchStatuses(
    aap: ProvisioningProvider,
    jobIDs: readonly string[],
  ): Promise<Map<string, JobStatus>> {
    const statuses = await aap.getStatuses!(
      jobIDs.filter(id => !isEdaJobId(id)),
    );
    for (const [jobID, status] of statuses) {
      if (!this.releaseOnSuccess.has(jobID)) continue;
      try {
        statuses.set(jobID, await this.afterAapDeprovision(jobID, status));
      } catch {
        // The store refused the finalizer removal for this one instance: leave its job out (no
        // observation, read again later) rather than failing the whole batch of everyone's jobs.
        // The direct read that follows reports the error on that instance.
        statuses.delete(jobID);
      }
    }
    return statuses;
  }

  private async afterAapDeprovision(
    jobID: string,
    status: JobStatus,
  ): Promise<JobStatus> {
    const target = this.releaseOnSuccess.get(jobID);
    if (!target) return status;
    if (status.state !== 'Succeeded') {
      // A failed or canceled deprovision is retried with a new job, which registers itself again.
      if (isTerminalJobState(status.state)) this.releaseOnSuccess.delete(jobID);
      return status;
    }
    // Throws on a store failure: the success is then reported on a later read, never without the release.
    await removeAapFinalizer(this.options.store, this.options.names, target);
    this.releaseOnSuccess.delete(jobID);
    return {
      state: status.state,
      message: `${status.message}; removed finalizer ${this.options.names.aapFinalizer} left by the EDA playbooks, since no EDA delete playbook will run for it`,
    };
  }

  private aapOrUntrackable(
    job: ProvisioningJob,
    read: (aap: ProvisioningProvider) => Promise<JobStatus>,
  ): Promise<JobStatus> {
    if (this.options.aap) return read(this.options.aap);
    // Terminal, as AAP Direct treats ids it did not issue: polling forever would block the instance.
    return Promise.resolve({
      state: 'Failed',
      message: `Job ${job.jobID} was launched through AAP Direct, which is no longer configured, so it cannot be tracked; treating it as failed`,
    });
  }
}

/** The factory the plugin wires: always use it, so a later switch of provider type is safe. */
export function createRoutingProvider(
  options: RoutingProviderOptions,
): RoutingProvider {
  return new RoutingProvider(options);
}

function provisionedByAapDirect(instance: ComputeInstance): boolean {
  return (instance.status.provisioningJobs ?? []).some(
    j => j.type === 'provision' && !isEdaJobId(j.jobID) && !isLaunchIntent(j),
  );
}

function refOf(instance: ComputeInstance): InstanceRef {
  const { namespace, name, uid } = instance.metadata;
  return { namespace, name, uid };
}

function ref(instance: ComputeInstance): string {
  return `ComputeInstance ${instance.metadata.namespace}/${instance.metadata.name}`;
}
