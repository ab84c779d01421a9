import { ComputeInstanceStatus } from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  KubeVirtObject,
  applyKubeVirtStatus,
  kubeVirtIpAddress,
  kubeVirtPhase,
} from './kubevirtStatus';

const NOW = '2026-01-01T00:00:00.000Z';
const EARLIER = '2025-12-31T00:00:00.000Z';

const vm = (
  printableStatus?: string,
  spec: KubeVirtObject['spec'] = { runStrategy: 'Always' },
): KubeVirtObject => ({
  metadata: { name: 'web-1-abcde', namespace: 'team-a' },
  spec,
  status: printableStatus ? { printableStatus } : {},
});
const vmi = (phase: string, ip?: string, paused = false): KubeVirtObject => ({
  metadata: { name: 'web-1-abcde', namespace: 'team-a' },
  status: {
    phase,
    interfaces: ip ? [{ name: 'default' }, { name: 'nic', ipAddress: ip }] : [],
    conditions: paused ? [{ type: 'Paused', status: 'True' }] : [],
  },
});

describe('kubeVirtPhase / kubeVirtIpAddress', () => {
  it.each<
    [
      string,
      KubeVirtObject | undefined,
      KubeVirtObject | undefined,
      string | undefined,
    ]
  >([
    ['VM Running', vm('Running'), undefined, 'Running'],
    ['VM Migrating', vm('Migrating'), undefined, 'Running'],
    ['VM Stopped', vm('Stopped'), undefined, 'Stopped'],
    ['VM Stopping', vm('Stopping'), undefined, 'Stopping'],
    ['VM Provisioning', vm('Provisioning'), undefined, 'Starting'],
    ['VM Paused', vm('Paused'), undefined, 'Paused'],
    ['VM CrashLoopBackOff', vm('CrashLoopBackOff'), undefined, 'Failed'],
    ['VM ErrorUnschedulable', vm('ErrorUnschedulable'), undefined, 'Failed'],
    ['VMI Scheduling', vm(), vmi('Scheduling'), 'Starting'],
    ['VMI Running', vm(), vmi('Running'), 'Running'],
    ['VMI Running, paused', vm(), vmi('Running', undefined, true), 'Paused'],
    ['VMI Succeeded', vm(), vmi('Succeeded'), 'Stopped'],
    ['VMI Failed', vm(), vmi('Failed'), 'Failed'],
    [
      'a halted VM without VMI',
      vm(undefined, { runStrategy: 'Halted' }),
      undefined,
      'Stopped',
    ],
    ['a VM saying nothing yet', vm(), undefined, undefined],
    ['nothing', undefined, undefined, undefined],
  ])('%s -> %s', (_what, theVm, theVmi, phase) => {
    expect(kubeVirtPhase({ vm: theVm, vmi: theVmi })).toBe(phase);
  });

  it('takes the first interface that reports an IP', () => {
    expect(kubeVirtIpAddress({ vmi: vmi('Running', '10.0.0.7') })).toBe(
      '10.0.0.7',
    );
    expect(kubeVirtIpAddress({ vmi: vmi('Running') })).toBeUndefined();
  });
});

describe('applyKubeVirtStatus', () => {
  const ready = (status: 'True' | 'False', reason: string, time = EARLIER) => ({
    type: 'Ready' as const,
    status,
    reason,
    message: 'm',
    lastTransitionTime: time,
  });
  const running: ComputeInstanceStatus = {
    phase: 'Running',
    conditions: [
      {
        type: 'Provisioned',
        status: 'True',
        reason: 'x',
        message: 'x',
        lastTransitionTime: EARLIER,
      },
      ready('True', 'Running'),
    ],
    ipAddress: '10.9.9.9',
  };

  it('leaves the status alone without KubeVirt objects, and while deleting', () => {
    expect(applyKubeVirtStatus(running, undefined, {}, false, NOW)).toBe(
      running,
    );
    expect(
      applyKubeVirtStatus(running, undefined, { vm: vm('Stopped') }, true, NOW),
    ).toBe(running);
  });

  it('takes the IP from the VMI, and drops it when the VM has no VMI', () => {
    expect(
      applyKubeVirtStatus(
        running,
        undefined,
        { vm: vm('Running'), vmi: vmi('Running', '10.0.0.7') },
        false,
        NOW,
      ).ipAddress,
    ).toBe('10.0.0.7');
    expect(
      applyKubeVirtStatus(
        running,
        undefined,
        { vm: vm('Stopped') },
        false,
        NOW,
      ),
    ).not.toHaveProperty('ipAddress');
  });

  it('keeps the phase of the jobs while a job runs or after it failed', () => {
    for (const phase of ['Starting', 'Failed', 'Stopping'] as const) {
      expect(
        applyKubeVirtStatus(
          { ...running, phase },
          undefined,
          { vm: vm('Running'), vmi: vmi('Running', '10.0.0.7') },
          false,
          NOW,
        ).phase,
      ).toBe(phase);
    }
  });

  it("overrides a provisioned phase with KubeVirt's, with a Ready condition to match, in place", () => {
    const next = applyKubeVirtStatus(
      running,
      running,
      { vm: vm('Stopped') },
      false,
      NOW,
    );
    expect(next.phase).toBe('Stopped');
    expect(next.conditions!.map(c => c.type)).toEqual(['Provisioned', 'Ready']);
    expect(next.conditions![1]).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'Stopped',
      message: 'KubeVirt reports the VM as Stopped',
      lastTransitionTime: NOW,
    });
  });

  it('keeps the stored transition time, so the same observation writes the same status again', () => {
    const stored = applyKubeVirtStatus(
      running,
      running,
      { vm: vm('Stopped') },
      false,
      EARLIER,
    );
    // The controller recomputes Ready=True from the jobs; KubeVirt still says Stopped.
    const again = applyKubeVirtStatus(
      {
        ...running,
        conditions: [running.conditions![0], ready('True', 'Running', NOW)],
      },
      stored,
      { vm: vm('Stopped') },
      false,
      NOW,
    );
    expect(again).toEqual(stored);
  });
});
