/** Raised when the task was cancelled (its AbortSignal fired) while an action waited. */
export class CancelledError extends Error {
  name = 'CancelledError';
}

/** Raised when what an action waits for did not happen within its time-out. */
export class WaitTimeoutError extends Error {
  name = 'WaitTimeoutError';
}

export interface PollOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  intervalMs: number;
  /** What is awaited, for the time-out message. */
  what: string;
}

/**
 * Calls `check` until it returns a value other than undefined. Stops at once when the signal
 * fires (CancelledError) and after the time-out (WaitTimeoutError); errors of `check` end the wait.
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  { signal, timeoutMs, intervalMs, what }: PollOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted)
      throw new CancelledError(`Cancelled while waiting for ${what}`);
    const value = await check();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new WaitTimeoutError(
        `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`,
      );
    }
    await sleep(Math.min(intervalMs, left), signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    let timer: NodeJS.Timeout | undefined = undefined;
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
