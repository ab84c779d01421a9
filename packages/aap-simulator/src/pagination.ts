import type { AwxPage } from './awxShapes';
import { detail, HttpError } from './http';

export const DEFAULT_PAGE_SIZE = 25;
/** AWX's MAX_PAGE_SIZE: a larger page_size is silently clamped, not rejected. */
export const MAX_PAGE_SIZE = 200;

/**
 * DRF page-number pagination as AWX configures it. `next`/`previous` keep the other query
 * parameters, because clients follow them verbatim.
 */
export function paginate<T>(
  items: T[],
  query: URLSearchParams,
  path: string,
): AwxPage<T> {
  const pageSize = parsePageSize(query.get('page_size'));
  const lastPage = Math.max(1, Math.ceil(items.length / pageSize));
  const rawPage = query.get('page');
  const page = rawPage === null ? 1 : Number(rawPage);
  if (!Number.isInteger(page) || page < 1 || page > lastPage) {
    throw new HttpError(404, detail('Invalid page.'));
  }
  const link = (target: number) => {
    const params = new URLSearchParams(query);
    params.set('page', String(target));
    return `${path}?${params.toString()}`;
  };
  return {
    count: items.length,
    next: page < lastPage ? link(page + 1) : null,
    previous: page > 1 ? link(page - 1) : null,
    results: items.slice((page - 1) * pageSize, page * pageSize),
  };
}

function parsePageSize(raw: string | null): number {
  const size = raw === null ? NaN : Number(raw);
  if (!Number.isInteger(size) || size < 1) return DEFAULT_PAGE_SIZE;
  return Math.min(size, MAX_PAGE_SIZE);
}
