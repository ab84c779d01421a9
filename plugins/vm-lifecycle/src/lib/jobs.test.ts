import { LifecycleEvent } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { job } from '../__testUtils__/fixtures';
import { hasAapJob, jobDurationMs, jobEndTime, jobLabel } from './jobs';

const events: LifecycleEvent[] = [
  {
    timestamp: '2026-01-01T10:00:05Z',
    type: 'Normal',
    reason: 'ProvisionJobLaunched',
    message: '',
    jobID: '12',
  },
  {
    timestamp: '2026-01-01T10:00:09Z',
    type: 'Normal',
    reason: 'JobStateChanged',
    message: '',
    jobID: '12',
  },
  {
    timestamp: '2026-01-01T10:00:25Z',
    type: 'Normal',
    reason: 'ProvisionJobCanceled',
    message: '',
    jobID: '12',
  },
];

describe('job durations', () => {
  it('measures a finished job from launch to the event that recorded its end', () => {
    const canceled = job({
      jobID: '12',
      state: 'Canceled',
      timestamp: '2026-01-01T10:00:05Z',
    });
    expect(jobEndTime(canceled, events)).toBe('2026-01-01T10:00:25Z');
    expect(jobDurationMs(canceled, events)).toBe(20_000);
  });

  it('measures a running job up to now', () => {
    const running = job({
      jobID: '13',
      state: 'Running',
      timestamp: '2026-01-01T10:00:05Z',
    });
    expect(
      jobDurationMs(running, events, Date.parse('2026-01-01T10:01:05Z')),
    ).toBe(60_000);
    expect(jobEndTime(running, events)).toBeUndefined();
  });

  it('has no duration for a finished job whose end was not recorded', () => {
    const done = job({ jobID: '99', state: 'Succeeded' });
    expect(jobDurationMs(done, events)).toBeUndefined();
  });

  it('labels a launch intent "launching…" (never a blank or internal id), and an abandoned one "not launched"', () => {
    const intent = job({ jobID: 'intent:u1-provision-ab12', state: 'Unknown' });
    expect(jobLabel(intent)).toBe('Provision job launching…');
    expect(hasAapJob(intent)).toBe(false);
    expect(jobLabel({ ...intent, state: 'Canceled' })).toBe(
      'Provision job not launched',
    );
    expect(hasAapJob(job({ jobID: '7' }))).toBe(true);
  });

  it('labels jobs by type and id', () => {
    expect(jobLabel(job({ jobID: '7' }))).toBe('Provision job 7');
    expect(jobLabel(job({ jobID: '8', type: 'deprovision' }))).toBe(
      'Deprovision job 8',
    );
  });
});
