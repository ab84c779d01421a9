import { randomUUID } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  ApiGroupNames,
  ComputeInstance,
  apiGroupNames,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { AlreadyExistsError } from './errors';
import {
  WriteOutcome,
  applyDelete,
  applyStatusUpdate,
  applyUpdate,
  buildNewInstance,
  checkPrecondition,
  compareByKey,
  jsonClone,
  matchesListOptions,
  writeTarget,
} from './objectRules';
import { pageOf } from './pageOrder';
import {
  ComputeInstanceStore,
  ListOptions,
  ListPage,
  ListPageRequest,
  NewComputeInstance,
  WatchListener,
} from './types';
import { validateStatus } from './validateStatus';
import { WatchHub, listenerErrorHandler } from './watchHub';

export type InMemoryWriteKind = 'update' | 'updateStatus' | 'delete';

/**
 * Test hook run at the start of `update`, `updateStatus` and `delete`, before the store looks at the
 * current object. It gets a copy of the object being written (for `delete`, of the stored object; it
 * is not called when there is nothing to delete). Whatever it writes through the store lands first,
 * so the outer write then races against it, e.g. to force a `StaleResourceVersionError`:
 *
 *   store.beforeWrite = async (kind, obj) => {
 *     if (kind === 'updateStatus') await store.updateStatus({ ...obj, status: { phase: 'Failed' } });
 *   };
 *
 * Writes made while a hook is running do not call the hook again (no recursion).
 */
export type BeforeWriteHook = (
  kind: InMemoryWriteKind,
  object: ComputeInstance,
) => void | Promise<void>;

export interface InMemoryStoreOptions {
  /** API group of the resource; defaults to `osac.openshift.io`. */
  apiGroup?: string;
  beforeWrite?: BeforeWriteHook;
  /** Where exceptions thrown by watch listeners are reported; defaults to a process warning. */
  logger?: LoggerService;
}

/**
 * The store port in memory, with the same Kubernetes semantics as `DatabaseStore` (both apply the
 * rules in `objectRules.ts` and pass the same contract suite). Objects are kept as JSON, so nothing a
 * caller holds aliases stored state. Each write checks and commits synchronously after its hook,
 * which makes it atomic on Node's single thread.
 */
export class InMemoryStore implements ComputeInstanceStore {
  /** See `BeforeWriteHook`; may be set or cleared at any time. */
  beforeWrite?: BeforeWriteHook;

  private readonly names: ApiGroupNames;
  private readonly hub: WatchHub;
  private readonly objects = new Map<string, string>();
  private lastResourceVersion = 0;
  private hookDepth = 0;

  constructor(options: InMemoryStoreOptions = {}) {
    this.names = apiGroupNames(options.apiGroup);
    this.beforeWrite = options.beforeWrite;
    this.hub = new WatchHub(listenerErrorHandler(options.logger));
  }

  async get(
    namespace: string,
    name: string,
  ): Promise<ComputeInstance | undefined> {
    return this.read(namespace, name);
  }

  async list(options: ListOptions = {}): Promise<ComputeInstance[]> {
    return [...this.objects.values()]
      .map(json => JSON.parse(json) as ComputeInstance)
      .filter(
        obj =>
          (options.namespace === undefined ||
            obj.metadata.namespace === options.namespace) &&
          matchesListOptions(obj, options, this.names),
      )
      .sort(compareByKey);
  }

  async listPage(request: ListPageRequest): Promise<ListPage> {
    const all = [...this.objects.values()].map(
      json => JSON.parse(json) as ComputeInstance,
    );
    return pageOf(all, request, this.names);
  }

  async create(instance: NewComputeInstance): Promise<ComputeInstance> {
    const obj = buildNewInstance(instance, {
      apiVersion: this.names.apiVersion,
      uid: randomUUID(),
      resourceVersion: '0',
      now: new Date().toISOString(),
    });
    const { namespace, name } = obj.metadata;
    if (this.objects.has(key(namespace, name)))
      throw new AlreadyExistsError(namespace, name);
    obj.metadata.resourceVersion = this.nextResourceVersion();
    const json = JSON.stringify(obj);
    this.objects.set(key(namespace, name), json);
    this.hub.emit({ type: 'ADDED', object: JSON.parse(json) });
    return obj;
  }

  async update(
    instance: ComputeInstance,
  ): Promise<ComputeInstance | undefined> {
    const target = writeTarget(instance);
    const incoming = jsonClone(instance);
    await this.runHook('update', incoming);
    const current = this.readForWrite(target.namespace, target.name);
    checkPrecondition(current, target.resourceVersion);
    return this.commit(current, applyUpdate(current, incoming));
  }

  async updateStatus(instance: ComputeInstance): Promise<ComputeInstance> {
    const target = writeTarget(instance);
    const incoming = jsonClone(instance);
    validateStatus(incoming.status ?? {});
    await this.runHook('updateStatus', incoming);
    const current = this.readForWrite(target.namespace, target.name);
    checkPrecondition(current, target.resourceVersion);
    const stored = this.commit(current, applyStatusUpdate(current, incoming));
    // A status write never removes the object; this only narrows the type.
    if (!stored)
      throw new NotFoundError(
        `ComputeInstance ${target.namespace}/${target.name} not found`,
      );
    return stored;
  }

  async delete(
    namespace: string,
    name: string,
  ): Promise<ComputeInstance | undefined> {
    const before = this.read(namespace, name);
    if (before) await this.runHook('delete', before);
    const current = this.readForWrite(namespace, name);
    return this.commit(current, applyDelete(current, new Date().toISOString()));
  }

  watch(listener: WatchListener): () => void {
    return this.hub.subscribe(listener);
  }

  private read(namespace: string, name: string): ComputeInstance | undefined {
    const json = this.objects.get(key(namespace, name));
    return json === undefined ? undefined : JSON.parse(json);
  }

  private readForWrite(namespace: string, name: string): ComputeInstance {
    const current = this.read(namespace, name);
    if (!current)
      throw new NotFoundError(`ComputeInstance ${namespace}/${name} not found`);
    return current;
  }

  private commit(
    current: ComputeInstance,
    outcome: WriteOutcome,
  ): ComputeInstance | undefined {
    if (outcome.kind === 'unchanged') return current;
    const next = outcome.next;
    next.metadata.resourceVersion = this.nextResourceVersion();
    const json = JSON.stringify(next);
    const k = key(next.metadata.namespace, next.metadata.name);
    if (outcome.kind === 'removed') {
      this.objects.delete(k);
      this.hub.emit({ type: 'DELETED', object: JSON.parse(json) });
      return undefined;
    }
    this.objects.set(k, json);
    this.hub.emit({ type: 'MODIFIED', object: JSON.parse(json) });
    return next;
  }

  private nextResourceVersion(): string {
    this.lastResourceVersion += 1;
    return String(this.lastResourceVersion);
  }

  private async runHook(
    kind: InMemoryWriteKind,
    object: ComputeInstance,
  ): Promise<void> {
    const hook = this.beforeWrite;
    if (!hook || this.hookDepth > 0) return;
    this.hookDepth += 1;
    try {
      await hook(kind, jsonClone(object));
    } finally {
      this.hookDepth -= 1;
    }
  }
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
