import { ProvisioningJob } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { edaJobNumber, isEdaJobId, nextEdaJobId } from './edaJobId';
import { parseAapJobId } from './aapJobId';

const job = (jobID: string): ProvisioningJob => ({
  jobID,
  type: 'provision',
  timestamp: '2026-01-01T00:00:00Z',
  state: 'Succeeded',
  message: '',
  configVersion: 'v',
  blockDeletionOnFailure: false,
});

describe('EDA pseudo job ids', () => {
  it('is eda-webhook-1 for an empty history', () => {
    expect(nextEdaJobId(undefined)).toBe('eda-webhook-1');
    expect(nextEdaJobId([])).toBe('eda-webhook-1');
  });

  it('is the highest existing number + 1, whatever the order and other ids', () => {
    expect(
      nextEdaJobId([
        job('eda-webhook-7'),
        job('42'),
        job('eda-webhook-3'),
        job('workflow-9'),
      ]),
    ).toBe('eda-webhook-8');
  });

  it('tells EDA ids from AAP ids, and AAP Direct never parses an EDA id', () => {
    expect(isEdaJobId('eda-webhook-12')).toBe(true);
    expect(edaJobNumber('eda-webhook-12')).toBe(12);
    for (const id of [
      '12',
      'workflow-12',
      'eda-webhook-0',
      'eda-webhook-',
      'eda-webhook-1x',
      'EDA-WEBHOOK-1',
    ]) {
      expect(isEdaJobId(id)).toBe(false);
    }
    expect(parseAapJobId('eda-webhook-3')).toBeUndefined();
  });
});
