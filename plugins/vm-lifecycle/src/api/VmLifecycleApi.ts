import { createApiRef } from '@backstage/core-plugin-api';
import {
  ComputeInstance,
  ComputeInstanceList,
  CreateInstanceRequest,
  DeletionReleaseRequest,
  InstanceListQuery,
  JobOutput,
  PortalSettings,
  LifecycleEvent,
  QuotaStatus,
  RunStrategy,
  VmTemplate,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

export type { PortalSettings };

/** The portal's client of the vm-lifecycle backend REST API (docs/API.md). */
export interface VmLifecycleApi {
  getSettings(): Promise<PortalSettings>;
  listTemplates(): Promise<VmTemplate[]>;
  /**
   * One page of GET /instances, filtered and sorted by the server; pass the page's
   * `metadata.continue` (with the same query) for the next one.
   */
  listInstancePage(query?: InstanceListQuery): Promise<ComputeInstanceList>;
  getInstance(namespace: string, name: string): Promise<ComputeInstance>;
  createInstance(request: CreateInstanceRequest): Promise<ComputeInstance>;
  setRunStrategy(
    namespace: string,
    name: string,
    runStrategy: RunStrategy,
  ): Promise<ComputeInstance>;
  restartInstance(namespace: string, name: string): Promise<void>;
  /** Starts deletion; the instance stays (phase Deleting) until its deprovision job is done. */
  deleteInstance(namespace: string, name: string): Promise<void>;
  /** "Retry now" on a stuck deletion (skips the backoff, reads stuck jobs live again). */
  retryDeletion(namespace: string, name: string): Promise<void>;
  /** "Release" a stuck deletion: the record goes without a successful deprovision (admins). */
  releaseDeletion(
    namespace: string,
    name: string,
    request: DeletionReleaseRequest,
  ): Promise<void>;
  listEvents(namespace: string, name: string): Promise<LifecycleEvent[]>;
  /** The caller's quotas and what they use (GET /quotas); `all` (admins): every subject's. */
  listQuotas(options?: { all?: boolean }): Promise<QuotaStatus[]>;
  /** Moves the expiry later, within the template's maximum (POST .../expiry). */
  extendExpiry(
    namespace: string,
    name: string,
    expiresAt: string,
  ): Promise<ComputeInstance>;
  /** Deleted instances that had this name (within the history retention), newest first. */
  listDeletedInstances(
    namespace: string,
    name: string,
  ): Promise<Array<{ uid: string; deletedAt: string }>>;
  /** A deleted instance's last state, by uid. */
  getDeletedInstance(
    uid: string,
  ): Promise<{ uid: string; deletedAt: string; instance: ComputeInstance }>;
  /** A deleted instance's lifecycle events, by uid. */
  listDeletedInstanceEvents(uid: string): Promise<LifecycleEvent[]>;
  /** What the portal shows: the end of a long output, marked `truncated`. */
  getJobOutput(
    namespace: string,
    name: string,
    jobID: string,
  ): Promise<JobOutput>;
  /** The whole output, for the "download full output" link. */
  getFullJobOutput(
    namespace: string,
    name: string,
    jobID: string,
  ): Promise<string>;
}

export const vmLifecycleApiRef = createApiRef<VmLifecycleApi>({
  id: 'plugin.vm-lifecycle.service',
});
