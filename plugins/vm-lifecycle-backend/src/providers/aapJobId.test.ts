import { formatAapJobId, parseAapJobId } from './aapJobId';

describe('AAP job ids', () => {
  it('keeps plain jobs as the bare number, as the OSAC operator records them', () => {
    expect(formatAapJobId({ id: 42, kind: 'job' })).toBe('42');
    expect(parseAapJobId('42')).toEqual({ id: 42, kind: 'job' });
  });

  it('marks workflow jobs so they are polled at workflow_jobs/', () => {
    expect(formatAapJobId({ id: 42, kind: 'workflow' })).toBe('workflow-42');
    expect(parseAapJobId('workflow-42')).toEqual({ id: 42, kind: 'workflow' });
  });

  it.each([
    'eda-webhook-1',
    '',
    '0',
    '-3',
    '4.2',
    'workflow-',
    'job-42',
    '042',
    '99999999999999999',
  ])('rejects %p as not issued by AAP Direct', jobID => {
    expect(parseAapJobId(jobID)).toBeUndefined();
  });
});
