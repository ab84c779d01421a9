import { ProvisioningJob } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { decideDeprovision, DeprovisionDecision } from './decide';
import { assessDeletion, DeletionBlockInput } from './deletionBlock';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const MIN = 60_000;

const job = (p: Partial<ProvisioningJob>): ProvisioningJob => ({
  jobID: '42',
  type: 'provision',
  timestamp: new Date(T0 - MIN).toISOString(),
  state: 'Running',
  message: '',
  configVersion: 'v1',
  blockDeletionOnFailure: false,
  ...p,
});

const base = (
  decision: DeprovisionDecision,
  p: Partial<DeletionBlockInput> = {},
): DeletionBlockInput => ({
  decision,
  deletionRequestedAtMs: T0,
  nowMs: T0 + 20 * MIN,
  stuckAfterMs: 15 * MIN,
  nextCheckInMs: 10_000,
  cancelRequested: false,
  ...p,
});

const failedDeprovision = job({
  jobID: '43',
  type: 'deprovision',
  state: 'Failed',
  message: 'host unreachable',
  blockDeletionOnFailure: true,
});

describe('assessDeletion: why a deletion waits (DeletionBlocked)', () => {
  it.each<[string, DeletionBlockInput, string | undefined]>([
    [
      'failed blocking deprovision, at once',
      base(
        { action: 'backoff', job: failedDeprovision, retryInMs: 60_000 },
        { nowMs: T0 + MIN },
      ),
      'DeprovisionFailed',
    ],
    [
      'provision job canceling, before the deadline',
      base({ action: 'stopProvision', job: job({}) }, { nowMs: T0 + 5 * MIN }),
      undefined,
    ],
    [
      'provision job not ended after the deadline',
      base(
        { action: 'stopProvision', job: job({}) },
        { cancelRequested: true },
      ),
      'ProvisionJobNotTerminal',
    ],
    [
      'deprovision job running long',
      base({ action: 'poll', job: job({ jobID: '44', type: 'deprovision' }) }),
      'DeprovisionJobNotTerminal',
    ],
    [
      'EDA delete playbook silent',
      base({
        action: 'poll',
        job: job({
          jobID: 'eda-webhook-3',
          type: 'deprovision',
          state: 'Unknown',
        }),
      }),
      'PlaybookSilent',
    ],
    [
      'launch outcome unknown for long',
      base({
        action: 'resolveLaunch',
        job: job({
          jobID: 'intent:abc',
          launchID: 'abc',
          type: 'deprovision',
          state: 'Unknown',
        }),
      }),
      'LaunchOutcomeUnknown',
    ],
    [
      'AAP failing after the deadline, whatever the step',
      base(
        { action: 'trigger', reason: 'NoJob' },
        { aapTrouble: { sinceMs: T0, message: 'HTTP 502' } },
      ),
      'AapUnreachable',
    ],
    ['launching now', base({ action: 'trigger', reason: 'NoJob' }), undefined],
    [
      'done',
      base({ action: 'removeFinalizer', reason: 'Succeeded' }),
      undefined,
    ],
  ])('%s', (_label, input, reason) => {
    const block = assessDeletion(input);
    expect(block.blocked ? block.reason : undefined).toBe(reason);
  });

  it('names the next attempt of a failed deprovision, and stays the same while nothing changes', () => {
    const at = (nowMs: number) =>
      assessDeletion(
        base(
          {
            action: 'backoff',
            job: failedDeprovision,
            retryInMs: T0 + 10 * MIN - nowMs,
          },
          { nowMs },
        ),
      );
    const first = at(T0 + MIN);
    expect(first).toMatchObject({ blocked: true });
    expect(first.blocked && first.message).toContain(
      'next attempt at 2026-03-01T10:10:00.000Z',
    );
    expect(first.blocked && first.message).toContain('host unreachable');
    expect(at(T0 + 2 * MIN)).toEqual(first);
  });
});

describe('decideDeprovision: retry now', () => {
  const history = [
    job({ state: 'Succeeded' }),
    { ...failedDeprovision, timestamp: new Date(T0).toISOString() },
  ];
  it('skips the backoff for a request newer than the failed job, once', () => {
    expect(decideDeprovision(history, T0 + 1000).action).toBe('backoff');
    expect(decideDeprovision(history, T0 + 1000, undefined, T0 + 500)).toEqual({
      action: 'trigger',
      reason: 'RetryRequested',
    });
    // A request older than the latest job was already used up by it.
    expect(
      decideDeprovision(history, T0 + 1000, undefined, T0 - 500).action,
    ).toBe('backoff');
  });
});
