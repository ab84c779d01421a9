import { LoggerService } from '@backstage/backend-plugin-api';
import { WatchEvent, WatchListener } from './types';

/** Receives what a listener threw, so a broken listener is visible without breaking the writer. */
export type ListenerErrorHandler = (error: unknown, event: WatchEvent) => void;

export const warnListenerError: ListenerErrorHandler = (error, event) => {
  const ref = `${event.object.metadata.namespace}/${event.object.metadata.name}`;
  process.emitWarning(
    `ComputeInstance watch listener failed on ${event.type} ${ref}: ${
      error instanceof Error ? (error.stack ?? error.message) : String(error)
    }`,
  );
};

/** Reports listener failures to the plugin's logger when there is one. */
export function listenerErrorHandler(
  logger?: LoggerService,
): ListenerErrorHandler {
  if (!logger) return warnListenerError;
  return (error, event) =>
    logger.warn(
      `ComputeInstance watch listener failed on ${event.type} ${event.object.metadata.namespace}/${event.object.metadata.name}`,
      error instanceof Error ? error : { error: String(error) },
    );
}

/**
 * In-process fan-out of watch events.
 *
 * Events are delivered synchronously, in the order of `emit` calls, to every listener subscribed at
 * that moment. A write a listener makes from inside its callback is queued behind the event being
 * delivered, so every listener sees events in the same order. Listeners share one event object and
 * must not mutate it.
 */
export class WatchHub {
  private readonly listeners = new Set<{ listener: WatchListener }>();
  private readonly pending: WatchEvent[] = [];
  private delivering = false;

  constructor(
    private readonly onListenerError: ListenerErrorHandler = warnListenerError,
  ) {}

  subscribe(listener: WatchListener): () => void {
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const entry = { listener };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  emit(event: WatchEvent): void {
    this.pending.push(event);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let next = this.pending.shift(); next; next = this.pending.shift()) {
        this.deliver(next);
      }
    } finally {
      this.delivering = false;
    }
  }

  private deliver(event: WatchEvent): void {
    for (const entry of [...this.listeners]) {
      // Unsubscribed by an earlier listener during this same delivery.
      if (!this.listeners.has(entry)) continue;
      try {
        const result: unknown = entry.listener(event);
        // An async listener's rejection would otherwise be an unhandled rejection, which kills Node.
        if (result instanceof Promise) {
          result.catch(error => this.reportError(error, event));
        }
      } catch (error) {
        this.reportError(error, event);
      }
    }
  }

  private reportError(error: unknown, event: WatchEvent): void {
    try {
      this.onListenerError(error, event);
    } catch {
      // The error reporter itself must not be able to break the writer either.
    }
  }
}
