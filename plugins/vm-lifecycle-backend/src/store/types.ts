import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  ComputeInstance,
  ComputeInstanceSpec,
  ComputeInstanceStatus,
  InstanceSortField,
  Phase,
  SortOrder,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/** What a caller supplies to create an instance; the store assigns uid, resourceVersion and timestamps. */
export interface NewComputeInstance {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec: ComputeInstanceSpec;
  status?: ComputeInstanceStatus;
}

export interface ListOptions {
  namespace?: string;
  /** Exact-match label selector (all pairs must match). */
  labels?: Record<string, string>;
  /** Exact match on the `<group>/requested-by` annotation (an indexed column in the database store). */
  requestedBy?: string;
  /** Exact match on the `<group>/owner` annotation (an indexed column in the database store). */
  owner?: string;
}

/** A store filter made from a permission rule's `toQuery`: the annotation must be one of the values. */
export type InstanceQuery = {
  property: 'requestedBy' | 'owner';
  values: string[];
};

/** What a conditional permission decision leaves a caller allowed to see, as a store filter. */
export type PermissionFilter = PermissionCriteria<InstanceQuery>;

/** Filters of `listPage`; all combine with AND. */
export interface PageFilter {
  namespace?: string;
  requestedBy?: string;
  owner?: string;
  /** Only instances whose component annotation (`annotation`, the group's) names `entityRef`. */
  component?: { annotation: string; entityRef: string };
  /** A phase, or '' for instances without one yet. */
  phase?: Phase | '';
  /** true: only instances with a Failed job in `status.provisioningJobs`; false: only those without. */
  failedJobs?: boolean;
  /** Only instances whose deletionTimestamp is earlier than this instant (ISO 8601). */
  deletionBefore?: string;
  /** Part of `metadata.name`. */
  nameContains?: string;
}

export interface ListPageRequest {
  filter: PageFilter;
  /** Applied in the query, like the filter; absent when the caller may see everything. */
  permission?: PermissionFilter;
  sort: { field: InstanceSortField; order: SortOrder };
  /** At least 1. */
  limit: number;
  /** The sort key (`sortKeyOf`) of the last item of the previous page: the page starts after it. */
  after?: string[];
}

export interface ListPage {
  /** At most `limit` items, in the requested order. */
  items: ComputeInstance[];
  /** Items that match and follow the last one of this page. */
  remainingItemCount: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  /** For DELETED, the last state of the object. */
  object: ComputeInstance;
  /**
   * Set when the change was made through another replica (or another store instance on the same
   * database) and reached this one through the database's change feed. What is published once per
   * change, such as the signals, is published by the replica that made it.
   */
  remote?: boolean;
}

export type WatchListener = (event: WatchEvent) => void;

/**
 * The store port, with Kubernetes API semantics so the database and the Kubernetes adapters are
 * interchangeable:
 * - every write carries `metadata.resourceVersion`; a stale one fails with `StaleResourceVersionError`
 *   and writes nothing;
 * - `update` writes metadata (labels, annotations, finalizers) and spec, never status; `updateStatus`
 *   writes status only (the status subresource);
 * - `delete` of an object with finalizers only sets `metadata.deletionTimestamp`; the object is removed
 *   when an update leaves it with a deletionTimestamp and no finalizers;
 * - reads are never served from a cache: `get` is the uncached read the reconciler relies on before it
 *   launches a job.
 */
export interface ComputeInstanceStore {
  get(namespace: string, name: string): Promise<ComputeInstance | undefined>;
  list(options?: ListOptions): Promise<ComputeInstance[]>;
  /**
   * One page of a filtered, sorted list, with the permission filter applied by the store, so a page
   * is full however few of the stored objects the caller may see. Keyset-paged: an object that
   * exists from the first page to the last and keeps its sort key is served exactly once.
   */
  listPage(request: ListPageRequest): Promise<ListPage>;
  /** Fails with `AlreadyExistsError` if the name is taken in the namespace (also while it is being deleted). */
  create(instance: NewComputeInstance): Promise<ComputeInstance>;
  /** Writes metadata and spec. Returns the stored object; `undefined` if the write removed it (last finalizer gone during deletion). */
  update(instance: ComputeInstance): Promise<ComputeInstance | undefined>;
  /** Writes status only. */
  updateStatus(instance: ComputeInstance): Promise<ComputeInstance>;
  /**
   * Starts deletion. Idempotent while finalizers remain: returns the object with its (unchanged)
   * deletionTimestamp. Returns `undefined` when this call removed the object (no finalizers left).
   * Fails with `NotFoundError` when there is no such object, also once it has been removed, as
   * Kubernetes answers 404.
   */
  delete(namespace: string, name: string): Promise<ComputeInstance | undefined>;
  /** Change notifications for every create, write and removal; returns an unsubscribe function. */
  watch(listener: WatchListener): () => void;
}
