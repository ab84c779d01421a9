import { parseAapJobRef } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { AapTemplateKind } from '../aap/types';

/** Where a job lives in AAP: `jobs/{id}/` or `workflow_jobs/{id}/`. */
export interface AapJobRef {
  id: number;
  kind: AapTemplateKind;
}

/**
 * The job kind travels inside the recorded jobID so that polling and cancel hit the right endpoint
 * even after a restart or a template switching kind: the original operator polled workflow jobs at
 * `jobs/{id}/` and got 404s. A plain job keeps the bare number ("42"), which is what the OSAC
 * operator records, so existing resources stay readable; a workflow job is "workflow-42".
 */
const WORKFLOW_PREFIX = 'workflow-';

export function formatAapJobId(ref: AapJobRef): string {
  return ref.kind === 'workflow'
    ? `${WORKFLOW_PREFIX}${ref.id}`
    : String(ref.id);
}

/** undefined for ids AAP Direct did not issue (e.g. the EDA provider's `eda-webhook-N`). */
export function parseAapJobId(jobID: string): AapJobRef | undefined {
  return parseAapJobRef(jobID);
}

export function aapJobLabel(ref: AapJobRef): string {
  return `AAP ${ref.kind === 'workflow' ? 'workflow job' : 'job'} ${ref.id}`;
}
