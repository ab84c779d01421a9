import { AapClient } from '../aap/AapClient';
import { AapError } from '../aap/errors';
import { AapListedJob, AapTemplate } from '../aap/types';

/** Where the AAP Direct provider puts the launch id in the extra vars: next to the payload. */
export function launchIdFromExtraVars(
  extraVars: Record<string, unknown> | undefined,
): string | undefined {
  const event = (extraVars?.ansible_eda as { event?: unknown } | undefined)
    ?.event as { launch_id?: unknown } | undefined;
  return typeof event?.launch_id === 'string' ? event.launch_id : undefined;
}

export type FindResult =
  { found: AapListedJob[] } | { absent: true; checkedAt: number };

interface Waiter {
  launchID: string;
  since: number;
  resolve: (result: FindResult) => void;
  reject: (error: unknown) => void;
}

/** What earlier listings of one template found, so a later round reads only the newest jobs. */
interface TemplateCache {
  /** The cache holds every job of the template created at or after this (AAP's clock, ms). */
  coveredFromMs: number;
  /** The newest `created` seen (AAP's clock, ms); the next round lists from a little before it. */
  newestCreatedMs?: number;
  byLaunchId: Map<string, AapListedJob[]>;
  jobIds: Set<number>;
  lastUsedMs: number;
}

export interface LaunchFinderOptions {
  client: AapClient;
  /**
   * The intent's timestamp is the controller's clock, a job's `created` is AAP's: look this much
   * further back so a controller clock ahead of AAP's cannot hide the job. Default 10 minutes.
   */
  clockSkewMs?: number;
  /**
   * A round after the first lists only the jobs created since the newest one seen, minus this
   * overlap: a job whose launch request commits late (AWX sets `created` before the request's
   * transaction commits) is still read. Default 30 s.
   */
  commitLagMs?: number;
  /** A template's cache is dropped when unused this long. Default 10 minutes. */
  cacheIdleMs?: number;
  now?: () => number;
}

const MAX_CACHED_JOBS = 50_000;

/**
 * Finds jobs by launch id with one listing per template at a time however many intents wait: after
 * a gateway outage hundreds of launches may be unresolved at once, and one listing answers them
 * all. A caller that arrives while a listing runs waits for the next one, because the running one
 * may have started before its launch reached AAP. Later rounds read only the jobs created since
 * the previous one (with an overlap for late commits) and keep the rest from a cache.
 */
export class LaunchFinder {
  private readonly pending = new Map<string, Waiter[]>();
  private readonly running = new Set<string>();
  private readonly caches = new Map<string, TemplateCache>();
  private readonly clockSkewMs: number;
  private readonly commitLagMs: number;
  private readonly cacheIdleMs: number;
  private readonly now: () => number;

  constructor(private readonly options: LaunchFinderOptions) {
    this.clockSkewMs = options.clockSkewMs ?? 10 * 60_000;
    this.commitLagMs = options.commitLagMs ?? 30_000;
    this.cacheIdleMs = options.cacheIdleMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  find(
    template: AapTemplate,
    launchID: string,
    intendedAt: string,
  ): Promise<FindResult> {
    const key = `${template.kind}:${template.id}`;
    const parsed = Date.parse(intendedAt);
    const since = Number.isNaN(parsed) ? 0 : parsed;
    return new Promise<FindResult>((resolve, reject) => {
      const waiters = this.pending.get(key) ?? [];
      waiters.push({ launchID, since, resolve, reject });
      this.pending.set(key, waiters);
      if (!this.running.has(key)) void this.run(key, template);
    });
  }

  private async run(key: string, template: AapTemplate): Promise<void> {
    this.running.add(key);
    // Let callers of the same tick join this round.
    await Promise.resolve();
    try {
      for (;;) {
        const waiters = this.pending.get(key);
        if (!waiters?.length) return;
        this.pending.delete(key);
        await this.round(key, template, waiters);
      }
    } finally {
      this.running.delete(key);
    }
  }

  private async round(
    key: string,
    template: AapTemplate,
    waiters: Waiter[],
  ): Promise<void> {
    const checkedAt = this.now();
    const wantedFrom = Math.max(
      0,
      Math.min(...waiters.map(w => w.since)) - this.clockSkewMs,
    );
    let cache = this.caches.get(key);
    if (
      cache &&
      (checkedAt - cache.lastUsedMs > this.cacheIdleMs ||
        wantedFrom < cache.coveredFromMs ||
        cache.jobIds.size > MAX_CACHED_JOBS)
    ) {
      cache = undefined;
    }
    const listFrom =
      cache?.newestCreatedMs !== undefined
        ? Math.max(
            cache.coveredFromMs,
            cache.newestCreatedMs - this.commitLagMs,
          )
        : (cache?.coveredFromMs ?? wantedFrom);
    let listing: { jobs: AapListedJob[]; complete: boolean };
    try {
      listing = await this.options.client.listTemplateJobs(
        template.kind,
        template.id,
        new Date(listFrom),
      );
    } catch (error) {
      for (const w of waiters) w.reject(error);
      return;
    }
    if (!listing.complete) {
      // Too many jobs to read in one look-up: nothing is cached, no absence is proven.
      this.caches.delete(key);
      this.answer(waiters, undefined, checkedAt, template, false);
      return;
    }
    const next: TemplateCache = cache ?? {
      coveredFromMs: listFrom,
      byLaunchId: new Map(),
      jobIds: new Set(),
      lastUsedMs: checkedAt,
    };
    next.lastUsedMs = checkedAt;
    for (const job of listing.jobs) {
      const created = job.created ? Date.parse(job.created) : NaN;
      if (!Number.isNaN(created))
        next.newestCreatedMs = Math.max(
          next.newestCreatedMs ?? created,
          created,
        );
      if (next.jobIds.has(job.id)) continue;
      next.jobIds.add(job.id);
      const id = launchIdFromExtraVars(job.extraVars);
      // Only what an answer needs is kept, not the payload in the extra vars.
      const summary: AapListedJob = {
        id: job.id,
        kind: job.kind,
        status: job.status,
      };
      if (id)
        next.byLaunchId.set(id, [...(next.byLaunchId.get(id) ?? []), summary]);
    }
    // Statuses move on: a cached job's status is refreshed when a round lists it again.
    for (const job of listing.jobs) {
      const id = launchIdFromExtraVars(job.extraVars);
      const cached = id ? next.byLaunchId.get(id) : undefined;
      const entry = cached?.find(j => j.id === job.id);
      if (entry) entry.status = job.status;
    }
    this.caches.set(key, next);
    this.answer(waiters, next, checkedAt, template, true);
  }

  private answer(
    waiters: Waiter[],
    cache: TemplateCache | undefined,
    checkedAt: number,
    template: AapTemplate,
    complete: boolean,
  ): void {
    for (const w of waiters) {
      const found = cache?.byLaunchId.get(w.launchID);
      if (found?.length) {
        w.resolve({ found: [...found].sort((a, b) => a.id - b.id) });
      } else if (complete) {
        w.resolve({ absent: true, checkedAt });
      } else {
        w.reject(
          new AapError(
            `AAP holds more jobs of template "${template.name}" since the launch than one look-up reads; cannot tell whether launch ${w.launchID} created a job`,
          ),
        );
      }
    }
  }
}
