import { JobOutput } from '@vm-selfservice/plugin-vm-lifecycle-common';

export interface JobOutputCacheOptions {
  /** Reads the whole output of a job from AAP. */
  fetch: (jobID: string) => Promise<string>;
  /** How long one answer (or one failure) of AAP is served for a job. */
  ttlMs: number;
  /** Jobs kept; the least recently read goes first. Default 200. */
  maxEntries?: number;
  /** Characters kept across all jobs; the least recently read go first. Default 64 Mi. */
  maxTotalChars?: number;
  now?: () => number;
}

interface Entry {
  output: Promise<string>;
  /** When AAP's answer (or failure) arrived; undefined while the read is in flight. */
  settledAt?: number;
  chars: number;
}

/**
 * Job output shared by every browser that watches a job: AAP is asked at most once per job per
 * `ttlMs` (counted from its answer), however many portal pages poll it, and concurrent reads wait
 * for the one request in flight. A failure is kept for the same time, so an unreachable AAP is not
 * hammered either: its retries alone can outlast the TTL.
 * Per replica: with N backend replicas AAP sees at most N reads per job per `ttlMs`.
 */
export class JobOutputCache {
  private readonly entries = new Map<string, Entry>();
  private totalChars = 0;
  private readonly maxEntries: number;
  private readonly maxTotalChars: number;
  private readonly now: () => number;

  constructor(private readonly o: JobOutputCacheOptions) {
    this.maxEntries = o.maxEntries ?? 200;
    this.maxTotalChars = o.maxTotalChars ?? 64 * 1024 * 1024;
    this.now = o.now ?? Date.now;
  }

  get(jobID: string): Promise<string> {
    const cached = this.entries.get(jobID);
    if (
      cached &&
      (cached.settledAt === undefined ||
        this.now() - cached.settledAt < this.o.ttlMs)
    ) {
      // Re-inserted: a Map iterates in insertion order, so the front is the least recently read.
      this.entries.delete(jobID);
      this.entries.set(jobID, cached);
      return cached.output;
    }
    if (cached) this.remove(jobID, cached);
    const entry: Entry = { output: this.o.fetch(jobID), chars: 0 };
    this.entries.set(jobID, entry);
    entry.output.then(
      text => {
        entry.settledAt = this.now();
        if (this.entries.get(jobID) !== entry) return;
        entry.chars = text.length;
        this.totalChars += text.length;
        this.evict();
      },
      () => {
        entry.settledAt = this.now();
      },
    );
    this.evict();
    return entry.output;
  }

  private evict() {
    for (const [jobID, entry] of this.entries) {
      if (
        this.entries.size <= this.maxEntries &&
        this.totalChars <= this.maxTotalChars
      )
        return;
      this.remove(jobID, entry);
    }
  }

  private remove(jobID: string, entry: Entry) {
    this.entries.delete(jobID);
    this.totalChars -= entry.chars;
  }
}

/**
 * The end of a long output (where a playbook's recap and its failure are), cut at a line start and
 * headed by a line that says what is missing; a portal page cannot render megabytes of log.
 */
export function capOutput(text: string, maxChars: number): JobOutput {
  if (text.length <= maxChars)
    return { text, totalChars: text.length, truncated: false };
  let tail = text.slice(text.length - maxChars);
  const lineStart = tail.indexOf('\n');
  if (lineStart !== -1 && lineStart < tail.length - 1)
    tail = tail.slice(lineStart + 1);
  const omitted = text.length - tail.length;
  return {
    text: `[${omitted} earlier characters not shown; download the full output to read them]\n${tail}`,
    totalChars: text.length,
    truncated: true,
  };
}
