import {
  ComputeInstance,
  isTerminalJobState,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { JobStatus, ProvisioningProvider } from '../providers/types';

export type JobPollingMode = 'batch' | 'perJob';

export interface JobTrackerOptions {
  provider: ProvisioningProvider;
  mode: JobPollingMode;
  pollIntervalMs: number;
  /** Called with the instance key whenever one of its jobs changed state (or could not be read). */
  onChange: (instanceKey: string) => void;
  batchSize?: number;
  /** perJob mode: requests in flight at once. Default 50. */
  perJobConcurrency?: number;
  now?: () => number;
}

/**
 * Jobs are keyed by instance, type and id: ids are not unique across instances (every EDA
 * instance's first job is `eda-webhook-1`), and a status observed for one instance must never be
 * read as another's.
 */
function trackingKey(
  instanceKey: string,
  job: Pick<ProvisioningJob, 'type' | 'jobID'>,
): string {
  return `${instanceKey} ${job.type} ${job.jobID}`;
}

function instanceKeyOf(instance: ComputeInstance): string {
  return `${instance.metadata.namespace}/${instance.metadata.name}`;
}

interface TrackedJob {
  instanceKey: string;
  instance: ComputeInstance;
  job: ProvisioningJob;
}

interface Observation {
  at: number;
  status?: JobStatus;
  error?: unknown;
}

export interface JobTrackerStats {
  ticks: number;
  /** Requests made by ticks (batch: one per chunk of up to batchSize ids; perJob: one per job). */
  tickRequests: number;
  /** Status reads outside ticks: fresh reads before a cancel, or when the tracker's view is stale. */
  directRequests: number;
  maxTrackedJobs: number;
}

/**
 * Polls the live status of every active job of every instance, in ONE request per tick for up to
 * `batchSize` jobs (batch mode) or one request per job (perJob mode, as the original operator did),
 * and wakes the reconciler for the instances whose job changed. The reconciler reads the tracker's
 * observation instead of asking AAP itself, so N active jobs cost ceil(N/200) requests a tick.
 */
export class JobTracker {
  private readonly tracked = new Map<string, TrackedJob>();
  private readonly observations = new Map<string, Observation>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private readonly counters: JobTrackerStats = {
    ticks: 0,
    tickRequests: 0,
    directRequests: 0,
    maxTrackedJobs: 0,
  };
  private readonly now: () => number;

  constructor(private readonly options: JobTrackerOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.ticking) {
        this.ticking = this.tick().finally(() => {
          this.ticking = undefined;
        });
      }
    }, this.options.pollIntervalMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** Starts (or refreshes) tracking of a non-terminal job of an instance. */
  track(
    instanceKey: string,
    instance: ComputeInstance,
    job: ProvisioningJob,
  ): void {
    this.tracked.set(trackingKey(instanceKey, job), {
      instanceKey,
      instance,
      job,
    });
    this.counters.maxTrackedJobs = Math.max(
      this.counters.maxTrackedJobs,
      this.tracked.size,
    );
  }

  untrack(
    instanceKey: string,
    job: Pick<ProvisioningJob, 'type' | 'jobID'>,
  ): void {
    const key = trackingKey(instanceKey, job);
    this.tracked.delete(key);
    this.observations.delete(key);
  }

  /** Forgets every job of an instance (it is gone). */
  forgetInstance(instanceKey: string): void {
    for (const t of [...this.tracked.values()]) {
      if (t.instanceKey === instanceKey) this.untrack(instanceKey, t.job);
    }
  }

  get trackedCount(): number {
    return this.tracked.size;
  }

  stats(): JobTrackerStats {
    return { ...this.counters };
  }

  /**
   * The job's current status: the tracker's observation when it is recent (within two poll
   * intervals), otherwise a direct read. Throws the provider's error if the status cannot be read.
   */
  async currentStatus(
    instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus> {
    const obs = this.observations.get(
      trackingKey(instanceKeyOf(instance), job),
    );
    if (obs && this.now() - obs.at <= 2 * this.options.pollIntervalMs) {
      if (obs.error) throw obs.error;
      if (obs.status) return obs.status;
    }
    return this.freshStatus(instance, job);
  }

  /** Records a status learned outside a tick (AAP's answer to the launch) as a fresh observation. */
  seed(instanceKey: string, job: ProvisioningJob, status: JobStatus): void {
    this.observations.set(trackingKey(instanceKey, job), {
      at: this.now(),
      status,
    });
  }

  /** Always asks the provider: used before a cancel decision, where a cached state is not good enough. */
  async freshStatus(
    instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus> {
    this.counters.directRequests++;
    const status =
      job.type === 'provision'
        ? await this.options.provider.getProvisionStatus(instance, job)
        : await this.options.provider.getDeprovisionStatus(instance, job);
    this.observations.set(trackingKey(instanceKeyOf(instance), job), {
      at: this.now(),
      status,
    });
    return status;
  }

  /** One polling round over every tracked job. */
  async tick(): Promise<void> {
    this.counters.ticks++;
    const jobs = [...this.tracked.values()];
    if (jobs.length === 0) return;
    if (this.options.mode === 'batch' && this.options.provider.getStatuses) {
      await this.pollBatch(jobs);
    } else {
      await this.pollEach(jobs);
    }
  }

  private async pollBatch(jobs: TrackedJob[]): Promise<void> {
    const size = this.options.batchSize ?? 200;
    for (let i = 0; i < jobs.length; i += size) {
      const chunk = jobs.slice(i, i + size);
      this.counters.tickRequests++;
      try {
        const statuses = await this.options.provider.getStatuses!([
          ...new Set(chunk.map(t => t.job.jobID)),
        ]);
        for (const t of chunk) {
          const status = statuses.get(t.job.jobID);
          if (status) this.observe(t, { at: this.now(), status });
        }
      } catch (error) {
        for (const t of chunk) this.observe(t, { at: this.now(), error });
      }
    }
  }

  private async pollEach(jobs: TrackedJob[]): Promise<void> {
    // Bounded: a thousand GETs at once would only queue in the socket pool and hold their buffers.
    const concurrency = this.options.perJobConcurrency ?? 50;
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const t = jobs[next++];
        this.counters.tickRequests++;
        try {
          const status =
            t.job.type === 'provision'
              ? await this.options.provider.getProvisionStatus(
                  t.instance,
                  t.job,
                )
              : await this.options.provider.getDeprovisionStatus(
                  t.instance,
                  t.job,
                );
          this.observe(t, { at: this.now(), status });
        } catch (error) {
          this.observe(t, { at: this.now(), error });
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(concurrency, jobs.length) }, worker),
    );
  }

  private observe(t: TrackedJob, obs: Observation): void {
    const key = trackingKey(t.instanceKey, t.job);
    if (!this.tracked.has(key)) return; // untracked while the request was in flight
    const previous = this.observations.get(key);
    this.observations.set(key, obs);
    const changed = obs.error
      ? !previous?.error
      : obs.status!.state !== t.job.state ||
        obs.status!.message !== t.job.message ||
        Boolean(previous?.error);
    if (changed) this.options.onChange(t.instanceKey);
    if (obs.status && isTerminalJobState(obs.status.state)) {
      // The reconciler still reads this observation; the job leaves the poll set.
      this.tracked.delete(key);
    }
  }
}
