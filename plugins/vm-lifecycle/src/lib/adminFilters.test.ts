import { job, makeInstance } from '../__testUtils__/fixtures';
import {
  DEFAULT_ADMIN_FILTERS,
  filterInstances,
  isStuckDeleting,
  NO_OWNER,
  NO_PHASE,
  ownersOf,
} from './adminFilters';

const now = Date.parse('2026-01-01T12:00:00Z');
const a = makeInstance('a', {
  phase: 'Running',
  owner: 'group:default/team-a',
});
const b = makeInstance('b', {
  phase: 'Failed',
  jobs: [job({ jobID: '1', state: 'Failed' })],
});
const c = makeInstance('c', {
  phase: 'Deleting',
  deletionTimestamp: '2026-01-01T11:00:00Z',
});
const d = makeInstance('d', {});
const all = [a, b, c, d];
const names = (list: typeof all) => list.map(i => i.metadata.name);

describe('admin filters', () => {
  it('keeps everything by default', () => {
    expect(names(filterInstances(all, DEFAULT_ADMIN_FILTERS, now))).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
  });

  it('filters by phase, including instances without one yet', () => {
    expect(
      names(
        filterInstances(
          all,
          { ...DEFAULT_ADMIN_FILTERS, phase: 'Failed' },
          now,
        ),
      ),
    ).toEqual(['b']);
    expect(
      names(
        filterInstances(
          all,
          { ...DEFAULT_ADMIN_FILTERS, phase: NO_PHASE },
          now,
        ),
      ),
    ).toEqual(['d']);
  });

  it('filters by owner, including instances without one', () => {
    expect(
      names(
        filterInstances(
          all,
          { ...DEFAULT_ADMIN_FILTERS, owner: 'group:default/team-a' },
          now,
        ),
      ),
    ).toEqual(['a']);
    expect(
      names(
        filterInstances(
          all,
          { ...DEFAULT_ADMIN_FILTERS, owner: NO_OWNER },
          now,
        ),
      ),
    ).toEqual(['b', 'c', 'd']);
    expect(ownersOf(all)).toEqual(['group:default/team-a']);
  });

  it('finds failed jobs and instances stuck in Deleting beyond the threshold', () => {
    expect(
      names(
        filterInstances(
          all,
          { ...DEFAULT_ADMIN_FILTERS, failedJobs: true },
          now,
        ),
      ),
    ).toEqual(['b']);
    expect(isStuckDeleting(c, 59, now)).toBe(true);
    expect(isStuckDeleting(c, 61, now)).toBe(false);
    expect(isStuckDeleting(a, 0, now)).toBe(false);
    expect(
      names(
        filterInstances(
          all,
          { ...DEFAULT_ADMIN_FILTERS, stuckDeleting: true, stuckMinutes: 30 },
          now,
        ),
      ),
    ).toEqual(['c']);
  });
});
