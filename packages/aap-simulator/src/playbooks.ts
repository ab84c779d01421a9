import type { TemplateAction } from './types';

/** What a task does besides printing: the inventory effects happen when the task completes. */
export type TaskEffect = 'validateRequest' | 'createVm' | 'deleteVm';

export interface TaskDefinition {
  name: string;
  /** Share of the job's run time; the slow tasks are the ones a person can catch mid-flight. */
  weight: number;
  /** The module AWX reports as `task_action` in job events. */
  module: string;
  effect?: TaskEffect;
}

export interface PlaybookDefinition {
  playbook: string;
  play: string;
  tasks: TaskDefinition[];
}

export const PLAYBOOKS: Record<TemplateAction, PlaybookDefinition> = {
  provision: {
    playbook: 'playbooks/create_compute_instance.yml',
    play: 'Create compute instance',
    tasks: [
      {
        name: 'Validate request',
        weight: 1,
        module: 'ansible.builtin.assert',
        effect: 'validateRequest',
      },
      {
        name: 'Allocate resources',
        weight: 2,
        module: 'ansible.builtin.set_fact',
      },
      {
        name: 'Create VM',
        weight: 3,
        module: 'kubevirt.core.kubevirt_vm',
        effect: 'createVm',
      },
      {
        name: 'Wait for VM to boot',
        weight: 3,
        module: 'kubevirt.core.kubevirt_vm_info',
      },
      { name: 'Configure guest', weight: 1, module: 'ansible.builtin.command' },
    ],
  },
  deprovision: {
    playbook: 'playbooks/delete_compute_instance.yml',
    play: 'Delete compute instance',
    tasks: [
      {
        name: 'Validate request',
        weight: 1,
        module: 'ansible.builtin.assert',
        effect: 'validateRequest',
      },
      { name: 'Stop VM', weight: 2, module: 'kubevirt.core.kubevirt_vm' },
      {
        name: 'Delete VM',
        weight: 3,
        module: 'kubevirt.core.kubevirt_vm',
        effect: 'deleteVm',
      },
      {
        name: 'Release resources',
        weight: 1,
        module: 'ansible.builtin.set_fact',
      },
    ],
  },
  noop: {
    playbook: 'playbooks/noop.yml',
    play: 'No-op',
    tasks: [{ name: 'Report', weight: 1, module: 'ansible.builtin.debug' }],
  },
};

/** Splits the run time over the tasks by weight; rounding drift goes to the last task. */
export function taskDurations(
  playbook: PlaybookDefinition,
  runningMs: number,
): number[] {
  const total = playbook.tasks.reduce((sum, t) => sum + t.weight, 0);
  const durations = playbook.tasks.map(t =>
    Math.floor((runningMs * t.weight) / total),
  );
  const drift = runningMs - durations.reduce((sum, d) => sum + d, 0);
  durations[durations.length - 1] += drift;
  return durations;
}

export const HOST = 'localhost';

/** Ansible pads play/task banners with stars to 80 columns; clients that grep stdout expect it. */
function banner(text: string): string {
  return `${text} ${'*'.repeat(Math.max(3, 79 - text.length))}`;
}

/*
 * Ansible colours its output, and AWX stores the colours in the job events' stdout: the
 * `format=ansi` output keeps them, `format=txt` strips them (as AWX's stdout view does).
 */
const GREEN = '\u001b[0;32m';
const YELLOW = '\u001b[0;33m';
const RED = '\u001b[0;31m';
const RESET = '\u001b[0m';
const paint = (colour: string, text: string) => `${colour}${text}${RESET}`;

/** The host's colour in the recap: red with failures, yellow with changes, else green. */
function recapColour(stats: { changed: number; failures: number }): string {
  if (stats.failures) return RED;
  return stats.changed ? YELLOW : GREEN;
}

/** Colour codes (SGR sequences) out of Ansible output. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

export const ansibleOutput = {
  playStart: (play: string) => `\n${banner(`PLAY [${play}]`)}`,
  taskStart: (task: string) => `\n${banner(`TASK [${task}]`)}`,
  ok: (changed: boolean, msg?: string) =>
    paint(
      changed ? YELLOW : GREEN,
      `${changed ? 'changed' : 'ok'}: [${HOST}]${msg ? ` => {\n    "msg": ${JSON.stringify(msg)}\n}` : ''}`,
    ),
  failed: (msg: string) =>
    paint(
      RED,
      `fatal: [${HOST}]: FAILED! => {"changed": false, "msg": ${JSON.stringify(msg)}}`,
    ),
  noMoreHosts: () => `\n${paint(RED, banner('NO MORE HOSTS LEFT'))}`,
  interrupted: () => paint(RED, '[ERROR]: User interrupted execution'),
  recap: (stats: { ok: number; changed: number; failures: number }) =>
    `\n${banner('PLAY RECAP')}\n${paint(recapColour(stats), HOST.padEnd(27))}: ${paint(GREEN, `ok=${String(stats.ok).padEnd(4)}`)} ${paint(
      YELLOW,
      `changed=${String(stats.changed).padEnd(4)}`,
    )} unreachable=0    ${
      stats.failures
        ? paint(RED, `failed=${String(stats.failures).padEnd(4)}`)
        : `failed=${String(stats.failures).padEnd(4)}`
    } skipped=0    rescued=0    ignored=0   `,
};

/** Messages for injected task failures, worded like real module errors so logs read plausibly. */
export function simulatedFailureMessage(task: TaskDefinition): string {
  switch (task.effect) {
    case 'createVm':
      return 'Failed to create VirtualMachine: admission webhook "virtualmachine-validator.kubevirt.io" denied the request (simulated failure)';
    case 'deleteVm':
      return 'Failed to delete VirtualMachine: the server is currently unable to handle the request (simulated failure)';
    default:
      return `Task "${task.name}" failed: simulated failure injected by jobFailureRate`;
  }
}
