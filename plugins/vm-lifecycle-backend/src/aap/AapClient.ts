import { AapError, ConfigurationError, MethodNotAllowedError } from './errors';
import { AapHttp, AapHttpOptions } from './AapHttp';
import {
  AapCancelOutcome,
  AapJob,
  AapJobEvent,
  AapLaunchResult,
  AapList,
  AapListedJob,
  AapRequestStats,
  AapTemplate,
  AapTemplateKind,
  AapUnifiedJobStatus,
} from './types';

/** baseUrl, token, timeoutMs, maxRetries, retryBaseDelayMs, caFile, insecureSkipTlsVerify, fetchImpl, logger. */
export type AapClientOptions = AapHttpOptions;

/** For launches and cancels: abandoned when the controller's term of leadership ends. */
export interface AapRequestOptions {
  signal?: AbortSignal;
}

/** AWX's MAX_PAGE_SIZE: larger page_size values are silently capped, so chunk at this size. */
export const UNIFIED_JOBS_CHUNK = 200;
/** Guards against a server whose `next` links never end. */
const MAX_PAGES_PER_CHUNK = 20;
/** 10,000 jobs of one template in the look-up window; beyond that a look-up is inconclusive. */
const MAX_LOOKUP_PAGES = 50;

/**
 * A small REST client for the AWX / AAP controller API: template lookup, launch, job detail, cancel,
 * output and batched status polling. It retries what is safe to retry (see AapHttp) and throws the
 * typed errors of `./errors` for everything the controller must decide on (auth, 404, 405, rate limits).
 */
export class AapClient {
  private readonly http: AapHttp;

  constructor(options: AapClientOptions) {
    this.http = new AapHttp(options);
  }

  /** The API root in use, with a trailing slash. */
  get baseUrl(): string {
    return this.http.base.toString();
  }

  /** Requests sent so far by purpose (every attempt counts, retries included). A copy. */
  stats(): AapRequestStats {
    return this.http.stats();
  }

  // ---- templates -------------------------------------------------------------------------

  findJobTemplate(name: string): Promise<AapTemplate | undefined> {
    return this.findTemplate('job', name);
  }

  findWorkflowJobTemplate(name: string): Promise<AapTemplate | undefined> {
    return this.findTemplate('workflow', name);
  }

  private async findTemplate(
    kind: AapTemplateKind,
    name: string,
  ): Promise<AapTemplate | undefined> {
    const collection =
      kind === 'job' ? 'job_templates' : 'workflow_job_templates';
    const list = await this.http.json<AapList<Record<string, unknown>>>({
      kind: 'lookups',
      what: `lookup of ${templateLabel(kind)} "${name}"`,
      method: 'GET',
      url: this.http.url(`${collection}/`, { name }),
      retry: 'idempotent',
      accept: 'json',
    });
    // `?name=` is an exact filter in AWX; the check keeps a lenient server from handing us a near match.
    const hit = (list.results ?? []).find(t => t.name === name);
    if (!hit || typeof hit.id !== 'number') return undefined;
    return {
      id: hit.id,
      name,
      kind,
      askVariablesOnLaunch: optionalBoolean(hit.ask_variables_on_launch),
    };
  }

  // ---- launch ----------------------------------------------------------------------------

  launchJobTemplate(
    id: number,
    extraVars: Record<string, unknown>,
    templateName?: string,
    options?: AapRequestOptions,
  ): Promise<AapLaunchResult> {
    return this.launch('job', id, extraVars, templateName, options);
  }

  launchWorkflowJobTemplate(
    id: number,
    extraVars: Record<string, unknown>,
    templateName?: string,
    options?: AapRequestOptions,
  ): Promise<AapLaunchResult> {
    return this.launch('workflow', id, extraVars, templateName, options);
  }

  private async launch(
    kind: AapTemplateKind,
    templateId: number,
    extraVars: Record<string, unknown>,
    templateName?: string,
    options?: AapRequestOptions,
  ): Promise<AapLaunchResult> {
    const collection =
      kind === 'job' ? 'job_templates' : 'workflow_job_templates';
    const label = `${templateLabel(kind)} ${templateName ? `"${templateName}" (id ${templateId})` : templateId}`;
    const answer = await this.http.json<Record<string, unknown>>({
      kind: 'launches',
      what: `launch of ${label}`,
      method: 'POST',
      url: this.http.url(`${collection}/${templateId}/launch/`),
      body: { extra_vars: extraVars },
      retry: 'launch',
      accept: 'json',
      templateId,
      signal: options?.signal,
    });
    const jobId = firstId(answer.id, answer.job, answer.workflow_job);
    if (jobId === undefined) {
      throw new AapError(
        this.http.redact(
          `AAP accepted the launch of ${label} but its answer carries no job id`,
        ),
      );
    }
    const ignored = answer.ignored_fields;
    if (
      ignored &&
      typeof ignored === 'object' &&
      Object.keys(ignored).length > 0
    ) {
      // AWX still starts the job, just without our variables; a provision playbook without its
      // payload must not run, so stop it before reporting the configuration problem.
      const canceled = await this.cancel(kind, jobId).then(
        () => true,
        () => false,
      );
      throw new ConfigurationError(
        this.http.redact(
          `AAP ignored ${Object.keys(ignored).join(', ')} when launching ${label}: the template must enable "Prompt on launch" for variables (ask_variables_on_launch). ` +
            `${canceled ? `The job ${jobId} it started was canceled.` : `Cancel the job ${jobId} it started.`}`,
        ),
      );
    }
    return {
      id: jobId,
      kind,
      status: typeof answer.status === 'string' ? answer.status : undefined,
    };
  }

