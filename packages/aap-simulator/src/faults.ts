import type { SimFaults } from './types';

export interface InjectedFailure {
  status: number;
  retryAfterSeconds?: number;
}

/** Statuses for which a real gateway/AWX tells the client when to come back. */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

/**
 * Fault injection state. Counters are consumed one request at a time; rates and latency persist
 * until changed or reset. Purging lives in the job engine because it acts on jobs, not requests.
 */
export class FaultState {
  private faults: Omit<SimFaults, 'purgeJobs'> = {};

  merge(update: SimFaults): void {
    const { purgeJobs: _purgeJobs, ...rest } = update;
    for (const [key, value] of Object.entries(rest)) {
      if (value === undefined || value === null) continue;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new TypeError(`fault ${key} must be a finite number`);
      }
    }
    if (
      rest.jobFailureRate !== undefined &&
      (rest.jobFailureRate < 0 || rest.jobFailureRate > 1)
    ) {
      throw new TypeError('fault jobFailureRate must be between 0 and 1');
    }
    this.faults = { ...this.faults, ...definedOnly(rest) };
  }

  snapshot(): Omit<SimFaults, 'purgeJobs'> {
    return { ...this.faults };
  }

  reset(): void {
    this.faults = {};
  }

  get latencyMs(): number {
    return Math.max(0, this.faults.latencyMs ?? 0);
  }

  get jobFailureRate(): number {
    return this.faults.jobFailureRate ?? 0;
  }

  takeDroppedConnection(): boolean {
    if (
      !this.faults.dropNextConnections ||
      this.faults.dropNextConnections <= 0
    )
      return false;
    this.faults.dropNextConnections--;
    return true;
  }

  takeLaunchFailure(): InjectedFailure | undefined {
    if (!this.faults.failNextLaunches || this.faults.failNextLaunches <= 0)
      return undefined;
    this.faults.failNextLaunches--;
    return this.failure(this.faults.launchStatus);
  }

  takeStatusPollFailure(): InjectedFailure | undefined {
    if (
      !this.faults.failNextStatusPolls ||
      this.faults.failNextStatusPolls <= 0
    )
      return undefined;
    this.faults.failNextStatusPolls--;
    return this.failure(this.faults.statusPollStatus);
  }

  private failure(status: number | undefined): InjectedFailure {
    const code = status ?? 500;
    return RETRY_AFTER_STATUSES.has(code)
      ? { status: code, retryAfterSeconds: this.faults.retryAfterSeconds ?? 1 }
      : { status: code };
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined && v !== null),
  ) as Partial<T>;
}
