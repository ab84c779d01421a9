/** What the backend tells the portal about its deployment (GET /settings): no secrets. */
export interface PortalSettings {
  /** API group of the resource: prefix of the owner and requested-by annotations. */
  apiGroup: string;
  provider: 'aap' | 'eda';
  store: 'database' | 'kubernetes';
  pollIntervalMs: number;
  controllerEnabled: boolean;
  /**
   * A job's page in AAP's web UI with `{kind}` (playbook or workflow) and `{id}` to fill in
   * (`vmLifecycle.provider.aap.uiUrl`); absent when not configured.
   */
  aapJobUrlTemplate?: string;
}

/**
 * The AAP job a recorded job id names: "42" for a job (what the OSAC operator records) and
 * "workflow-42" for a workflow job; undefined for ids AAP did not issue (the EDA provider's).
 */
export function parseAapJobRef(
  jobID: string,
): { id: number; kind: 'job' | 'workflow' } | undefined {
  const match = /^(workflow-)?([1-9]\d{0,15})$/.exec(jobID);
  if (!match) return undefined;
  const id = Number(match[2]);
  if (!Number.isSafeInteger(id)) return undefined;
  return { id, kind: match[1] ? 'workflow' : 'job' };
}

/**
 * The AAP web UI link of a recorded job, or undefined: without a configured UI, and for jobs
 * that are not AAP jobs.
 */
export function aapJobUrl(
  template: string | undefined,
  jobID: string,
): string | undefined {
  const ref = template ? parseAapJobRef(jobID) : undefined;
  if (!template || !ref) return undefined;
  return template
    .replace('{kind}', ref.kind === 'workflow' ? 'workflow' : 'playbook')
    .replace('{id}', String(ref.id));
}