  // ---- finding jobs again ------------------------------------------------------------------

  /**
   * Every job (or workflow job) of a template created at or after `createdSince`, oldest first, with
   * its extra vars, for finding a job whose launch answer was lost.
   *
   * Uses only filters real AWX and AAP 2.4/2.5 accept on `jobs/` and `workflow_jobs/`:
   * `job_template` / `workflow_job_template`, `created__gte`, `order_by=id`, `page_size` (at most 200).
   * Filtering on `extra_vars` is refused by AWX (403, it is a `prevent_search` field), so the match on
   * the extra vars is done here on the rows, which AWX's list serializers return with `extra_vars`.
   * `complete` is false when the listing stopped at the page cap: then absence is not proven.
   */
  async listTemplateJobs(
    kind: AapTemplateKind,
    templateId: number,
    createdSince: Date,
  ): Promise<{ jobs: AapListedJob[]; complete: boolean }> {
    const templateField =
      kind === 'job' ? 'job_template' : 'workflow_job_template';
    let url: URL | undefined = this.http.url(`${jobCollection(kind)}/`, {
      [templateField]: String(templateId),
      created__gte: createdSince.toISOString(),
      order_by: 'id',
      page_size: String(UNIFIED_JOBS_CHUNK),
    });
    const jobs: AapListedJob[] = [];
    for (let page = 0; url; page++) {
      if (page >= MAX_LOOKUP_PAGES) return { jobs, complete: false };
      const list: AapList<Record<string, unknown>> = await this.http.json({
        kind: 'jobLookups',
        what: `list of the ${jobLabel(kind)}s of ${templateLabel(kind)} ${templateId}`,
        method: 'GET',
        url,
        retry: 'idempotent',
        accept: 'json',
      });
      for (const row of list.results ?? []) {
        if (typeof row.id !== 'number') continue;
        jobs.push({
          id: row.id,
          kind,
          status: String(row.status ?? ''),
          created: optionalString(row.created),
          extraVars: parseExtraVars(row.extra_vars),
        });
      }
      url = list.next ? this.http.followLink(list.next) : undefined;
    }
    return { jobs, complete: true };
  }

  // ---- jobs ------------------------------------------------------------------------------

  getJob(id: number): Promise<AapJob> {
    return this.getJobOfKind('job', id);
  }

  getWorkflowJob(id: number): Promise<AapJob> {
    return this.getJobOfKind('workflow', id);
  }

  private getJobOfKind(kind: AapTemplateKind, id: number): Promise<AapJob> {
    return this.http.json<AapJob>({
      kind: 'statusPolls',
      what: `status of ${jobLabel(kind)} ${id}`,
      method: 'GET',
      url: this.http.url(`${jobCollection(kind)}/${id}/`),
      retry: 'idempotent',
      accept: 'json',
    });
  }

  /** 202 -> cancel started (asynchronous), 405 -> already finished; 404 throws AapNotFoundError (purged). */
  cancelJob(
    id: number,
    options?: AapRequestOptions,
  ): Promise<AapCancelOutcome> {
    return this.cancel('job', id, options);
  }

  cancelWorkflowJob(
    id: number,
    options?: AapRequestOptions,
  ): Promise<AapCancelOutcome> {
    return this.cancel('workflow', id, options);
  }

  private async cancel(
    kind: AapTemplateKind,
    id: number,
    options?: AapRequestOptions,
  ): Promise<AapCancelOutcome> {
    try {
      // Not repeated blindly when the answer is lost: the controller re-reads the job first
      // (CancelOutcomeUnknownError) and asks again only if it still runs.
      await this.http.send({
        kind: 'cancels',
        what: `cancel of ${jobLabel(kind)} ${id}`,
        method: 'POST',
        url: this.http.url(`${jobCollection(kind)}/${id}/cancel/`),
        retry: 'cancel',
        accept: 'json',
        signal: options?.signal,
      });
      return 'cancelRequested';
    } catch (err) {
      if (err instanceof MethodNotAllowedError) return 'alreadyFinished';
      throw err;
    }
  }

