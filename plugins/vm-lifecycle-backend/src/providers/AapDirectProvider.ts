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
import { LaunchFinder } from './launchFinder';
import {
  CancelResult,
  DeprovisionTrigger,
  JobStatus,
  LaunchedJob,
  LaunchLookup,
  LaunchRequest,
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
  /** See LaunchFinderOptions.clockSkewMs. */
  lookupClockSkewMs?: number;
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
  private readonly finder: LaunchFinder;

  constructor(options: AapDirectProviderOptions) {
    this.client = options.client;
    this.resolver = new TemplateResolver(options.client);
    this.finder = new LaunchFinder({
      client: options.client,
      clockSkewMs: options.lookupClockSkewMs,
    });
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

  triggerProvision(
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

  /**
   * Finds the job a launch created when its answer was lost: the jobs of the template created since
   * the intent, matched by the launch id in their extra vars (see LaunchFinder).
   */
  async findLaunch(
    instance: ComputeInstance,
    type: JobType,
    launch: LaunchRequest,
  ): Promise<LaunchLookup> {
    const template = await this.resolver.resolve(this.templateNames[type]);
    const result = await this.finder.find(
      template,
      launch.launchID,
      launch.intendedAt,
    );
    if ('absent' in result)
      return { outcome: 'absent', checkedAt: result.checkedAt };
    const [first, ...others] = result.found;
    const ref: AapJobRef = { id: first.id, kind: first.kind };
    const { namespace, name } = instance.metadata;
    const state = jobStateFromAapStatus(first.status);
    return {
      outcome: 'found',
      job: {
        jobID: formatAapJobId(ref),
        state: state === 'Unknown' ? 'Pending' : state,
        message: `Found ${aapJobLabel(ref)} of ${templateLabel(template)} by launch id ${launch.launchID} (its launch answer was lost) to ${type} ${namespace}/${name}`,
      },
      duplicates: others.map(j => formatAapJobId({ id: j.id, kind: j.kind })),
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
    options?: { signal?: AbortSignal },
  ): Promise<CancelResult> {
    const ref = parseAapJobId(job.jobID);
    if (!ref) return 'notSupported';
    try {
      return ref.kind === 'workflow'
        ? await this.client.cancelWorkflowJob(ref.id, options)
        : await this.client.cancelJob(ref.id, options);
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
   * Status of many jobs with one `unified_jobs` request per 200 ids, for the job tracker, keyed by
   * the jobIDs passed in. Two cases need the job itself, read once each:
   * - a failed job: AWX's list serializers leave out `result_traceback`, and the failure message
   *   must carry it;
   * - a job missing from the answer: only a direct read answering 404 proves it purged (a list can
   *   miss a row for other reasons, e.g. a proxy cutting pages).
   * A job whose direct read fails is left out of the map (no observation), never guessed.
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
    const readDirectly: string[] = [];
    for (const [jobID, ref] of refs) {
      const found = statuses.get(ref.id);
      // A different type under our id means AAP was rebuilt and the id reused: read ours directly.
      const sameJob =
        found &&
        (!found.type ||
          found.type === (ref.kind === 'workflow' ? 'workflow_job' : 'job'));
      if (!found || !sameJob) readDirectly.push(jobID);
      else if (
        jobStateFromAapStatus(found.status) === 'Failed' &&
        !found.result_traceback
      )
        readDirectly.push(jobID);
      else result.set(jobID, jobStatusFromAap(ref, found));
    }
    for (const jobID of readDirectly) {
      try {
        result.set(jobID, await this.getStatus(jobID));
      } catch (err) {
        this.logger?.warn(
          `Could not read AAP job ${jobID} after the batch status poll: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
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
    request: LaunchRequest,
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
    // The launch id rides beside the payload (which playbooks read unchanged), so the job can be
    // found again by it when AAP's answer to this request is lost.
    const extraVars = {
      ansible_eda: {
        event: { payload: instance, launch_id: request.launchID },
      },
    };
    let launched;
    try {
      launched =
        template.kind === 'workflow'
          ? await this.client.launchWorkflowJobTemplate(
              template.id,
              extraVars,
              name,
              { signal: request.signal },
            )
          : await this.client.launchJobTemplate(template.id, extraVars, name, {
              signal: request.signal,
            });
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
