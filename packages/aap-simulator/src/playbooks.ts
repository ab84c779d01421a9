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

export const ansibleOutput = {
  playStart: (play: string) => `\n${banner(`PLAY [${play}]`)}`,
  taskStart: (task: string) => `\n${banner(`TASK [${task}]`)}`,
  ok: (changed: boolean, msg?: string) =>
    `${changed ? 'changed' : 'ok'}: [${HOST}]${msg ? ` => {\n    "msg": ${JSON.stringify(msg)}\n}` : ''}`,
  failed: (msg: string) =>
    `fatal: [${HOST}]: FAILED! => {"changed": false, "msg": ${JSON.stringify(msg)}}`,
  noMoreHosts: () => `\n${banner('NO MORE HOSTS LEFT')}`,
  interrupted: () => '[ERROR]: User interrupted execution',
  recap: (stats: { ok: number; changed: number; failures: number }) =>
    `\n${banner('PLAY RECAP')}\n${HOST.padEnd(27)}: ok=${String(stats.ok).padEnd(4)} changed=${String(
      stats.changed,
    ).padEnd(
      4,
    )} unreachable=0    failed=${String(stats.failures).padEnd(4)} skipped=0    rescued=0    ignored=0   `,
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
