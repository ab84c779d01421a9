import {
  JobState,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  BackoffPolicy,
  decideAfterCancel,
  decideAfterRefusedCancel,
  decideDeprovision,
  decideProvision,
  decideStopProvision,
} from './decide';

/*
 * DOMAIN.md section 4 as tables: one row per rule of the reconcile algorithm. Times are minutes
 * after T0; the backoff is the default 2 min base, doubling, 30 min cap.
 */
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const MIN = 60_000;
const POLICY: BackoffPolicy = { baseMs: 2 * MIN, maxMs: 30 * MIN };

type J = [
  type: ProvisioningJob['type'],
  state: JobState,
  atMin: number,
  version?: string,
  block?: boolean,
];

function jobs(rows: J[]): ProvisioningJob[] {
  return rows.map(([type, state, atMin, version = 'A', block], i) => ({
    jobID: String(i + 1),
    type,
    timestamp: new Date(T0 + atMin * MIN).toISOString(),
    state,
    message: '',
    configVersion: version,
    blockDeletionOnFailure: block ?? type === 'deprovision',
  }));
}

describe('decideProvision: create / update (DOMAIN.md 4, create step 2)', () => {
  it.each<[string, J[], string, number, string]>([
    // rule                                                       history                                          desired now  action
    ['no provision job -> trigger', [], 'A', 0, 'trigger:NoJob'],
    ['non-terminal -> poll', [['provision', 'Running', 0]], 'A', 1, 'poll'],
    [
      'Pending is non-terminal -> poll',
      [['provision', 'Pending', 0]],
      'A',
      1,
      'poll',
    ],
    [
      'Unknown is non-terminal -> poll',
      [['provision', 'Unknown', 0]],
      'A',
      1,
      'poll',
    ],
    [
      'succeeded, same version -> nothing to do',
      [['provision', 'Succeeded', 0]],
      'A',
      1,
      'skip',
    ],
    [
      'failed, same version, within 2 min -> backoff',
      [['provision', 'Failed', 0]],
      'A',
      1,
      'backoff',
    ],
    [
      'failed, same version, after 2 min -> retry',
      [['provision', 'Failed', 0]],
      'A',
      2,
      'trigger:RetryAfterFailure',
    ],
    [
      'canceled counts as failed for the backoff',
      [['provision', 'Canceled', 0]],
      'A',
      1,
      'backoff',
    ],
    [
      'second failure doubles the backoff (4 min)',
      [
        ['provision', 'Failed', 0],
        ['provision', 'Failed', 2],
      ],
      'A',
      5,
      'backoff',
    ],
    [
      '... and retries after it',
      [
        ['provision', 'Failed', 0],
        ['provision', 'Failed', 2],
      ],
      'A',
      6,
      'trigger:RetryAfterFailure',
    ],
    [
      'succeeded with another version (spec changed) -> trigger',
      [['provision', 'Succeeded', 0]],
      'B',
      1,
      'trigger:ConfigChanged',
    ],
    [
      'failed with another version -> trigger at once',
      [['provision', 'Failed', 0]],
      'B',
      0,
      'trigger:ConfigChanged',
    ],
    [
      'A -> B -> A: not applied until the latest job matches',
      [
        ['provision', 'Succeeded', 0, 'A'],
        ['provision', 'Succeeded', 1, 'B'],
      ],
      'A',
      2,
      'trigger:ConfigChanged',
    ],
    [
      'latest is chosen by timestamp, not array order',
      [
        ['provision', 'Running', 5],
        ['provision', 'Succeeded', 1],
      ],
      'A',
      6,
      'poll',
    ],
    [
      'deprovision jobs are not provision history',
      [['deprovision', 'Running', 0]],
      'A',
      1,
      'trigger:NoJob',
    ],
  ])('%s', (_rule, history, desired, nowMin, expected) => {
    const d = decideProvision(
      jobs(history),
      desired,
      T0 + nowMin * MIN,
      POLICY,
    );
    expect(d.action === 'trigger' ? `trigger:${d.reason}` : d.action).toBe(
      expected,
    );
  });

  it('the backoff is capped at 30 min', () => {
    const many: J[] = Array.from({ length: 12 }, (_, i) => [
      'provision',
      'Failed',
      i,
    ]);
    const d = decideProvision(jobs(many), 'A', T0 + 12 * MIN, POLICY);
    expect(d).toMatchObject({
      action: 'backoff',
      retryInMs: 30 * MIN - 1 * MIN,
    });
  });
});

