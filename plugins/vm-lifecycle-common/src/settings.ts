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
 * The AAP web UI link of a recorded job, or undefined: without a configured UI, and for jobs
 * that are not AAP jobs (the EDA provider's ids). Job ids are "42" for a job and "workflow-42"
 * for a workflow job.
 */
export function aapJobUrl(
  template: string | undefined,
  jobID: string,
): string | undefined {
  if (!template) return undefined;
  const match = /^(workflow-)?([1-9]\d{0,15})$/.exec(jobID);
  if (!match) return undefined;
  return template
    .replace('{kind}', match[1] ? 'workflow' : 'playbook')
    .replace('{id}', match[2]);
}
