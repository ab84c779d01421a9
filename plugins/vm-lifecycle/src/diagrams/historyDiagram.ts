import { LifecycleEvent } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { mermaidLabel } from './mermaidText';

export interface HistoryDiagramInput {
  /** Instance name, used in the portal's messages. */
  name: string;
  /** When the instance was requested; starts the diagram with the portal's request. */
  requestedAt?: string;
  /** Lifecycle events, oldest first (GET .../events). */
  events: readonly LifecycleEvent[];
  /**
   * The record is gone. Its last events are often not readable any more (the events of a deleted
   * instance 404), so the diagram ends with the removal the portal itself observed.
   */
  deleted?: boolean;
}

const PORTAL = 'Portal';
const CONTROLLER = 'Controller';
const AAP = 'AAP';

type Step = (event: LifecycleEvent, name: string) => string[];

const job = (event: LifecycleEvent) => (event.jobID ? ` ${event.jobID}` : '');
// Notes sit between two lifelines: long ones spill over the next lane.
const detail = (event: LifecycleEvent) => mermaidLabel(event.message, 60);
const note = (over: string, text: string) => `  Note over ${over}: ${text}`;
const arrow = (from: string, kind: string, to: string, text: string) =>
  `  ${from}${kind}${to}: ${text}`;
/** A warning note carries the controller's message only when there is one. */
const withMessage = (lines: string[], event: LifecycleEvent, over: string) =>
  event.message.trim() ? [...lines, note(over, detail(event))] : lines;

/** One entry per reason the controller records (backend controller and event rules). */
const STEPS: Record<string, Step> = {
  DeletionStarted: (_e, name) => [
    arrow(PORTAL, '->>', CONTROLLER, `delete ${mermaidLabel(name)}`),
    note(CONTROLLER, 'phase Deleting, the finalizer keeps the record'),
  ],
  ProvisionJobLaunched: e => [
    arrow(CONTROLLER, '->>', AAP, `launch provision job${job(e)}`),
  ],
  DeprovisionJobLaunched: e => [
    arrow(CONTROLLER, '->>', AAP, `launch deprovision job${job(e)}`),
  ],
  JobStateChanged: e => [arrow(AAP, '-->>', CONTROLLER, detail(e))],
  ProvisionJobSucceeded: e => [
    arrow(AAP, '-->>', CONTROLLER, `provision job${job(e)} successful`),
    arrow(CONTROLLER, '-->>', PORTAL, 'VM provisioned'),
  ],
  ProvisionJobFailed: e =>
    withMessage(
      [arrow(AAP, '--x', CONTROLLER, `provision job${job(e)} failed`)],
      e,
      `${CONTROLLER},${AAP}`,
    ),
  ProvisionJobCanceled: e => [
    arrow(AAP, '-->>', CONTROLLER, `provision job${job(e)} canceled`),
  ],
  CancelRequested: e => [
    arrow(CONTROLLER, '->>', AAP, `cancel provision job${job(e)}`),
  ],
  DeprovisionJobSucceeded: e => [
    arrow(AAP, '-->>', CONTROLLER, `deprovision job${job(e)} successful`),
  ],
  DeprovisionJobFailed: e =>
    withMessage(
      [arrow(AAP, '--x', CONTROLLER, `deprovision job${job(e)} failed`)],
      e,
      `${CONTROLLER},${AAP}`,
    ),
  DeprovisionJobCanceled: e => [
    arrow(AAP, '--x', CONTROLLER, `deprovision job${job(e)} canceled`),
  ],
  FinalizerRemoved: () => [
    note(CONTROLLER, 'finalizer removed'),
    arrow(CONTROLLER, '-->>', PORTAL, 'instance deleted'),
  ],
  DeprovisionSkipped: e =>
    withMessage([note(CONTROLLER, 'deprovision skipped')], e, CONTROLLER),
  RestartApplied: () => [note(CONTROLLER, 'restart applied')],
  StatusPollFailed: e =>
    withMessage(
      [arrow(CONTROLLER, '-x', AAP, `poll job${job(e)} status failed`)],
      e,
      CONTROLLER,
    ),
  LaunchRateLimited: () => [
    arrow(AAP, '--x', CONTROLLER, 'rate limited, retry later'),
  ],
  TemplateNotFound: e =>
    withMessage(
      [arrow(AAP, '--x', CONTROLLER, 'job template not found')],
      e,
      CONTROLLER,
    ),
  AapAuthenticationFailed: () => [
    arrow(AAP, '--x', CONTROLLER, 'authentication failed, check the AAP token'),
  ],
  ConfigurationError: e => [
    note(CONTROLLER, `configuration error: ${detail(e)}`),
  ],
  LaunchFailed: e =>
    withMessage([arrow(CONTROLLER, '-x', AAP, 'launch failed')], e, CONTROLLER),
  LaunchOutcomeUnknown: () => [
    arrow(AAP, '--x', CONTROLLER, 'launch answer lost'),
    note(CONTROLLER, 'the intent stays: find the job by its launch id'),
  ],
  ProvisionJobAdopted: e => [
    arrow(CONTROLLER, '->>', AAP, 'find job by launch id'),
    arrow(AAP, '-->>', CONTROLLER, `provision job${job(e)} found, adopted`),
  ],
  DeprovisionJobAdopted: e => [
    arrow(CONTROLLER, '->>', AAP, 'find job by launch id'),
    arrow(AAP, '-->>', CONTROLLER, `deprovision job${job(e)} found, adopted`),
  ],
  LaunchRepeated: () => [
    note(CONTROLLER, 'AAP has no job for the launch id: launch again, same id'),
  ],
  LaunchAbandoned: e =>
    withMessage([note(CONTROLLER, 'launch abandoned')], e, CONTROLLER),
  CancelOutcomeUnknown: e => [
    arrow(AAP, '--x', CONTROLLER, `cancel answer for job${job(e)} lost`),
    note(CONTROLLER, 're-read the job before asking again'),
  ],
};

/**
 * Mermaid sequence diagram of what actually happened to one instance, between the portal, the
 * backend controller and AAP. Reasons it does not know become a note, so a newer backend never
 * breaks the diagram.
 */
export function historySequenceDiagram(input: HistoryDiagramInput): string {
  const lines = [
    'sequenceDiagram',
    `  participant ${PORTAL} as Portal (you)`,
    `  participant ${CONTROLLER} as Backend controller`,
    `  participant ${AAP} as AAP`,
  ];
  if (input.requestedAt) {
    lines.push(
      arrow(
        PORTAL,
        '->>',
        CONTROLLER,
        `request VM ${mermaidLabel(input.name)}`,
      ),
    );
  }
  for (const event of input.events) {
    const step = STEPS[event.reason];
    if (step) {
      lines.push(...step(event, input.name));
    } else {
      const text = event.message.trim()
        ? `${mermaidLabel(event.reason)}: ${detail(event)}`
        : mermaidLabel(event.reason);
      lines.push(note(CONTROLLER, text));
    }
  }
  if (
    input.deleted &&
    !input.events.some(e => e.reason === 'FinalizerRemoved')
  ) {
    lines.push(note(CONTROLLER, 'deprovisioning finished, record removed'));
    lines.push(arrow(CONTROLLER, '-->>', PORTAL, 'instance deleted'));
  }
  if (!input.requestedAt && input.events.length === 0 && !input.deleted) {
    lines.push(note(`${PORTAL},${AAP}`, 'nothing has happened yet'));
  }
  return `${lines.join('\n')}\n`;
}
