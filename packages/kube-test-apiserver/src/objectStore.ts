import { KubeObject, clone } from './types';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change, as etcd's revision history would hold it. */
export interface ChangeEvent {
  resourceVersion: number;
  storageKey: string;
  type: WatchEventType;
  object: KubeObject;
  /** The state before the change (MODIFIED, DELETED): lets a filtered watch see an object leave its selector. */
  previous?: KubeObject;
}

export type ChangeListener = (event: ChangeEvent) => void;

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/**
 * All objects of all resources, with one cluster-wide resourceVersion counter (etcd's revision) and
 * a bounded history of changes that watches resume from. A resume from a revision older than the
 * history is answered 410 Gone, as after an etcd compaction.
 */
export class ObjectStore {
  private revision = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: ChangeEvent[] = [];
  private compactedThrough = 0;
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly historyLimit: number) {}

  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest revision a watch may still resume from. */
  get oldestResumable(): number {
    return this.compactedThrough;
  }

  get(
    storageKey: string,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined {
    return clone(this.objects.get(storageKey)?.get(objectKey(namespace, name)));
  }

  list(storageKey: string, namespace?: string): KubeObject[] {
    const all = [...(this.objects.get(storageKey)?.values() ?? [])];
    return clone(
      all.filter(
        o => namespace === undefined || o.metadata.namespace === namespace,
      ),
    );
  }

  /** Stores a new or changed object under the next revision and returns the stored copy. */
  commit(
    storageKey: string,
    object: KubeObject,
    previous?: KubeObject,
  ): KubeObject {
    const stored = clone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    let bucket = this.objects.get(storageKey);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(storageKey, bucket);
    }
    bucket.set(
      objectKey(stored.metadata.namespace, stored.metadata.name!),
      stored,
    );
    this.record({
      resourceVersion: this.revision,
      storageKey,
      type: previous ? 'MODIFIED' : 'ADDED',
      object: clone(stored),
      previous: clone(previous),
    });
    return clone(stored);
  }

  /** Removes an object; the deletion is a revision of its own, carried by the last state. */
  remove(storageKey: string, lastState: KubeObject): KubeObject {
    const gone = clone(lastState);
    const previous = this.get(
      storageKey,
      gone.metadata.namespace,
      gone.metadata.name!,
    );
    gone.metadata.resourceVersion = String(++this.revision);
    this.objects
      .get(storageKey)
      ?.delete(objectKey(gone.metadata.namespace, gone.metadata.name!));
    this.record({
      resourceVersion: this.revision,
      storageKey,
      type: 'DELETED',
      object: clone(gone),
      previous,
    });
    return gone;
  }

  /** Changes after `resourceVersion`, or 'expired' when some of them are no longer kept. */
  changesSince(
    storageKey: string,
    resourceVersion: number,
  ): ChangeEvent[] | 'expired' {
    if (resourceVersion < this.compactedThrough) return 'expired';
    return this.history.filter(
      e => e.storageKey === storageKey && e.resourceVersion > resourceVersion,
    );
  }

  /** Forgets the whole change history, as an etcd compaction does. */
  compact(): void {
    this.history.length = 0;
    this.compactedThrough = this.revision;
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(event: ChangeEvent): void {
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      this.compactedThrough = this.history.shift()!.resourceVersion;
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}
