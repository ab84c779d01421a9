import { makeInstance } from '../__testUtils__/fixtures';
import {
  DEFAULT_ADMIN_FILTERS,
  NO_PHASE,
  adminQuery,
  deletingForMs,
  toOwnerRef,
} from './adminFilters';

describe('admin filters as a server query', () => {
  it('asks for everything, newest first, by default', () => {
    expect(adminQuery(DEFAULT_ADMIN_FILTERS)).toEqual({
      sort: 'creationTimestamp',
      order: 'desc',
    });
  });

  it('turns every filter into its parameter', () => {
    expect(
      adminQuery({
        ...DEFAULT_ADMIN_FILTERS,
        phase: NO_PHASE,
        owner: 'team-a',
        failedJobs: true,
        stuckDeleting: true,
        stuckMinutes: 45.7,
        search: 'web',
        sort: { sort: 'name', order: 'asc' },
      }),
    ).toEqual({
      phase: 'None',
      owner: 'group:default/team-a',
      failedJobs: true,
      stuckDeletingMinutes: 45,
      search: 'web',
      sort: 'name',
      order: 'asc',
    });
  });

  it('leaves out the minutes unless "stuck in Deleting" is ticked', () => {
    expect(
      adminQuery({ ...DEFAULT_ADMIN_FILTERS, stuckMinutes: 5 }),
    ).not.toHaveProperty('stuckDeletingMinutes');
  });

  it('reads owners the way people type them', () => {
    expect(toOwnerRef('team-a')).toBe('group:default/team-a');
    expect(toOwnerRef(' user:alice ')).toBe('user:default/alice');
    expect(toOwnerRef('Component:shop/web')).toBe('component:shop/web');
    expect(toOwnerRef('group:default/team-b')).toBe('group:default/team-b');
    expect(toOwnerRef('')).toBe('');
    expect(toOwnerRef('a:b:c')).toBe('');
    expect(toOwnerRef('two words')).toBe('');
  });

  it('measures how long a deletion has been waiting', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(
      deletingForMs(
        makeInstance('c', { deletionTimestamp: '2026-01-01T11:00:00Z' }),
        now,
      ),
    ).toBe(3_600_000);
    expect(deletingForMs(makeInstance('d', {}), now)).toBeUndefined();
  });
});
