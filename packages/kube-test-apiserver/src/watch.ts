import type { ServerResponse } from 'node:http';
import { expired } from './errors';
import { ChangeEvent, ObjectStore, WatchEventType } from './objectStore';
import {
  ResourceType,
  apiVersionOf,
  selectableFields,
  storageKey,
} from './resources';
import { Selector } from './selectors';
import { KubeObject, clone } from './types';

export interface WatchRequest {
  type: ResourceType;
  namespace?: string;
  labelSelector: Selector;
  fieldSelector: Selector;
  resourceVersion?: string;
  allowBookmarks: boolean;
  timeoutMs: number;
  bookmarkIntervalMs: number;
}

interface WireEvent {
  type: WatchEventType | 'BOOKMARK' | 'ERROR';
  object: unknown;
}

/**
 * Streams watch events as newline-delimited JSON, with the apiserver's semantics:
 * - no resourceVersion (or "0"): synthetic ADDED events for what exists, then changes;
 * - a resourceVersion: every change after it, or one ERROR event with a 410 Status when the history
 *   no longer reaches back that far (the client must re-list);
 * - selectors filter, and an object that stops (starts) matching is reported DELETED (ADDED);
 * - BOOKMARK events carry the current resourceVersion when the client allows them;
 * - the stream ends after the timeout, as the apiserver's does, and clients resume from the last version.
 * Returns a function that ends the stream.
 */
export function serveWatch(
  store: ObjectStore,
  request: WatchRequest,
  res: ServerResponse,
  onEnd: () => void,
): () => void {
  const { type } = request;
  const key = storageKey(type);
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  // Clients (node-fetch in @kubernetes/client-node) only get control of the stream once headers arrive.
  res.flushHeaders();

  let ended = false;
  const timers: { bookmark?: NodeJS.Timeout; timeout?: NodeJS.Timeout } = {};
  let unsubscribe: () => void = () => {};
  const send = (event: WireEvent) => {
    if (!ended) res.write(`${JSON.stringify(event)}\n`);
  };
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearTimeout(timers.bookmark);
    clearTimeout(timers.timeout);
    res.end();
    onEnd();
  };

  const matches = (obj: KubeObject | undefined): obj is KubeObject =>
    !!obj &&
    (request.namespace === undefined ||
      obj.metadata.namespace === request.namespace) &&
    request.labelSelector(obj.metadata.labels ?? {}) &&
    request.fieldSelector(selectableFields(type, obj));

  const withVersion = (obj: KubeObject): KubeObject => {
    const copy = clone(obj);
    copy.apiVersion = apiVersionOf(type);
    return copy;
  };

  const deliver = (change: ChangeEvent) => {
    if (change.storageKey !== key) return;
    const now = matches(change.object);
    const before = matches(change.previous);
    if (change.type === 'DELETED') {
      if (before) send({ type: 'DELETED', object: withVersion(change.object) });
      return;
    }
    if (now && (before || change.type === 'ADDED')) {
      send({ type: change.type, object: withVersion(change.object) });
    } else if (now) {
      send({ type: 'ADDED', object: withVersion(change.object) });
    } else if (before) {
      const left = clone(change.previous!);
      left.metadata.resourceVersion = change.object.metadata.resourceVersion;
      send({ type: 'DELETED', object: withVersion(left) });
    }
  };

  const rv = request.resourceVersion;
  if (rv === undefined || rv === '' || rv === '0') {
    for (const obj of store.list(key, request.namespace)) {
      if (matches(obj)) send({ type: 'ADDED', object: withVersion(obj) });
    }
  } else {
    const changes = store.changesSince(key, Number(rv));
    if (changes === 'expired' || Number.isNaN(Number(rv))) {
      send({
        type: 'ERROR',
        object: expired(rv, store.oldestResumable).toStatus(),
      });
      end();
      return end;
    }
    changes.forEach(deliver);
  }
  unsubscribe = store.subscribe(deliver);

  if (request.allowBookmarks) {
    const bookmark = () => {
      send({
        type: 'BOOKMARK',
        object: {
          kind: type.kind,
          apiVersion: apiVersionOf(type),
          metadata: { resourceVersion: String(store.resourceVersion) },
        },
      });
      timers.bookmark = setTimeout(bookmark, request.bookmarkIntervalMs);
    };
    timers.bookmark = setTimeout(bookmark, request.bookmarkIntervalMs);
  }
  timers.timeout = setTimeout(end, request.timeoutMs);
  res.on('close', end);
  return end;
}
