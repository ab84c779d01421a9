/**
 * The subset of the AWX / AAP controller wire format the client reads. Fields are optional where
 * AWX omits them for some job kinds or versions, so callers cannot rely on them blindly.
 */

/** AWX paginated list envelope. `next` is a server-relative URL (e.g. `/api/v2/...?page=2`) or null. */
export interface AapList<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** Which AWX resource family a template or job belongs to; decides the endpoint used for it. */
export type AapTemplateKind = 'job' | 'workflow';

export interface AapTemplate {
  id: number;
  name: string;
  kind: AapTemplateKind;
  /** "Prompt on launch" for variables; without it (or a survey) AWX ignores our extra_vars. */
  askVariablesOnLaunch?: boolean;
}

export interface AapLaunchResult {
  id: number;
  kind: AapTemplateKind;
  /** AWX status of the new job, usually `pending` (or `new`). */
  status?: string;
}

/** Job or workflow job detail (`jobs/{id}/`, `workflow_jobs/{id}/`). */
export interface AapJob {
  id: number;
  type?: string;
  name?: string;
  status: string;
  failed?: boolean;
  /** Set for internal errors (e.g. the job could not start); plain playbook failures leave it empty. */
  result_traceback?: string;
  job_explanation?: string;
  started?: string | null;
  finished?: string | null;
  elapsed?: number;
}

/** A row of a template's job list, as the launch look-up reads it. */
export interface AapListedJob {
  id: number;
  kind: AapTemplateKind;
  status: string;
  /** When AAP created the job (AAP's clock, ISO 8601), if it said. */
  created?: string;
  /** The job's extra vars, parsed; undefined when AAP sent none or something unreadable. */
  extraVars?: Record<string, unknown>;
}

/** One entry of the unified_jobs batch answer. `type` is `job`, `workflow_job`, `project_update`, ... */
export interface AapUnifiedJobStatus {
  id: number;
  status: string;
  type: string;
  result_traceback?: string;
  job_explanation?: string;
}

export interface AapJobEvent {
  id: number;
  counter?: number;
  event: string;
  event_display?: string;
  stdout?: string;
  created?: string;
  failed?: boolean;
  [key: string]: unknown;
}

/** Cancel outcome; a 404 is thrown as AapNotFoundError instead so callers see "purged" explicitly. */
export type AapCancelOutcome = 'cancelRequested' | 'alreadyFinished';

/** HTTP requests sent (every attempt, retries included), by purpose; used by benchmarks. */
export interface AapRequestStats {
  lookups: number;
  /** Job lists read to find a job whose launch answer was lost. */
  jobLookups: number;
  launches: number;
  statusPolls: number;
  batchPolls: number;
  cancels: number;
  stdout: number;
  events: number;
  /** Attempts that were repeats of an earlier failed attempt (already counted above). */
  retries: number;
  total: number;
}

export type AapRequestKind = Exclude<
  keyof AapRequestStats,
  'retries' | 'total'
>;
