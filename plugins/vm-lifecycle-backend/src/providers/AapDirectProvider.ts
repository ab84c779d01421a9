import {
  ComputeInstance,
  JobType,
  ProvisioningJob,
  jobStateFromAapStatus,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { AapClient } from '../aap/AapClient';
import { AapNotFoundError, ConfigurationError } from '../aap/errors';
import { AapTemplate } from '../aap/types';
import {
  aapJobLabel,
  AapJobRef,
  formatAapJobId,
  parseAapJobId,
} from './aapJobId';
import {
  foreignJobStatus,
  jobStatusFromAap,
  purgedJobStatus,
} from './aapJobStatus';
import { TemplateResolver } from './TemplateResolver';
import {
  CancelResult,
  DeprovisionTrigger,
  JobStatus,
  LaunchedJob,
  ProvisioningProvider,
} from './types';

export interface AapDirectTemplatesConfig {
  /** Explicit template names win over the prefix convention. */
  provision?: string;
  deprovision?: string;
  /** `<prefix>-create-compute-instance` / `<prefix>-delete-compute-instance`. Default `osac`. */
  prefix?: string;
}

export interface AapDirectProviderOptions {
  client: AapClient;
  templates?: AapDirectTemplatesConfig;
  logger?: { warn(message: string): void };
}

/**
 * Drives the VM lifecycle by launching AAP job (or workflow job) templates over the controller REST
 * API and polling the jobs (DOMAIN.md section 3, "AAP Direct").
 *
 * Job ids: "42" for a job, "workflow-42" for a workflow job (see aapJobId.ts). A job AAP no longer
 * has (404, purged) is reported as Failed (see aapJobStatus.ts for why).
 */
export class AapDirectProvider implements ProvisioningProvider {
  readonly name = 'aap-direct';
  private readonly client: AapClient;
  private readonly resolver: TemplateResolver;
  private readonly templateNames: Record<JobType, string>;
  private readonly logger?: { warn(message: string): void };

  constructor(options: AapDirectProviderOptions) {
    this.client = options.client;
    this.resolver = new TemplateResolver(options.client);
    this.logger = options.logger;
    const prefix = options.templates?.prefix || 'osac';
    this.templateNames = {
      provision:
        options.templates?.provision || `${prefix}-create-compute-instance`,
      deprovision:
        options.templates?.deprovision || `${prefix}-delete-compute-instance`,
    };
  }

  /** The template names this provider launches, for diagnostics and the admin view. */
  get templates(): Readonly<Record<JobType, string>> {
    return this.templateNames;
  }

  triggerProvision(instance: ComputeInstance): Promise<LaunchedJob> {
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

  getProvisionStatus(
    _instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus> {
    return this.getStatus(job.jobID);
  }

  getDeprovisionStatus(
    _instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus> {
    return this.getStatus(job.jobID);
  }

  async cancelJob(
    _instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<CancelResult> {
    const ref = parseAapJobId(job.jobID);
    if (!ref) return 'notSupported';
    try {
      return ref.kind === 'workflow'
        ? await this.client.cancelWorkflowJob(ref.id)
        : await this.client.cancelJob(ref.id);
    } catch (err) {
      if (err instanceof AapNotFoundError) return 'notFound';
      throw err;
    }
  }

  /** Live status of one job by its recorded jobID. */
  async getStatus(jobID: string): Promise<JobStatus> {
    const ref = parseAapJobId(jobID);
    if (!ref) return foreignJobStatus(jobID);
    try {
      const job =
        ref.kind === 'workflow'
          ? await this.client.getWorkflowJob(ref.id)
          : await this.client.getJob(ref.id);
      return jobStatusFromAap(ref, job);
    } catch (err) {
      if (err instanceof AapNotFoundError) return purgedJobStatus(ref);
      throw err;
    }
  }

  /**
   * Status of many jobs with one `unified_jobs` request per 200 ids, for the job tracker. Keyed by the
   * jobIDs passed in; purged jobs and foreign ids get the same results as `getStatus`.
   */
  async getStatuses(
    jobIDs: readonly string[],
  ): Promise<Map<string, JobStatus>> {
    const result = new Map<string, JobStatus>();
    const refs = new Map<string, AapJobRef>();
    for (const jobID of jobIDs) {
      const ref = parseAapJobId(jobID);
      if (ref) refs.set(jobID, ref);
      else result.set(jobID, foreignJobStatus(jobID));
    }
    if (refs.size === 0) return result;
    const statuses = await this.client.getJobStatuses(
      [...refs.values()].map(ref => ref.id),
    );
    for (const [jobID, ref] of refs) {
      const found = statuses.get(ref.id);
      // A different type under our id means AAP was rebuilt and the id reused: our job is gone.
      const sameJob =
        found &&
        (!found.type ||
          found.type === (ref.kind === 'workflow' ? 'workflow_job' : 'job'));
      result.set(
        jobID,
        found && sameJob ? jobStatusFromAap(ref, found) : purgedJobStatus(ref),
      );
    }
    return result;
  }

  /** The job's output as text for the portal; AapNotFoundError when the job is gone or not ours. */
  async getJobOutput(jobID: string): Promise<string> {
    const ref = parseAapJobId(jobID);
    if (!ref)
      throw new AapNotFoundError(
        `Job "${jobID}" was not launched through AAP Direct; it has no AAP output`,
      );
    return this.client.getJobStdout(ref.id, ref.kind);
  }

  private async launch(
    type: JobType,
    instance: ComputeInstance,
  ): Promise<LaunchedJob> {
    const name = this.templateNames[type];
    const template = await this.resolver.resolve(name);
    const label = templateLabel(template);
    if (template.askVariablesOnLaunch === false) {
      // Launching anyway would start the playbook without its payload; AWX would only list
      // extra_vars under ignored_fields after the job already exists.
      this.resolver.forget(name);
      throw new ConfigurationError(
        `${label} does not prompt for variables on launch, so AAP would drop the ComputeInstance payload: enable "Prompt on launch" for Variables on the template`,
      );
    }
    const extraVars = { ansible_eda: { event: { payload: instance } } };
    let launched;
    try {
      launched =
        template.kind === 'workflow'
          ? await this.client.launchWorkflowJobTemplate(
              template.id,
              extraVars,
              name,
            )
          : await this.client.launchJobTemplate(template.id, extraVars, name);
    } catch (err) {
      if (err instanceof AapNotFoundError) {
        this.resolver.forget(name);
        this.logger?.warn(
          `${label} is gone from AAP (launch answered 404); it will be looked up again`,
        );
        throw new AapNotFoundError(
          `${label} no longer exists in AAP (launch answered 404); it will be looked up by name again on the next attempt`,
        );
      }
      if (err instanceof ConfigurationError) this.resolver.forget(name);
      throw err;
    }
    const ref: AapJobRef = { id: launched.id, kind: template.kind };
    const state = jobStateFromAapStatus(launched.status);
    const { namespace, name: instanceName } = instance.metadata;
    return {
      jobID: formatAapJobId(ref),
      // A launch answer without a recognisable status still means the job exists and has not run yet.
      state: state === 'Unknown' ? 'Pending' : state,
      message: `Launched ${aapJobLabel(ref)} from ${label} to ${type} ${namespace}/${instanceName}`,
    };
  }
}

function templateLabel(template: AapTemplate): string {
  return `${template.kind === 'workflow' ? 'workflow job template' : 'job template'} "${template.name}" (id ${template.id})`;
}
