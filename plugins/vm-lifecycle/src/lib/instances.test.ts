import { job, makeInstance } from '../__testUtils__/fixtures';
import {
  apiGroupOf,
  asDeleted,
  formatAge,
  formatDuration,
  latestJobOf,
  ownerOf,
  requestedByOf,
  runningProvisionJob,
  shortEntityRef,
} from './instances';

describe('instance helpers', () => {
  it('reads who requested and owns a VM under its own API group', () => {
    const instance = makeInstance('a', { owner: 'group:default/team-a' });
    expect(apiGroupOf(instance)).toBe('osac.openshift.io');
    expect(requestedByOf(instance)).toBe('user:default/guest');
    expect(ownerOf(instance)).toBe('group:default/team-a');

    const legacy = {
      ...instance,
      apiVersion: 'cloudkit.openshift.io/v1alpha1',
      metadata: {
        ...instance.metadata,
        annotations: { 'cloudkit.openshift.io/owner': 'group:default/b' },
      },
    };
    expect(ownerOf(legacy)).toBe('group:default/b');
  });

  it('shortens entity refs in the default namespace only', () => {
    expect(shortEntityRef('user:default/guest')).toBe('guest');
    expect(shortEntityRef('user:team-b/alice')).toBe('team-b/alice');
    expect(shortEntityRef(undefined)).toBe('');
  });

  it('finds the latest job by timestamp, not array order', () => {
    const instance = makeInstance('a', {
      jobs: [
        job({
          jobID: '2',
          type: 'deprovision',
          timestamp: '2026-01-01T10:05:00Z',
          state: 'Running',
        }),
        job({
          jobID: '1',
          timestamp: '2026-01-01T10:00:00Z',
          state: 'Canceled',
        }),
      ],
    });
    expect(latestJobOf(instance)?.jobID).toBe('2');
    expect(runningProvisionJob(instance)).toBeUndefined();
    expect(
      runningProvisionJob(
        makeInstance('b', { jobs: [job({ jobID: '3', state: 'Pending' })] }),
      )?.jobID,
    ).toBe('3');
  });

  it('formats ages and durations like kubectl', () => {
    const now = Date.parse('2026-01-02T12:00:00Z');
    expect(formatAge('2026-01-02T11:59:15Z', now)).toBe('45s');
    expect(formatAge('2026-01-02T11:48:00Z', now)).toBe('12m');
    expect(formatAge('2026-01-02T11:47:50Z', now)).toBe('12m');
    expect(formatAge('2026-01-01T09:00:00Z', now)).toBe('1d 3h');
    expect(formatDuration(80_000)).toBe('1m 20s');
    expect(formatDuration(2 * 3600_000 + 5 * 60_000)).toBe('2h 5m');
    expect(formatAge(undefined, now)).toBe('');
  });
});

describe('asDeleted', () => {
  it('completes a deprovision job the removal of the record proves successful', () => {
    const last = makeInstance('a', {
      phase: 'Deleting',
      jobs: [
        job({ jobID: '1', state: 'Canceled' }),
        job({
          jobID: '2',
          type: 'deprovision',
          state: 'Running',
          blockDeletionOnFailure: true,
          timestamp: '2026-01-01T10:01:00Z',
        }),
      ],
    });
    const jobs = asDeleted(last).status.provisioningJobs!;
    expect(jobs.map(j => j.state)).toEqual(['Canceled', 'Succeeded']);
  });

  it('claims nothing when the job could have failed without blocking the deletion', () => {
    const last = makeInstance('a', {
      jobs: [
        job({
          jobID: '2',
          type: 'deprovision',
          state: 'Running',
          blockDeletionOnFailure: false,
        }),
      ],
    });
    expect(asDeleted(last)).toBe(last);
  });
});
