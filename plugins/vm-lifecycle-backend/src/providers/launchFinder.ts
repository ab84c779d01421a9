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

export interface LaunchFinderOptions {
  client: AapClient;
  /**
   * The intent's timestamp is the controller's clock, a job's `created` is AAP's: look this much
   * further back so a controller clock ahead of AAP's cannot hide the job. Default 10 minutes.
   */
  clockSkewMs?: number;
  now?: () => number;
}

/**
 * Finds jobs by launch id, one listing per template at a time however many intents wait: after a
 * gateway outage hundreds of launches may be unresolved at once, and each listing already answers
 * all of them. A caller that arrives while a listing runs waits for the next one, because the
 * running one may have started before its launch reached AAP.
 */
export class LaunchFinder {
  private readonly pending = new Map<string, Waiter[]>();
  private readonly running = new Set<string>();
  private readonly clockSkewMs: number;
  private readonly now: () => number;

  constructor(private readonly options: LaunchFinderOptions) {
    this.clockSkewMs = options.clockSkewMs ?? 10 * 60_000;
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
        await this.round(template, waiters);
      }
    } finally {
      this.running.delete(key);
    }
  }

  private async round(template: AapTemplate, waiters: Waiter[]): Promise<void> {
    const checkedAt = this.now();
    const since = Math.min(...waiters.map(w => w.since)) - this.clockSkewMs;
    let listing: { jobs: AapListedJob[]; complete: boolean };
    try {
      listing = await this.options.client.listTemplateJobs(
        template.kind,
        template.id,
        new Date(Math.max(0, since)),
      );
    } catch (error) {
      for (const w of waiters) w.reject(error);
      return;
    }
    const byLaunchId = new Map<string, AapListedJob[]>();
    for (const job of listing.jobs) {
      const id = launchIdFromExtraVars(job.extraVars);
      if (id) byLaunchId.set(id, [...(byLaunchId.get(id) ?? []), job]);
    }
    for (const w of waiters) {
      const found = byLaunchId.get(w.launchID);
      if (found?.length) w.resolve({ found });
      else if (listing.complete) w.resolve({ absent: true, checkedAt });
      else
        w.reject(
          new AapError(
            `AAP holds more jobs of template "${template.name}" since the launch than one look-up reads; cannot tell whether launch ${w.launchID} created a job`,
          ),
        );
    }
  }
}
