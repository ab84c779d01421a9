import {
  JOB_STATES,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { validateStatus } from './validateStatus';

const job = (
  overrides: Partial<Record<keyof ProvisioningJob | 'extra', unknown>> = {},
) => ({
  jobID: '1',
  type: 'provision',
  timestamp: '2025-06-01T10:00:00Z',
  state: 'Pending',
  message: '',
  configVersion: 'v1',
  blockDeletionOnFailure: false,
  ...overrides,
});

describe('validateStatus', () => {
  it('accepts an empty status and every job state the controller can write', () => {
    expect(() => validateStatus({})).not.toThrow();
    for (const state of JOB_STATES) {
      expect(() =>
        validateStatus({ provisioningJobs: [job({ state })] }),
      ).not.toThrow();
    }
    expect(JOB_STATES).toEqual(expect.arrayContaining(['Canceled', 'Unknown']));
  });

  it('names the offending field and the value found there', () => {
    expect(() =>
      validateStatus({
        provisioningJobs: [job(), job({ state: 'Cancelled' })],
      }),
    ).toThrow(
      'Invalid ComputeInstance status: status.provisioningJobs[1].state must be one of Pending, Waiting, Running, Succeeded, Failed, Canceled, Unknown (got "Cancelled")',
    );
    expect(() => validateStatus({ phase: 'running' })).toThrow(/status\.phase/);
    expect(() => validateStatus({ lastRestartedAt: '2025-06-01' })).toThrow(
      /status\.lastRestartedAt must be an RFC 3339 timestamp/,
    );
    expect(() => validateStatus(null)).toThrow(/status must be an object/);
    expect(() =>
      validateStatus({ provisioningJobs: [job({ extra: 1 })] }),
    ).toThrow(/status\.provisioningJobs\[0\]\.extra unknown field/);
  });

  it('applies the -common status schema, calendar included', () => {
    // The schema's RFC 3339 rule checks the calendar; the store's own copy used to accept this.
    expect(() =>
      validateStatus({
        provisioningJobs: [job({ timestamp: '2025-02-30T10:00:00Z' })],
      }),
    ).toThrow(/status\.provisioningJobs\[0\]\.timestamp/);
    expect(() =>
      validateStatus({ conditions: [{ type: 'Ready', status: 'True' }] }),
    ).toThrow(/status\.conditions\[0\]\.reason is required/);
  });

  it('throws an InputError (HTTP 400)', () => {
    expect(() => validateStatus({ phase: 'Nope' })).toThrow(
      expect.objectContaining({ name: 'InputError' }),
    );
  });
});
