import { isTerminalJobState, isSuccessfulJobState, jobStateFromAapStatus, JOB_STATES, latestJob } from './jobState';
import { ProvisioningJob } from './types';

describe('jobStateFromAapStatus', () => {
  it.each([
    ['new', 'Pending'],
    ['pending', 'Pending'],
    ['waiting', 'Waiting'],
    ['running', 'Running'],
    ['successful', 'Succeeded'],
    ['failed', 'Failed'],
    ['error', 'Failed'],
    ['canceled', 'Canceled'],
    ['never-heard-of-it', 'Unknown'],
    [undefined, 'Unknown'],
  ])('maps AAP status %p to %s', (status, state) => {
    expect(jobStateFromAapStatus(status)).toBe(state);
  });
});

describe('terminal states', () => {
  it('only Succeeded, Failed and Canceled are terminal; Unknown keeps polling', () => {
    expect(JOB_STATES.filter(isTerminalJobState)).toEqual(['Succeeded', 'Failed', 'Canceled']);
    expect(isTerminalJobState('Unknown')).toBe(false);
  });

  it('only Succeeded is successful', () => {
    expect(JOB_STATES.filter(isSuccessfulJobState)).toEqual(['Succeeded']);
  });
});

describe('latestJob', () => {
  const job = (jobID: string, type: ProvisioningJob['type'], timestamp: string): ProvisioningJob => ({
    jobID, type, timestamp, state: 'Succeeded', message: '', configVersion: 'v', blockDeletionOnFailure: false,
  });

  it('picks the greatest timestamp of the type, not the last entry', () => {
    const jobs = [
      job('3', 'provision', '2026-01-01T00:03:00Z'),
      job('1', 'provision', '2026-01-01T00:01:00Z'),
      job('9', 'deprovision', '2026-01-01T00:09:00Z'),
      job('2', 'provision', '2026-01-01T00:02:00Z'),
    ];
    expect(latestJob(jobs, 'provision')?.jobID).toBe('3');
    expect(latestJob(jobs, 'deprovision')?.jobID).toBe('9');
    expect(latestJob([], 'provision')).toBeUndefined();
    expect(latestJob(undefined, 'provision')).toBeUndefined();
  });
});