describe('decideDeprovision: delete (DOMAIN.md 4, delete steps 2-4)', () => {
  it.each<[string, J[], number, string]>([
    [
      'provision job non-terminal -> read it live, cancel if it runs',
      [['provision', 'Running', 0]],
      1,
      'stopProvision',
    ],
    [
      'provision job Unknown is non-terminal too',
      [['provision', 'Unknown', 0]],
      1,
      'stopProvision',
    ],
    [
      'provision terminal, no deprovision -> launch one',
      [['provision', 'Canceled', 0]],
      1,
      'trigger:NoJob',
    ],
    ['no provision job at all -> launch one', [], 1, 'trigger:NoJob'],
    [
      'deprovision non-terminal -> poll',
      [
        ['provision', 'Succeeded', 0],
        ['deprovision', 'Running', 1],
      ],
      2,
      'poll',
    ],
    [
      'deprovision succeeded -> remove the finalizer',
      [
        ['provision', 'Succeeded', 0],
        ['deprovision', 'Succeeded', 1],
      ],
      2,
      'removeFinalizer:Succeeded',
    ],
    [
      'deprovision failed, blocking, within backoff -> keep the record',
      [
        ['provision', 'Succeeded', 0],
        ['deprovision', 'Failed', 1],
      ],
      2,
      'backoff',
    ],
    [
      'deprovision failed, blocking, after backoff -> one new deprovision job',
      [
        ['provision', 'Succeeded', 0],
        ['deprovision', 'Failed', 1],
      ],
      3,
      'trigger:RetryAfterFailure',
    ],
    [
      'deprovision canceled, blocking -> backoff too',
      [
        ['provision', 'Succeeded', 0],
        ['deprovision', 'Canceled', 1],
      ],
      2,
      'backoff',
    ],
    [
      'deprovision failed without block -> remove the finalizer',
      [
        ['provision', 'Succeeded', 0],
        ['deprovision', 'Failed', 1, 'A', false],
      ],
      2,
      'removeFinalizer:FailedWithoutBlock',
    ],
    [
      'a later provision job still running blocks deprovisioning',
      [
        ['deprovision', 'Failed', 0],
        ['provision', 'Running', 1],
      ],
      2,
      'stopProvision',
    ],
  ])('%s', (_rule, history, nowMin, expected) => {
    const d = decideDeprovision(jobs(history), T0 + nowMin * MIN, POLICY);
    let label: string = d.action;
    if (d.action === 'trigger') label = `trigger:${d.reason}`;
    if (d.action === 'removeFinalizer') label = `removeFinalizer:${d.reason}`;
    expect(label).toBe(expected);
  });
});

describe('stopping the provision job on delete (DOMAIN.md 4, delete step 2)', () => {
  it.each<[JobState, boolean, string]>([
    ['Running', false, 'cancel'],
    ['Pending', false, 'cancel'],
    ['Waiting', false, 'cancel'],
    ['Unknown', false, 'cancel'],
    ['Running', true, 'waitForCancel'],
    ['Succeeded', false, 'recordEnded'],
    ['Failed', true, 'recordEnded'],
    ['Canceled', true, 'recordEnded'],
  ])(
    'live state %s, cancel accepted before: %s -> %s',
    (live, accepted, action) => {
      expect(decideStopProvision(live, accepted).action).toBe(action);
    },
  );

  it.each<[Parameters<typeof decideAfterCancel>[0], string]>([
    ['cancelRequested', 'waitForCancel'],
    ['alreadyFinished', 'confirmEnded'],
    ['notFound', 'confirmEnded'],
    ['notSupported', 'waitForEnd'],
    ['failed', 'readAgain'],
  ])('cancel answered %s -> %s', (answer, action) => {
    expect(decideAfterCancel(answer).action).toBe(action);
  });

  it.each<[JobState | 'unreadable', string]>([
    ['Succeeded', 'recordEnded'],
    ['Failed', 'recordEnded'],
    ['Canceled', 'recordEnded'],
    ['Running', 'waitForEnd'],
    ['Unknown', 'waitForEnd'],
    ['unreadable', 'waitForEnd'],
  ])(
    'after a refused cancel, a read showing %s -> %s (never an invented state)',
    (read, action) => {
      expect(decideAfterRefusedCancel(read).action).toBe(action);
    },
  );
});
