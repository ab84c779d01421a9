import type {
  AnswerFaultRule,
  AnswerFaults,
  RequestKind,
  SimFaults,
} from './types';

export interface InjectedFailure {
  status: number;
  retryAfterSeconds?: number;
}

/** What happens to the answer of a request that was carried out. */
export type AnswerFault =
  | { type: 'lost' }
  | { type: 'slow'; delayMs: number }
  | { type: 'gateway'; status: number };

type AnswerFaultField = 'lostAnswers' | 'slowAnswers' | 'gatewayErrors';
const ANSWER_FAULT_FIELDS: AnswerFaultField[] = [
  'lostAnswers',
  'gatewayErrors',
  'slowAnswers',
];
const GATEWAY_STATUSES = new Set([502, 503, 504]);

/** Statuses for which a real gateway/AWX tells the client when to come back. */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

/**
 * Fault injection state. Counters are consumed one request at a time; rates and latency persist
 * until changed or reset. Purging lives in the job engine because it acts on jobs, not requests.
 */
export class FaultState {
  private faults: Omit<SimFaults, 'purgeJobs' | AnswerFaultField> = {};
  private answerFaults: Record<AnswerFaultField, AnswerFaults> = {
    lostAnswers: {},
    slowAnswers: {},
    gatewayErrors: {},
  };

  /** `random` decides rate-based answer faults; seeded by the simulator so a run can be replayed. */
  constructor(private readonly random: () => number = Math.random) {}

  merge(update: SimFaults): void {
    const {
      purgeJobs: _purgeJobs,
      lostAnswers,
      slowAnswers,
      gatewayErrors,
      ...rest
    } = update;
    const answerUpdates = { lostAnswers, slowAnswers, gatewayErrors };
    for (const field of ANSWER_FAULT_FIELDS) {
      validateAnswerFaults(field, answerUpdates[field]);
    }
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
    for (const field of ANSWER_FAULT_FIELDS) {
      const changes = answerUpdates[field];
      if (!changes) continue;
      const merged: AnswerFaults = { ...this.answerFaults[field] };
      for (const [kind, rule] of Object.entries(changes)) {
        // null (or an empty rule) switches the fault off for that kind.
        if (!rule || (!rule.next && !rule.rate))
          delete merged[kind as RequestKind];
        else merged[kind as RequestKind] = { ...rule };
      }
      this.answerFaults[field] = merged;
    }
  }

  snapshot(): Omit<SimFaults, 'purgeJobs'> {
    const answers: Partial<Record<AnswerFaultField, AnswerFaults>> = {};
    for (const field of ANSWER_FAULT_FIELDS) {
      if (Object.keys(this.answerFaults[field]).length > 0)
        answers[field] = structuredClone(this.answerFaults[field]);
    }
    return {
      ...this.faults,
      ...(answers as Pick<SimFaults, AnswerFaultField>),
    };
  }

  reset(): void {
    this.faults = {};
    this.answerFaults = { lostAnswers: {}, slowAnswers: {}, gatewayErrors: {} };
  }

  /**
   * Decides, for a request of this kind that is about to be carried out, what becomes of its
   * answer. Lost answers win over gateway errors, which win over slow answers.
   */
  takeAnswerFault(kind: RequestKind): AnswerFault | undefined {
    if (this.hits('lostAnswers', kind)) return { type: 'lost' };
    const gateway = this.answerFaults.gatewayErrors[kind] as
      (AnswerFaultRule & { status?: number }) | undefined;
    if (gateway && this.hits('gatewayErrors', kind))
      return { type: 'gateway', status: gateway.status ?? 504 };
    const slow = this.answerFaults.slowAnswers[kind] as
      (AnswerFaultRule & { delayMs: number }) | undefined;
    if (slow && this.hits('slowAnswers', kind))
      return { type: 'slow', delayMs: slow.delayMs };
    return undefined;
  }

  private hits(field: AnswerFaultField, kind: RequestKind): boolean {
    const rule = this.answerFaults[field][kind];
    if (!rule) return false;
    if (rule.next && rule.next > 0) {
      rule.next--;
      return true;
    }
    return (rule.rate ?? 0) > 0 && this.random() < (rule.rate ?? 0);
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

function validateAnswerFaults(
  field: AnswerFaultField,
  faults:
    | AnswerFaults<AnswerFaultRule & { delayMs?: number; status?: number }>
    | undefined,
): void {
  if (faults === undefined || faults === null) return;
  if (typeof faults !== 'object' || Array.isArray(faults))
    throw new TypeError(
      `fault ${field} must be an object keyed by request kind`,
    );
  for (const [kind, rule] of Object.entries(faults)) {
    if (rule === null) continue;
    const where = `fault ${field}.${kind}`;
    if (typeof rule !== 'object')
      throw new TypeError(`${where} must be an object`);
    if (
      rule.next !== undefined &&
      !(Number.isInteger(rule.next) && rule.next >= 0)
    )
      throw new TypeError(`${where}.next must be a non-negative integer`);
    if (
      rule.rate !== undefined &&
      !(typeof rule.rate === 'number' && rule.rate >= 0 && rule.rate <= 1)
    )
      throw new TypeError(`${where}.rate must be between 0 and 1`);
    if (
      field === 'slowAnswers' &&
      !(typeof rule.delayMs === 'number' && rule.delayMs > 0)
    )
      throw new TypeError(
        `${where}.delayMs must be a positive number of milliseconds`,
      );
    if (
      field === 'gatewayErrors' &&
      rule.status !== undefined &&
      !GATEWAY_STATUSES.has(rule.status)
    )
      throw new TypeError(`${where}.status must be 502, 503 or 504`);
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined && v !== null),
  ) as Partial<T>;
}
