import {
  ComputeInstanceStatus,
  Phase,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { setCondition } from '../../controller/status';

/*
 * How a ComputeInstance's phase and IP follow its KubeVirt VirtualMachine and VirtualMachineInstance.
 * Pure functions: the observer feeds them the objects, the status store applies the result.
 */

export interface KubeVirtObject {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    creationTimestamp?: string;
  };
  spec?: { runStrategy?: string; running?: boolean };
  status?: {
    printableStatus?: string;
    phase?: string;
    interfaces?: Array<{ ipAddress?: string; name?: string }>;
    conditions?: Array<{ type?: string; status?: string }>;
  };
}

export interface KubeVirtObservation {
  vm?: KubeVirtObject;
  vmi?: KubeVirtObject;
}

const PRINTABLE_STATUS: Record<string, Phase> = {
  Running: 'Running',
  Migrating: 'Running',
  Stopped: 'Stopped',
  Stopping: 'Stopping',
  Terminating: 'Stopping',
  Starting: 'Starting',
  Provisioning: 'Starting',
  WaitingForVolumeBinding: 'Starting',
  Paused: 'Paused',
  CrashLoopBackOff: 'Failed',
  ErrorUnschedulable: 'Failed',
  ErrImagePull: 'Failed',
  ImagePullBackOff: 'Failed',
  ErrorPvcNotFound: 'Failed',
  ErrorDataVolumeNotFound: 'Failed',
  DataVolumeError: 'Failed',
};

/** The phase KubeVirt reports: the VM's printableStatus, else the VMI's phase; undefined when it says nothing. */
export function kubeVirtPhase({
  vm,
  vmi,
}: KubeVirtObservation): Phase | undefined {
  const printable = vm?.status?.printableStatus;
  if (printable && PRINTABLE_STATUS[printable])
    return PRINTABLE_STATUS[printable];
  switch (vmi?.status?.phase) {
    case 'Pending':
    case 'Scheduling':
    case 'Scheduled':
      return 'Starting';
    case 'Running':
      return vmi.status.conditions?.some(
        c => c.type === 'Paused' && c.status === 'True',
      )
        ? 'Paused'
        : 'Running';
    case 'Succeeded':
      return 'Stopped';
    case 'Failed':
      return 'Failed';
    default:
      break;
  }
  if (
    vm &&
    !vmi &&
    (vm.spec?.runStrategy === 'Halted' || vm.spec?.running === false)
  ) {
    return 'Stopped';
  }
  return undefined;
}

/** The guest's IP: the first interface of the VMI that reports one. */
export function kubeVirtIpAddress({
  vmi,
}: KubeVirtObservation): string | undefined {
  return vmi?.status?.interfaces?.find(i => i.ipAddress)?.ipAddress;
}

/**
 * The status to write, given the one the controller computed and what KubeVirt reports.
 * - Deleting, or no VM/VMI: the controller's status as is (phase from the jobs).
 * - The IP comes from the VMI; a VM without a running VMI has none.
 * - The phase is KubeVirt's once the controller considers the VM provisioned (Running/Stopped):
 *   while a job runs or after it failed, the job history knows better than the hypervisor.
 * The Ready condition follows an overridden phase, keeping the stored transition time when its
 * status does not change, so a status that already says the same is not rewritten.
 */
export function applyKubeVirtStatus(
  next: ComputeInstanceStatus,
  stored: ComputeInstanceStatus | undefined,
  observation: KubeVirtObservation,
  deleting: boolean,
  now: string,
): ComputeInstanceStatus {
  if (deleting || (!observation.vm && !observation.vmi)) return next;
  const result: ComputeInstanceStatus = { ...next };
  const ip = kubeVirtIpAddress(observation);
  if (ip) result.ipAddress = ip;
  else delete result.ipAddress;
  const phase = kubeVirtPhase(observation);
  if (
    !phase ||
    (next.phase !== 'Running' && next.phase !== 'Stopped') ||
    phase === next.phase
  ) {
    return result;
  }
  result.phase = phase;
  const ready = phase === 'Running' ? 'True' : 'False';
  const reported =
    observation.vm?.status?.printableStatus ??
    observation.vmi?.status?.phase ??
    phase;
  const storedReady = stored?.conditions?.filter(c => c.type === 'Ready');
  const [readyCondition] = setCondition(
    storedReady,
    'Ready',
    ready,
    phase,
    `KubeVirt reports the VM as ${reported}`,
    now,
  );
  const conditions = next.conditions ?? [];
  result.conditions = conditions.some(c => c.type === 'Ready')
    ? conditions.map(c => (c.type === 'Ready' ? readyCondition : c))
    : [...conditions, readyCondition];
  return result;
}
