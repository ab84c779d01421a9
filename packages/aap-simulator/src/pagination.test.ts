import { HttpError } from './http';
import { paginate } from './pagination';

const items = Array.from({ length: 30 }, (_, i) => i + 1);

describe('paginate', () => {
  it('uses 25 per page by default and keeps other query parameters in links', () => {
    const page = paginate(
      items,
      new URLSearchParams('id__in=1,2'),
      '/api/v2/unified_jobs/',
    );
    expect(page.results).toHaveLength(25);
    expect(page.next).toBe('/api/v2/unified_jobs/?id__in=1%2C2&page=2');
    expect(page.previous).toBeNull();
  });

  it('answers an empty first page for no items', () => {
    expect(paginate([], new URLSearchParams(), '/x/')).toEqual({
      count: 0,
      next: null,
      previous: null,
      results: [],
    });
  });

  it('rejects pages out of range like DRF', () => {
    for (const page of ['0', '3', 'abc']) {
      expect(() =>
        paginate(items, new URLSearchParams({ page, page_size: '20' }), '/x/'),
      ).toThrow(HttpError);
    }
  });

  it('falls back to the default size for a nonsense page_size', () => {
    expect(
      paginate(items, new URLSearchParams('page_size=-3'), '/x/').results,
    ).toHaveLength(25);
  });
});
