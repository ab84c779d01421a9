import { ProvisioningJob } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { LaunchLookup } from '../providers/types';
import {
  decideDeprovision,
  decideLaunchResolution,
  decideProvision,
  LaunchResolutionInput,
} from './decide';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const V = 'v1';

function job(
  type: ProvisioningJob['type'],
  state: ProvisioningJob['state'],
  extra: Partial<ProvisioningJob> = {},
): ProvisioningJob {
  return {
    jobID: '42',
    type,
    timestamp: new Date(T0).toISOString(),
    state,
    message: '',
    configVersion: V,
    blockDeletionOnFailure: type === 'deprovision',
    ...extra,
  };
}
const intent = (
  type: ProvisioningJob['type'],
  state: ProvisioningJob['state'] = 'Pending',
) =>
  job(type, state, {
    jobID: `intent:u1-${type}-1`,
    launchID: `u1-${type}-1`,
  });

describe('decideProvision with launch intents', () => {
  it.each<[string, ProvisioningJob[], string]>([
    ['an intent just recorded', [intent('provision')], 'resolveLaunch'],
    [
      'an intent whose answer was lost',
      [intent('provision', 'Unknown')],
      'resolveLaunch',
    ],
    [
      'an intent abandoned (terminal), same config: retry after backoff',
      [intent('provision', 'Canceled')],
      'backoff',
    ],
    [
      'an adopted job (real id, launch id kept) is polled',
      [job('provision', 'Running', { launchID: 'u1-provision-1' })],
      'poll',
    ],
  ])('%s -> %s', (_name, jobs, action) => {
    expect(decideProvision(jobs, V, T0 + 1000).action).toBe(action);
  });
});

describe('decideDeprovision with launch intents', () => {
  it.each<[string, ProvisioningJob[], string]>([
    [
      'the provision launch is unresolved: resolve it before anything else',
      [intent('provision', 'Unknown')],
      'resolveLaunch',
    ],
    [
      'the provision intent was abandoned: deprovision',
      [intent('provision', 'Canceled')],
      'trigger',
    ],
    [
      'the deprovision launch is unresolved',
      [
        job('provision', 'Succeeded'),
        { ...intent('deprovision'), timestamp: new Date(T0 + 1).toISOString() },
      ],
      'resolveLaunch',
    ],
  ])('%s -> %s', (_name, jobs, action) => {
    expect(decideDeprovision(jobs, T0 + 1000).action).toBe(action);
  });
});

describe('decideLaunchResolution', () => {
  const found: LaunchLookup = {
    outcome: 'found',
    job: { jobID: '7', state: 'Running', message: '' },
    duplicates: [],
  };
  const absentAt = (ms: number): LaunchLookup => ({
    outcome: 'absent',
    checkedAt: ms,
  });
  const unsearchable: LaunchLookup = { outcome: 'unsearchable', reason: 'EDA' };
  const base = (
    over: Partial<LaunchResolutionInput>,
  ): LaunchResolutionInput => ({
    intent: intent('provision', 'Unknown'),
    lookup: found,
    unknownSinceMs: T0,
    settleMs: 60_000,
    nowMs: T0 + 1000,
    deleting: false,
    desiredConfigVersion: V,
    ...over,
  });

  it.each<[string, Partial<LaunchResolutionInput>, string]>([
    ['AAP has the job', {}, 'adopt'],
    ['AAP has the job, while deleting', { deleting: true }, 'adopt'],
    [
      'absent in a look-up before the settle time',
      { lookup: absentAt(T0 + 59_999), nowMs: T0 + 59_999 },
      'wait',
    ],
    [
      'absent in a look-up after the settle time',
      { lookup: absentAt(T0 + 60_000), nowMs: T0 + 60_000 },
      'relaunch',
    ],
    [
      'provably absent, but the VM is being deleted',
      { lookup: absentAt(T0 + 60_000), deleting: true },
      'abandon',
    ],
    [
      'provably absent, but the spec changed',
      { lookup: absentAt(T0 + 60_000), desiredConfigVersion: 'v2' },
      'abandon',
    ],
    [
      'a deprovision intent provably absent while deleting',
      {
        intent: intent('deprovision', 'Unknown'),
        lookup: absentAt(T0 + 60_000),
        deleting: true,
      },
      'relaunch',
    ],
    [
      'EDA (unsearchable): repeat with the same event id',
      { lookup: unsearchable },
      'relaunch',
    ],
    [
      'EDA provision while deleting, before the settle time',
      { lookup: unsearchable, deleting: true },
      'wait',
    ],
    [
      'EDA provision while deleting, after the settle time',
      { lookup: unsearchable, deleting: true, nowMs: T0 + 60_000 },
      'abandon',
    ],
  ])('%s -> %s', (_name, over, action) => {
    expect(decideLaunchResolution(base(over)).action).toBe(action);
  });

  it('waits exactly until the settle time has passed', () => {
    expect(
      decideLaunchResolution(
        base({ lookup: absentAt(T0 + 10_000), nowMs: T0 + 10_000 }),
      ),
    ).toEqual({ action: 'wait', retryInMs: 50_000 });
  });
});
