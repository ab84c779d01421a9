import { useCallback, useEffect, useRef, useState } from 'react';
import useInterval from 'react-use/esm/useInterval';
import { useSignal } from '@backstage/plugin-signals-react';
import {
  InstanceSignal,
  SIGNAL_CHANNEL,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/** Polling when no signal API is installed: slow, the page still converges. */
export const FALLBACK_POLL_MS = 15_000;
/** With signals: an occasional resync heals a signal missed while the socket reconnected. */
export const RESYNC_POLL_MS = 60_000;
/** Signals of one change arrive in bursts (status, then phase); one refetch covers them. */
const SIGNAL_COALESCE_MS = 150;

export interface LiveData<T> {
  value?: T;
  /** The error of the latest load; `value` keeps the last good answer. */
  error?: Error;
  /** True until the first answer (value or error) for the current key. */
  loading: boolean;
  /**
   * With `keepValueOnKeyChange`: true while `value` still belongs to the previous key (a page
   * being turned), so the view can show it dimmed instead of a spinner.
   */
  pending: boolean;
  refresh: () => void;
  /** Whether the page is updated by signals (false: polling only). */
  live: boolean;
}

export interface LiveDataOptions {
  /** Which signals concern this data; all instance signals by default. */
  isRelevant?: (signal: InstanceSignal) => boolean;
  fallbackPollMs?: number;
  /** Keep showing the last value while the first answer for a new key loads (paging). */
  keepValueOnKeyChange?: boolean;
}

/**
 * Loads data and keeps it current: refetches on a relevant `vm-lifecycle` signal (within about
 * a second of the change), and polls slowly when the signal API is unavailable. `key` names
 * the query; a new key starts over.
 */
export function useLiveData<T>(
  key: string,
  load: () => Promise<T>,
  options: LiveDataOptions = {},
): LiveData<T> {
  const [state, setState] = useState<{
    value?: T;
    error?: Error;
    loading: boolean;
    pending: boolean;
  }>({
    loading: true,
    pending: false,
  });
  const keepValue = options.keepValueOnKeyChange ?? false;
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const refresh = useCallback(() => {
    const id = ++generation.current;
    // Only the newest request may write: an older answer arriving late would show stale data.
    const current = () => mounted.current && id === generation.current;
    loadRef.current().then(
      value => current() && setState({ value, loading: false, pending: false }),
      error =>
        current() &&
        setState(s => ({
          value: s.value,
          error,
          loading: false,
          pending: false,
        })),
    );
  }, []);

  useEffect(() => {
    setState(s =>
      keepValue && s.value !== undefined
        ? { value: s.value, loading: false, pending: true }
        : { loading: true, pending: false },
    );
    refresh();
  }, [key, refresh, keepValue]);

  const { lastSignal, isSignalsAvailable } = useSignal(SIGNAL_CHANNEL);
  const isRelevantRef = useRef(options.isRelevant);
  isRelevantRef.current = options.isRelevant;
  const pending = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => {
    const signal = lastSignal as unknown as InstanceSignal | null;
    if (!signal || signal.type !== 'instance') return;
    if (isRelevantRef.current && !isRelevantRef.current(signal)) return;
    if (pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      refresh();
    }, SIGNAL_COALESCE_MS);
  }, [lastSignal, refresh]);
  useEffect(() => () => clearTimeout(pending.current), []);

  useInterval(
    refresh,
    isSignalsAvailable
      ? RESYNC_POLL_MS
      : (options.fallbackPollMs ?? FALLBACK_POLL_MS),
  );

  return { ...state, refresh, live: isSignalsAvailable };
}

/** The current time, advancing every `intervalMs`, for ages and running durations. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useInterval(() => setNow(Date.now()), intervalMs);
  return now;
}
