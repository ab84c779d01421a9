import type { RequestKind } from './types';

const KINDS: RequestKind[] = [
  'template_lookup',
  'launch',
  'job_status',
  'batch_status',
  'cancel',
  'stdout',
  'job_events',
  'eda_post',
  'job_lookup',
  'other',
];

/** Per-kind request counts, so a benchmark can show how much polling a client really does. */
export class RequestCounter {
  private counts = new Map<RequestKind, number>();

  add(kind: RequestKind): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(
      KINDS.map(kind => [kind, this.counts.get(kind) ?? 0]),
    );
  }

  reset(): void {
    this.counts = new Map();
  }
}
