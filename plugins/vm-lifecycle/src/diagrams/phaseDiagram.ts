import { Phase } from '@vm-selfservice/plugin-vm-lifecycle-common';

/** Every phase of the resource, in the order a VM usually passes through them. */
export const PHASES: readonly Phase[] = [
  'Starting',
  'Running',
  'Stopping',
  'Stopped',
  'Paused',
  'Failed',
  'Deleting',
];

/**
 * The transitions the controller makes (phaseFor in the backend): the phase follows the latest
 * provision job and the run strategy; a deletion timestamp overrides everything.
 */
const TRANSITIONS: ReadonlyArray<[from: string, to: string, label: string]> = [
  ['[*]', 'Starting', 'VM requested'],
  ['Starting', 'Running', 'provision job succeeded'],
  ['Starting', 'Stopped', 'succeeded with run strategy Halted'],
  ['Starting', 'Failed', 'provision job failed'],
  ['Failed', 'Starting', 'retry after backoff or spec changed'],
  ['Running', 'Starting', 'spec changed or restart'],
  ['Running', 'Stopping', 'Stop'],
  ['Stopping', 'Stopped', 'job succeeded'],
  ['Stopped', 'Starting', 'Start'],
  ['Running', 'Paused', 'paused by the hypervisor'],
  ['Paused', 'Running', 'resumed'],
  ['Starting', 'Deleting', 'Delete: running job cancelled first'],
  ['Running', 'Deleting', 'Delete'],
  ['Stopped', 'Deleting', 'Delete'],
  ['Failed', 'Deleting', 'Delete'],
  ['Deleting', '[*]', 'deprovision succeeded, finalizer removed'],
];

/**
 * Mermaid text of the phase state machine, with `current` highlighted. Pure, so the diagram
 * an instance page shows is unit-tested without a browser.
 */
export function phaseStateDiagram(current?: Phase): string {
  const lines = ['stateDiagram-v2', '  direction LR'];
  for (const [from, to, label] of TRANSITIONS) {
    lines.push(`  ${from} --> ${to}: ${label}`);
  }
  lines.push(
    '  classDef current fill:#1565c0,color:#ffffff,stroke:#0d47a1,stroke-width:3px,font-weight:bold',
  );
  if (current && PHASES.includes(current)) {
    lines.push(`  class ${current} current`);
  }
  return `${lines.join('\n')}\n`;
}

/** The sentence screen readers get instead of the picture. */
export function phaseStateDescription(current?: Phase): string {
  const where = current
    ? `The instance is now in phase ${current}.`
    : 'The controller has not picked the instance up yet.';
  return `Phase state machine: a requested VM is Starting while its provision job runs, then Running (or Stopped with run strategy Halted), or Failed if the job fails. Delete moves any phase to Deleting, which ends when the deprovision job succeeded and the finalizer is removed. ${where}`;
}