  /**
   * The job's output with Ansible's colours (AWX's `format=ansi`; callers that need plain text
   * strip them with `stripAnsi`). Workflow jobs have no output of their own: theirs is the output of
   * the jobs their nodes ran, concatenated in node order.
   */
  async getJobStdout(
    id: number,
    kind: AapTemplateKind = 'job',
  ): Promise<string> {
    if (kind === 'job') return this.jobStdout(id);
    const nodes = await this.http.json<
      AapList<{
        summary_fields?: {
          job?: { id?: number; type?: string; name?: string };
        };
      }>
    >({
      kind: 'stdout',
      what: `node list of workflow job ${id}`,
      method: 'GET',
      url: this.http.url(`workflow_jobs/${id}/workflow_nodes/`, {
        page_size: '200',
      }),
      retry: 'idempotent',
      accept: 'json',
    });
    const parts: string[] = [];
    for (const node of nodes.results ?? []) {
      const job = node.summary_fields?.job;
      if (!job?.id || (job.type && job.type !== 'job')) continue;
      parts.push(
        `=== job ${job.id}${job.name ? ` (${job.name})` : ''} ===\n${await this.jobStdout(job.id)}`,
      );
    }
    return parts.join('\n');
  }

  private async jobStdout(id: number): Promise<string> {
    const answer = await this.http.send({
      kind: 'stdout',
      what: `output of job ${id}`,
      method: 'GET',
      url: this.http.url(`jobs/${id}/stdout/`, { format: 'ansi' }),
      retry: 'idempotent',
      accept: 'text',
    });
    return answer.body;
  }

  getJobEvents(id: number, page = 1): Promise<AapList<AapJobEvent>> {
    return this.http.json<AapList<AapJobEvent>>({
      kind: 'events',
      what: `events of job ${id}`,
      method: 'GET',
      url: this.http.url(`jobs/${id}/job_events/`, {
        page: String(page),
        order_by: 'counter',
      }),
      retry: 'idempotent',
      accept: 'json',
    });
  }

  /**
   * Status of many jobs (and workflow jobs: unified job ids are unique across kinds) in one
   * `unified_jobs/?id__in=` request per 200 ids. An id missing from the answer no longer exists (purged).
   */
  async getJobStatuses(
    ids: readonly number[],
  ): Promise<Map<number, AapUnifiedJobStatus>> {
    const unique = [
      ...new Set(ids.filter(id => Number.isSafeInteger(id) && id > 0)),
    ];
    const statuses = new Map<number, AapUnifiedJobStatus>();
    for (let i = 0; i < unique.length; i += UNIFIED_JOBS_CHUNK) {
      const chunk = unique.slice(i, i + UNIFIED_JOBS_CHUNK);
      let url: URL | undefined = this.http.url('unified_jobs/', {
        id__in: chunk.join(','),
        page_size: String(UNIFIED_JOBS_CHUNK),
      });
      for (let page = 0; url && page < MAX_PAGES_PER_CHUNK; page++) {
        const list: AapList<Record<string, unknown>> = await this.http.json({
          kind: 'batchPolls',
          what: `status of ${chunk.length} jobs`,
          method: 'GET',
          url,
          retry: 'idempotent',
          accept: 'json',
        });
        for (const job of list.results ?? []) {
          if (typeof job.id !== 'number') continue;
          statuses.set(job.id, {
            id: job.id,
            status: String(job.status ?? ''),
            type: String(job.type ?? ''),
            result_traceback: optionalString(job.result_traceback),
            job_explanation: optionalString(job.job_explanation),
          });
        }
        url = list.next ? this.http.followLink(list.next) : undefined;
      }
    }
    return statuses;
  }
}

/** AWX serializes extra_vars as a JSON string (YAML only if it was sent as YAML, which we never do). */
function parseExtraVars(raw: unknown): Record<string, unknown> | undefined {
  if (raw && typeof raw === 'object' && !Array.isArray(raw))
    return raw as Record<string, unknown>;
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function firstId(...candidates: unknown[]): number | undefined {
  return candidates.find(
    (c): c is number =>
      typeof c === 'number' && Number.isSafeInteger(c) && c > 0,
  );
}

function optionalBoolean(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function jobCollection(kind: AapTemplateKind): string {
  return kind === 'job' ? 'jobs' : 'workflow_jobs';
}

function jobLabel(kind: AapTemplateKind): string {
  return kind === 'job' ? 'job' : 'workflow job';
}

function templateLabel(kind: AapTemplateKind): string {
  return kind === 'job' ? 'job template' : 'workflow job template';
}
