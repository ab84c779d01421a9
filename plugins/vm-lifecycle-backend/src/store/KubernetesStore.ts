import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  API_VERSION_NAME,
  ApiGroupNames,
  COMPUTE_INSTANCE_KIND,
  COMPUTE_INSTANCE_PLURAL,
  ComputeInstance,
  apiGroupNames,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import {
  RawComputeInstance,
  toComputeInstance,
  updatePatch,
} from '../cluster/computeInstanceObjects';
import { describeKubeError, kubeStatusOf } from '../cluster/kubeErrors';
import { RawList, ResourceInformer } from '../cluster/resourceInformer';
import { WriteEcho } from '../cluster/writeEcho';
import { AlreadyExistsError, StaleResourceVersionError } from './errors';
import {
  applyUpdate,
  buildNewInstance,
  compareByKey,
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

export interface KubernetesStoreOptions {
  kubeConfig: KubeConfig;
  /** API group of the ComputeInstance CRD; defaults to `osac.openshift.io`. */
  apiGroup?: string;
  /** Namespaces to manage; default: all namespaces (needs cluster-wide list/watch). */
  namespaces?: string[];
  logger?: LoggerService;
}

/**
 * The store port on ComputeInstance custom resources (deploy/crd.yaml).
 *
 * - `get` and `list` ask the API server (never a cache): the reconciler re-reads before it launches a
 *   job, and the port promises that reads see every write that returned.
 * - `watch` delivers the events of an informer (list + watch per managed namespace, resumed from
 *   bookmarks, re-listed on 410 Gone).
 * - `update` is a JSON merge patch of labels, annotations, finalizers and spec carrying the
 *   resourceVersion it was computed from; `updateStatus` is a PUT on the status subresource; both
 *   fail with StaleResourceVersionError on a 409. `delete` is a DELETE: while finalizers remain the
 *   API server only sets deletionTimestamp.
 * - Input is validated here with the same rules as the other adapters (objectRules, validateStatus)
 *   and again by the API server against the CRD; a 422 from the server becomes an InputError.
 */
export class KubernetesStore implements ComputeInstanceStore {
  private readonly api: CustomObjectsApi;
  private readonly names: ApiGroupNames;
  private readonly hub: WatchHub;
  private readonly informers: ResourceInformer<RawComputeInstance>[] = [];
  private readonly namespaces?: string[];
  private readonly echo = new WriteEcho();
  private closed = false;

  static async create(
    options: KubernetesStoreOptions,
  ): Promise<KubernetesStore> {
    const store = new KubernetesStore(options);
    try {
      await Promise.all(store.informers.map(i => i.start()));
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }

  private constructor(private readonly o: KubernetesStoreOptions) {
    this.names = apiGroupNames(o.apiGroup);
    this.api = o.kubeConfig.makeApiClient(CustomObjectsApi);
    this.hub = new WatchHub(listenerErrorHandler(o.logger));
    this.namespaces = o.namespaces?.length ? [...o.namespaces] : undefined;
    for (const namespace of this.namespaces ?? [undefined]) {
      this.informers.push(this.informerFor(namespace));
    }
  }

  /** Stops the informers; writes still work, watch listeners get nothing more. */
  async close(): Promise<void> {
    await Promise.all(this.informers.map(i => i.stop()));
    this.closed = true;
    this.echo.releaseAll();
  }

  async get(
    namespace: string,
    name: string,
  ): Promise<ComputeInstance | undefined> {
    try {
      return this.convert(
        await this.api.getNamespacedCustomObject({
          ...this.resource(),
          namespace,
          name,
        }),
      );
    } catch (e) {
      if (kubeStatusOf(e)?.code === 404) return undefined;
      throw this.translate(e, namespace, name);
    }
  }

  async list(options: ListOptions = {}): Promise<ComputeInstance[]> {
    const labelSelector = options.labels
      ? Object.entries(options.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')
      : undefined;
    let namespaces: Array<string | undefined> = this.namespaces ?? [undefined];
    if (options.namespace !== undefined) {
      namespaces =
        !this.namespaces || this.namespaces.includes(options.namespace)
          ? [options.namespace]
          : [];
    }
    const lists = await Promise.all(
      namespaces.map(ns => this.listRaw(ns, labelSelector)),
    );
    return lists
      .flatMap(l => l.items)
      .map(raw => this.convert(raw))
      .filter(obj => matchesListOptions(obj, options, this.names))
      .sort(compareByKey);
  }

  /**
   * Served from the informers' cache, not the API server. The API server's own limit/continue
   * pages only what label and field selectors can express, so with the permission filter, the
   * annotation and status filters and our sorts its pages would come back short or unsorted; a
   * full list per page would move every object over the wire for each page. The cache is fresh
   * enough: every write of this store returns only after the informer delivered it, so a caller
   * sees its own writes, and others' arrive with the watch.
   */
  async listPage(request: ListPageRequest): Promise<ListPage> {
    const wanted = request.filter.namespace;
    const cached = this.informers.flatMap(informer => informer.cached());
    // The page rules read metadata and status only, which raw objects carry in the same shape, so
    // only the items of the page are converted (copied).
    const page = pageOf(
      cached.filter(
        raw => wanted === undefined || raw.metadata?.namespace === wanted,
      ) as unknown as ComputeInstance[],
      request,
      this.names,
    );
    return {
      items: page.items.map(raw =>
        this.convert(raw as unknown as RawComputeInstance),
      ),
      remainingItemCount: page.remainingItemCount,
    };
  }

  async create(instance: NewComputeInstance): Promise<ComputeInstance> {
    const checked = buildNewInstance(instance, {
      apiVersion: this.names.apiVersion,
      uid: '',
      resourceVersion: '',
      now: '',
    });
    const { namespace, name } = checked.metadata;
    if (this.namespaces && !this.namespaces.includes(namespace)) {
      throw new InputError(
        `Namespace ${namespace} is not managed by this portal (vmLifecycle.kubernetes.namespaces: ${this.namespaces.join(', ')})`,
      );
    }
    const body = {
      apiVersion: this.names.apiVersion,
      kind: COMPUTE_INSTANCE_KIND,
      metadata: {
        name,
        namespace,
        labels: checked.metadata.labels,
        annotations: checked.metadata.annotations,
        finalizers: checked.metadata.finalizers,
      },
      spec: checked.spec,
    };
    let created: ComputeInstance;
    try {
      created = this.convert(
        await this.api.createNamespacedCustomObject({
          ...this.resource(),
          namespace,
          body,
          fieldValidation: 'Strict',
        }),
      );
    } catch (e) {
      if (kubeStatusOf(e)?.code === 409)
        throw new AlreadyExistsError(namespace, name);
      throw this.translate(e, namespace, name);
    }
    // The API server drops status on create when the CRD has a status subresource.
    if (Object.keys(checked.status).length === 0) return this.echoed(created);
    return this.updateStatus({ ...created, status: checked.status });
  }

  async update(
    instance: ComputeInstance,
  ): Promise<ComputeInstance | undefined> {
    const target = writeTarget(instance);
    const current = await this.get(target.namespace, target.name);
    if (!current) {
      throw new NotFoundError(
        `ComputeInstance ${target.namespace}/${target.name} not found`,
      );
    }
    if (current.metadata.resourceVersion !== target.resourceVersion) {
      throw this.stale(
        target.namespace,
        target.name,
        target.resourceVersion,
        current.metadata.resourceVersion,
      );
    }
    const outcome = applyUpdate(current, JSON.parse(JSON.stringify(instance)));
    if (outcome.kind === 'unchanged') return current;
    let raw: RawComputeInstance;
    try {
      raw = await this.api.patchNamespacedCustomObject(
        {
          ...this.resource(),
          namespace: target.namespace,
          name: target.name,
          body: updatePatch(current, outcome.next),
          fieldValidation: 'Strict',
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (e) {
      throw await this.writeError(e, target);
    }
    const stored = await this.echoed(this.convert(raw), target.resourceVersion);
    // The API server removes the object in the same write that takes its last finalizer while deleting.
    if (
      stored.metadata.deletionTimestamp &&
      stored.metadata.finalizers.length === 0
    )
      return undefined;
    return stored;
  }

  async updateStatus(instance: ComputeInstance): Promise<ComputeInstance> {
    const target = writeTarget(instance);
    const status = JSON.parse(JSON.stringify(instance.status ?? {}));
    validateStatus(status);
    try {
      const raw = await this.api.replaceNamespacedCustomObjectStatus({
        ...this.resource(),
        namespace: target.namespace,
        name: target.name,
        body: {
          apiVersion: this.names.apiVersion,
          kind: COMPUTE_INSTANCE_KIND,
          metadata: {
            name: target.name,
            namespace: target.namespace,
            resourceVersion: target.resourceVersion,
          },
          spec: instance.spec,
          // An empty status is sent as none: the object then compares equal to one that never had a
          // status, so writing {} over nothing is a no-op instead of a new resourceVersion.
          ...(Object.keys(status).length ? { status } : {}),
        },
        // Not Strict, unlike the other writes: the CRD installed may be OSAC's, which lacks fields
        // we write (provisioningJobs[].launchID) and would refuse every status write. A field the
        // CRD does not know is dropped by the API server instead, and the rest of the write lands.
        fieldValidation: 'Warn',
      });
      return await this.echoed(this.convert(raw), target.resourceVersion);
    } catch (e) {
      throw await this.writeError(e, target);
    }
  }

  async delete(
    namespace: string,
    name: string,
  ): Promise<ComputeInstance | undefined> {
    let raw: RawComputeInstance & { kind?: string };
    try {
      raw = await this.api.deleteNamespacedCustomObject({
        ...this.resource(),
        namespace,
        name,
      });
    } catch (e) {
      throw this.translate(e, namespace, name);
    }
    // Custom resources answer with the object; a server that answers with a Status says no more
    // than "accepted", so ask whether finalizers keep the object.
    if (raw?.kind === 'Status') return this.get(namespace, name);
    const last = await this.echoed(this.convert(raw));
    // Finalizers keep the object (now with deletionTimestamp); without them it is gone.
    return last.metadata.finalizers.length ? last : undefined;
  }

  watch(listener: WatchListener): () => void {
    return this.hub.subscribe(listener);
  }

  private resource() {
    return {
      group: this.names.group,
      version: API_VERSION_NAME,
      plural: COMPUTE_INSTANCE_PLURAL,
    };
  }

  private convert(raw: RawComputeInstance): ComputeInstance {
    return toComputeInstance(raw, this.names.apiVersion);
  }

  private async listRaw(
    namespace: string | undefined,
    labelSelector?: string,
  ): Promise<RawList<RawComputeInstance>> {
    try {
      return await this.listFromServer(namespace, labelSelector);
    } catch (e) {
      throw this.translate(e, namespace ?? '*', '*');
    }
  }

  private listFromServer(
    namespace: string | undefined,
    labelSelector?: string,
  ): Promise<RawList<RawComputeInstance>> {
    return namespace === undefined
      ? this.api.listClusterCustomObject({ ...this.resource(), labelSelector })
      : this.api.listNamespacedCustomObject({
          ...this.resource(),
          namespace,
          labelSelector,
        });
  }

  private informerFor(
    namespace: string | undefined,
  ): ResourceInformer<RawComputeInstance> {
    const { group } = this.names;
    const base = `/apis/${group}/${API_VERSION_NAME}`;
    const path = namespace
      ? `${base}/namespaces/${encodeURIComponent(namespace)}/${COMPUTE_INSTANCE_PLURAL}`
      : `${base}/${COMPUTE_INSTANCE_PLURAL}`;
    const emit =
      (type: 'ADDED' | 'MODIFIED' | 'DELETED') => (raw: RawComputeInstance) => {
        const object = this.convert(raw);
        this.hub.emit({ type, object });
        this.echo.observed(keyOf(object), object.metadata.resourceVersion);
      };
    return new ResourceInformer<RawComputeInstance>({
      kubeConfig: this.o.kubeConfig,
      path,
      list: () => this.listFromServer(namespace),
      description: `${COMPUTE_INSTANCE_PLURAL}.${group} ${namespace ? `in ${namespace}` : 'in all namespaces'}`,
      logger: this.o.logger,
      onAdd: emit('ADDED'),
      onUpdate: emit('MODIFIED'),
      onDelete: emit('DELETED'),
      onListed: () => this.echo.releaseAll(),
    });
  }

  /**
   * Returns once the informer delivered this version to the watch listeners, so a listener that
   * subscribes after a write returned never receives that write's event. A write that changed nothing
   * (same resourceVersion as its base) has no event to wait for.
   */
  private async echoed(
    object: ComputeInstance,
    baseResourceVersion?: string,
  ): Promise<ComputeInstance> {
    const { namespace, resourceVersion } = object.metadata;
    const watched = !this.namespaces || this.namespaces.includes(namespace);
    if (
      watched &&
      !this.closed &&
      resourceVersion &&
      resourceVersion !== baseResourceVersion
    ) {
      await this.echo.wait(keyOf(object), resourceVersion);
    }
    return object;
  }

  private stale(
    namespace: string,
    name: string,
    expected: string,
    actual: string,
  ) {
    return new StaleResourceVersionError(namespace, name, expected, actual);
  }

  /** A failed write: 409 becomes StaleResourceVersionError naming the version that won (read fresh). */
  private async writeError(
    e: unknown,
    target: { namespace: string; name: string; resourceVersion: string },
  ): Promise<Error> {
    if (kubeStatusOf(e)?.code !== 409)
      return this.translate(e, target.namespace, target.name);
    const current = await this.get(target.namespace, target.name);
    if (!current)
      return new NotFoundError(
        `ComputeInstance ${target.namespace}/${target.name} not found`,
      );
    return this.stale(
      target.namespace,
      target.name,
      target.resourceVersion,
      current.metadata.resourceVersion,
    );
  }

  private translate(e: unknown, namespace: string, name: string): Error {
    const status = kubeStatusOf(e);
    const ref = `ComputeInstance ${namespace}/${name}`;
    switch (status?.code) {
      case 400:
      case 422:
        return new InputError(
          `${ref}: ${status.message ?? 'refused by the Kubernetes API server'}`,
        );
      case 404:
        return new NotFoundError(
          `${ref} not found${status.message ? ` (${status.message})` : ''}`,
        );
      default:
        return new Error(
          `Kubernetes API request for ${ref} failed: ${describeKubeError(e)}`,
          { cause: e },
        );
    }
  }
}

function keyOf(object: ComputeInstance): string {
  return `${object.metadata.namespace}/${object.metadata.name}`;
}
