import { useCallback, useEffect, useMemo, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  ComputeInstance,
  InstanceListQuery,
  formatInstanceListQuery,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../api';
import { LiveDataOptions, useLiveData } from './useLiveData';

/** The filters and sort of a paged list; the hook owns `limit` and `continue`. */
export type InstancePageQuery = Omit<InstanceListQuery, 'limit' | 'continue'>;

export interface InstancePages {
  /** The items of the current page (the previous page's while `pending`). */
  items?: ComputeInstance[];
  error?: Error;
  /** True until the first page answered. */
  loading: boolean;
  /** A page turn or a new filter is loading; `items` are the old ones. */
  pending: boolean;
  live: boolean;
  refresh: () => void;
  /** 0-based. */
  pageIndex: number;
  pageSize: number;
  /** Position of the first item of the page among all matches, 0-based. */
  offset: number;
  /** All matches, counted by the server when this page was served. */
  total?: number;
  hasPrevious: boolean;
  hasNext: boolean;
  previous: () => void;
  next: () => void;
}

interface Cursor {
  /** The query the tokens belong to; a new filter or sort starts at the first page. */
  queryKey: string;
  /** tokens[i] is the `continue` of page i (undefined for the first). */
  tokens: Array<string | undefined>;
  index: number;
}

/** A continue token the server no longer accepts (expired, or issued before a restart with a new secret). */
function isStaleContinue(error: unknown): boolean {
  const e = error as { response?: { status?: number }; message?: string };
  return (
    e?.response?.status === 400 && /\bcontinue\b/.test(String(e.message ?? ''))
  );
}

/**
 * Pages through GET /instances with the server's continue tokens: filters, sort and paging are
 * applied by the backend (and its permission conditions), so the browser only ever holds one
 * page. The current page stays live (refetched on a relevant signal, with the token it was
 * opened with); the way back is the list of tokens already seen.
 */
export function useInstancePages(
  query: InstancePageQuery,
  pageSize: number,
  options: Omit<LiveDataOptions, 'keepValueOnKeyChange'> = {},
): InstancePages {
  const api = useApi(vmLifecycleApiRef);
  const queryKey = formatInstanceListQuery({ ...query, limit: pageSize });
  const [stored, setCursor] = useState<Cursor>({
    queryKey,
    tokens: [undefined],
    index: 0,
  });
  const cursor: Cursor = useMemo(
    () =>
      stored.queryKey === queryKey
        ? stored
        : { queryKey, tokens: [undefined], index: 0 },
    [stored, queryKey],
  );
  const token = cursor.tokens[cursor.index];
  const data = useLiveData(
    `${queryKey}#${cursor.index}#${token ?? ''}`,
    () => api.listInstancePage({ ...query, limit: pageSize, continue: token }),
    { ...options, keepValueOnKeyChange: true },
  );
  const nextToken = data.pending ? undefined : data.value?.metadata.continue;

  const next = useCallback(() => {
    if (!nextToken) return;
    setCursor({
      queryKey: cursor.queryKey,
      tokens: [...cursor.tokens.slice(0, cursor.index + 1), nextToken],
      index: cursor.index + 1,
    });
  }, [cursor, nextToken]);
  const previous = useCallback(() => {
    if (cursor.index === 0) return;
    setCursor({ ...cursor, index: cursor.index - 1 });
  }, [cursor]);

  const emptyLaterPage =
    !data.pending && cursor.index > 0 && data.value?.items.length === 0;
  const staleToken = cursor.index > 0 && isStaleContinue(data.error);
  useEffect(() => {
    // The rows of this page were deleted meanwhile: step back rather than show an empty page.
    if (emptyLaterPage) previous();
  }, [emptyLaterPage, previous]);
  useEffect(() => {
    // A token outlived its time-to-live (a tab left open): start over at the first page.
    if (staleToken) setCursor({ queryKey, tokens: [undefined], index: 0 });
  }, [staleToken, queryKey]);

  const offset = cursor.index * pageSize;
  const page = data.value;
  return {
    items: page?.items,
    error: data.error,
    loading: data.loading,
    pending: data.pending,
    live: data.live,
    refresh: data.refresh,
    pageIndex: cursor.index,
    pageSize,
    offset,
    total: page
      ? offset + page.items.length + page.metadata.remainingItemCount
      : undefined,
    hasPrevious: cursor.index > 0,
    hasNext: Boolean(nextToken),
    previous,
    next,
  };
}
