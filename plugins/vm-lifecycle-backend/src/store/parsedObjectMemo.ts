import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';

/**
 * Parsed objects by uid, each valid only for the resourceVersion it was parsed at.
 *
 * Why: parsing the JSON of 10,000 instances costs ~100 ms on its own, which is the whole list
 * budget. This is not a read cache: every list still asks the database which objects exist and at
 * which resourceVersion, and only an entry whose (uid, resourceVersion) matches is reused. Every
 * write gets a new table-wide resourceVersion, so the content of a (uid, resourceVersion) pair never
 * changes. Entries are handed out only through `cloneJson`, never directly.
 */
export class ParsedObjectMemo {
  private readonly entries = new Map<
    string,
    { resourceVersion: string; object: ComputeInstance }
  >();

  constructor(private readonly maxEntries = 50_000) {}

  get(uid: string, resourceVersion: string): ComputeInstance | undefined {
    const entry = this.entries.get(uid);
    return entry?.resourceVersion === resourceVersion
      ? entry.object
      : undefined;
  }

  set(uid: string, resourceVersion: string, object: ComputeInstance): void {
    this.entries.delete(uid);
    this.entries.set(uid, { resourceVersion, object });
    // Map iteration is insertion order, so the first key is the least recently stored one.
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  delete(uid: string): void {
    this.entries.delete(uid);
  }

  /** Drops entries of objects that no longer exist (called with the uids of a complete list). */
  retainOnly(uids: ReadonlySet<string>): void {
    for (const uid of this.entries.keys()) {
      if (!uids.has(uid)) this.entries.delete(uid);
    }
  }
}

/**
 * Deep copy of JSON data (plain objects, arrays, primitives). The object spread copies a plain
 * object in one step that keeps its hidden class, which makes this about three times faster than
 * JSON.parse of the same object: the point of the memo.
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const array = new Array(value.length);
    for (let i = 0; i < value.length; i++) array[i] = cloneJson(value[i]);
    return array as T;
  }
  const copy: Record<string, unknown> = {
    ...(value as Record<string, unknown>),
  };
  // for-in over the fresh copy is about twice as fast as Object.keys here.
  for (const key in copy) {
    if (Object.hasOwn(copy, key)) {
      const child = copy[key];
      if (typeof child === 'object' && child !== null)
        copy[key] = cloneJson(child);
    }
  }
  return copy as T;
}
