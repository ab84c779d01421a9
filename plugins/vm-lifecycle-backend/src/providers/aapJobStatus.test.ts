import {
  foreignJobStatus,
  jobStatusFromAap,
  purgedJobStatus,
} from './aapJobStatus';

const job = { id: 42, kind: 'job' as const };
const workflow = { id: 7, kind: 'workflow' as const };

describe('jobStatusFromAap', () => {
  it.each([
    ['new', 'Pending', 'AAP job 42 is pending'],
    ['pending', 'Pending', 'AAP job 42 is pending'],
    ['waiting', 'Waiting', 'AAP job 42 is waiting for capacity'],
    ['running', 'Running', 'AAP job 42 is running'],
    ['successful', 'Succeeded', 'AAP job 42 succeeded'],
    ['canceled', 'Canceled', 'AAP job 42 was canceled'],
  ])('maps %p to %p', (status, state, message) => {
    expect(jobStatusFromAap(job, { status })).toEqual({ state, message });
  });

  it('carries the traceback of a failed job', () => {
    expect(
      jobStatusFromAap(job, {
        status: 'failed',
        result_traceback: 'Traceback: boom',
        job_explanation: 'x',
      }),
    ).toEqual({
      state: 'Failed',
      message: 'AAP job 42 failed: Traceback: boom',
    });
  });

  it('falls back to job_explanation, and to a hint when AAP gives neither', () => {
    expect(
      jobStatusFromAap(job, {
        status: 'error',
        job_explanation: 'Previous Task Failed',
      }).message,
    ).toBe('AAP job 42 failed: Previous Task Failed');
    expect(jobStatusFromAap(job, { status: 'failed' }).message).toMatch(
      /see the job output/,
    );
  });

  it('keeps the tail of a huge traceback', () => {
    const traceback = `${'x'.repeat(10_000)}THE CAUSE`;
    const { message } = jobStatusFromAap(job, {
      status: 'failed',
      result_traceback: traceback,
    });
    expect(message.length).toBeLessThan(2100);
    expect(message).toMatch(/THE CAUSE$/);
  });

  it('names workflow jobs as such', () => {
    expect(jobStatusFromAap(workflow, { status: 'running' }).message).toBe(
      'AAP workflow job 7 is running',
    );
  });

  it('keeps polling a status it does not know', () => {
    expect(jobStatusFromAap(job, { status: 'reticulating' })).toEqual({
      state: 'Unknown',
      message: expect.stringContaining('"reticulating"'),
    });
  });
});

describe('purged and foreign jobs', () => {
  it('reports a purged job as terminal Failed', () => {
    expect(purgedJobStatus(job)).toEqual({
      state: 'Failed',
      message: expect.stringMatching(/AAP job 42 no longer exists.*purged/),
    });
  });

  it('reports an id it did not issue as terminal Failed', () => {
    expect(foreignJobStatus('eda-webhook-3')).toEqual({
      state: 'Failed',
      message: expect.stringContaining('eda-webhook-3'),
    });
  });
});
