import {
  canonicalJson,
  ComputeInstance,
  ComputeInstanceStatus,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { isStaleResourceVersionError } from '../store/errors';
import { ComputeInstanceStore } from '../store/types';
import { upsertJob } from './status';

export type StatusMutation = (
  instance: ComputeInstance,
) => ComputeInstanceStatus | undefined;

/**
 * Writes status with optimistic concurrency, re-reading and re-applying the mutation on a
 * conflict. A lost write on a 409 is how the original operator launched duplicate deprovision
 * jobs, so a write is only given up after many fresh attempts, and launched job ids that could
 * not be persisted at all are remembered in memory (by uid) and merged into the next write.
 */
export class StatusWriter {
  private readonly unpersisted = new Map<string, ProvisioningJob[]>();

  constructor(
    private readonly store: ComputeInstanceStore,
    private readonly options: { maxAttempts?: number; maxJobHistory: number },
  ) {}

  /** Launched jobs whose id is not yet in the store for this instance (normally none). */
  pendingJobs(instance: ComputeInstance): ProvisioningJob[] {
    return this.unpersisted.get(instance.metadata.uid) ?? [];
  }

  /** The instance (by uid) is gone: whatever was not persisted no longer matters. */
  forget(uid: string): void {
    this.unpersisted.delete(uid);
  }

  /** Instances with launched jobs not yet persisted (for leak tests). */
  get pendingCount(): number {
    return this.unpersisted.size;
  }

  /** The instance as the controller must see it: stored status plus any job id not yet persisted. */
  withPendingJobs(instance: ComputeInstance): ComputeInstance {
    const pending = this.pendingJobs(instance);
    if (pending.length === 0) return instance;
    let jobs = instance.status.provisioningJobs ?? [];
    for (const job of pending) {
      if (!jobs.some(j => j.jobID === job.jobID && j.type === job.type)) {
        jobs = upsertJob(jobs, job, this.options.maxJobHistory);
      }
    }
    return {
      ...instance,
      status: { ...instance.status, provisioningJobs: jobs },
    };
  }

  /** Persists a freshly launched job before anything else happens. */
  async persistLaunchedJob(
    instance: ComputeInstance,
    job: ProvisioningJob,
    compose: (
      instance: ComputeInstance,
      status: ComputeInstanceStatus,
    ) => ComputeInstanceStatus,
  ): Promise<ComputeInstance | undefined> {
    // By uid: a recreated instance of the same name must not inherit another object's job.
    const key = instance.metadata.uid;
    this.unpersisted.set(key, [...(this.unpersisted.get(key) ?? []), job]);
    return this.write(instance, current =>
      compose(current, {
        ...current.status,
        provisioningJobs: upsertJob(
          current.status.provisioningJobs,
          job,
          this.options.maxJobHistory,
        ),
      }),
    );
  }

  async write(
    instance: ComputeInstance,
    mutate: StatusMutation,
  ): Promise<ComputeInstance | undefined> {
    const maxAttempts = this.options.maxAttempts ?? 10;
    let stored: ComputeInstance = instance;
    let lastError: unknown;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) {
        const fresh = await this.store.get(
          instance.metadata.namespace,
          instance.metadata.name,
        );
        if (!fresh || fresh.metadata.uid !== instance.metadata.uid)
          return undefined;
        stored = fresh;
      }
      // Jobs launched but not yet persisted ride along with every write until one lands.
      const status = mutate(this.withPendingJobs(stored));
      if (!status || canonicalJson(status) === canonicalJson(stored.status)) {
        return stored;
      }
      try {
        const written = await this.store.updateStatus({ ...stored, status });
        this.forgetPersistedIn(written);
        return written;
      } catch (e) {
        if (!isStaleResourceVersionError(e)) throw e;
        lastError = e;
      }
    }
    throw lastError;
  }

  private forgetPersistedIn(written: ComputeInstance): void {
    const key = written.metadata.uid;
    const pending = this.unpersisted.get(key);
    if (!pending) return;
    const jobs = written.status.provisioningJobs ?? [];
    const rest = pending.filter(
      p => !jobs.some(j => j.jobID === p.jobID && j.type === p.type),
    );
    if (rest.length) this.unpersisted.set(key, rest);
    else this.unpersisted.delete(key);
  }
}

export function keyOf(instance: {
  metadata: { namespace: string; name: string };
}): string {
  return `${instance.metadata.namespace}/${instance.metadata.name}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
