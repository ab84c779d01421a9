import { randomUUID } from 'node:crypto';
import type { InstanceRef, VmInventory } from './inventory';
import {
  ansibleOutput,
  HOST,
  PLAYBOOKS,
  PlaybookDefinition,
  simulatedFailureMessage,
  TaskDefinition,
  stripAnsi,
  taskDurations,
} from './playbooks';
import type { Scheduler } from './scheduler';
import type { SimTemplate } from './templates';
import type { SimJobInfo } from './types';
import { iso } from './isoTime';

export type JobStatus =
  'pending' | 'waiting' | 'running' | 'successful' | 'failed' | 'canceled';
export type JobType = 'job' | 'workflow_job';

const FINISHED_STATUSES: ReadonlySet<JobStatus> = new Set([
  'successful',
  'failed',
  'canceled',
]);

export interface JobEvent {
  id: number;
  counter: number;
  event: string;
  created: number;
  uuid: string;
  parentUuid: string;
  play: string;
  task: string;
  taskAction: string;
  host: string;
  stdout: string;
  startLine: number;
  endLine: number;
  failed: boolean;
  changed: boolean;
  res?: Record<string, unknown>;
}

export interface SimJob {
  id: number;
  type: JobType;
  template: SimTemplate;
  status: JobStatus;
  failed: boolean;
  created: number;
  modified: number;
  started: number | null;
  finished: number | null;
  canceledOn: number | null;
  statusChanged: number;
  instance: InstanceRef | null;
  extraVars: Record<string, unknown>;
  playbook: PlaybookDefinition;
  resultTraceback: string;
  jobExplanation: string;
  events: JobEvent[];
  purged: boolean;
}

/**
 * What a playbook does besides its inventory effects, e.g. the EDA playbooks patching the
 * ComputeInstance. The job waits for it like for any task; a rejection fails the task.
 */
export interface JobHooks {
  afterTask?(job: SimJob, task: TaskDefinition): Promise<void> | void;
}

/** Engine-private run state, kept off SimJob so serializers cannot leak it. */
interface RunState {
  hooks?: JobHooks;
  durations: number[];
  queueMs: number;
  taskIndex: number;
  cancelRequested: boolean;
  failAtTask: number | null;
  stats: { ok: number; changed: number; failures: number };
  stdoutLines: number;
  playUuid: string;
  taskUuid: string;
  stopTimer?: () => void;
}

export interface JobEngineDeps {
  scheduler: Scheduler;
  inventory: VmInventory;
  now: () => number;
  random: () => number;
  failureRate: () => number;
  durations: { provisionMs: number; deprovisionMs: number };
  queueDelayMs?: number;
  log: (message: string) => void;
}

/**
 * Runs simulated AWX jobs. Each job owns at most one pending timer (its next transition), so
 * thousands of concurrent jobs cost thousands of cheap timers and nothing runs between transitions.
 */
export class JobEngine {
  private readonly jobsById = new Map<number, SimJob>();
  private readonly runs = new Map<number, RunState>();
  private readonly lastJobByTemplate = new Map<number, SimJob>();
  private readonly inFlight = new Set<Promise<void>>();
  /** AWX draws job and workflow job ids from one unified-job sequence; it never restarts. */
  private nextJobId = 1;
  private nextEventId = 1;

  constructor(private readonly deps: JobEngineDeps) {}

  launch(
    template: SimTemplate,
    extraVars: Record<string, unknown>,
    hooks?: JobHooks,
  ): SimJob {
    const now = this.deps.now();
    const playbook = PLAYBOOKS[template.action];
    const job: SimJob = {
      id: this.nextJobId++,
      type: template.kind === 'workflow' ? 'workflow_job' : 'job',
      template,
      status: 'pending',
      failed: false,
      created: now,
      modified: now,
      started: null,
      finished: null,
      canceledOn: null,
      statusChanged: now,
      instance: instanceFromExtraVars(
        extraVars,
        template.action === 'provision',
      ),
      extraVars,
      playbook,
      resultTraceback: '',
      jobExplanation: '',
      events: [],
      purged: false,
    };
    const totalMs =
      template.action === 'provision'
        ? this.deps.durations.provisionMs
        : this.deps.durations.deprovisionMs;
    const queueMs = Math.min(
      totalMs,
      Math.max(0, this.deps.queueDelayMs ?? Math.round(totalMs * 0.1)),
    );
    const rate = this.deps.failureRate();
    const run: RunState = {
      hooks,
      durations: taskDurations(playbook, totalMs - queueMs),
      queueMs,
      taskIndex: -1,
      cancelRequested: false,
      failAtTask:
        rate > 0 && this.deps.random() < rate
          ? Math.floor(this.deps.random() * playbook.tasks.length)
          : null,
      stats: { ok: 0, changed: 0, failures: 0 },
      stdoutLines: 0,
      playUuid: randomUUID(),
      taskUuid: '',
    };
    this.jobsById.set(job.id, job);
    this.runs.set(job.id, run);
    this.lastJobByTemplate.set(template.id, job);
    this.deps.log(
      `launched ${job.type} ${job.id} from "${template.name}" for ${describeInstance(job.instance)}`,
    );
    this.after(job, Math.floor(queueMs / 2), () => {
      this.setStatus(job, 'waiting');
      this.after(job, queueMs - Math.floor(queueMs / 2), () =>
        this.startRunning(job),
      );
    });
    return job;
  }

  /** A job AWX would still show: purged jobs and jobs of the other type answer 404. */
  get(id: number, type?: JobType): SimJob | undefined {
    const job = this.jobsById.get(id);
    if (!job || job.purged) return undefined;
    if (type && job.type !== type) return undefined;
    return job;
  }

  /**
   * AWX semantics: a job that has not started is canceled on the spot; a running job only gets its
   * cancel flag, and the task already dispatched to the host finishes (with its side effects) first.
   */
  cancel(job: SimJob): 'accepted' | 'alreadyFinished' {
    if (isFinished(job)) return 'alreadyFinished';
    const run = this.runs.get(job.id)!;
    if (job.canceledOn === null) job.canceledOn = this.deps.now();
    if (job.status === 'running') {
      run.cancelRequested = true;
      job.modified = this.deps.now();
      this.deps.log(
        `${job.type} ${job.id}: cancel requested, waiting for the current task to finish`,
      );
    } else {
      run.stopTimer?.();
      this.finish(job, 'canceled');
    }
    return 'accepted';
  }

  /** Purged jobs stop where they are: AWX deleted the record, so nothing can observe them any more. */
  purge(ids: number[]): void {
    for (const id of ids) {
      const job = this.jobsById.get(id);
      if (!job || job.purged) continue;
      job.purged = true;
      this.runs.get(id)?.stopTimer?.();
      this.runs.delete(id);
      this.deps.log(`${job.type} ${id} purged`);
    }
  }

  /** The template's most recent job, for the template's `status` / `last_job_run`. */
  lastJob(templateId: number): SimJob | undefined {
    const job = this.lastJobByTemplate.get(templateId);
    return job && !job.purged ? job : undefined;
  }

  purgedIds(): number[] {
    return [...this.jobsById.values()].filter(j => j.purged).map(j => j.id);
  }

  /** All visible jobs, ascending id (AWX's default list order). */
  visible(): SimJob[] {
    return [...this.jobsById.values()].filter(j => !j.purged);
  }

  stdout(job: SimJob): string {
    const text = job.events
      .map(e => e.stdout)
      .filter(s => s.length > 0)
      .join('\n');
    return text ? `${text}\n` : '';
  }

  infos(): SimJobInfo[] {
    return [...this.jobsById.values()].map(job => toInfo(job));
  }

  /** Forgets every job; ids keep counting so a stale id held by a client cannot alias a new job. */
  clear(): void {
    for (const run of this.runs.values()) run.stopTimer?.();
    this.runs.clear();
    this.jobsById.clear();
    this.lastJobByTemplate.clear();
  }

  private startRunning(job: SimJob): void {
    const run = this.runs.get(job.id)!;
    job.started = this.deps.now();
    this.setStatus(job, 'running');
    this.emit(job, 'playbook_on_start', { stdout: '' });
    this.emit(job, 'playbook_on_play_start', {
      stdout: ansibleOutput.playStart(job.playbook.play),
      uuid: run.playUuid,
    });
    this.startNextTask(job);
  }

  private startNextTask(job: SimJob): void {
    const run = this.runs.get(job.id)!;
    run.taskIndex++;
    const task = job.playbook.tasks[run.taskIndex];
    run.taskUuid = randomUUID();
    this.emit(job, 'playbook_on_task_start', {
      stdout: ansibleOutput.taskStart(task.name),
      task: task.name,
      taskAction: task.module,
      uuid: run.taskUuid,
      parentUuid: run.playUuid,
    });
    this.emit(job, 'runner_on_start', {
      stdout: '',
      task: task.name,
      taskAction: task.module,
      host: HOST,
      parentUuid: run.taskUuid,
    });
    this.after(job, run.durations[run.taskIndex], () => this.finishTask(job));
  }

  private finishTask(job: SimJob): void {
    const run = this.runs.get(job.id)!;
    const task = job.playbook.tasks[run.taskIndex];

    if (task.effect === 'validateRequest' && !job.instance) {
      // What Ansible prints when the template is launched without our extra_vars
      // (e.g. ask_variables_on_launch is off and AWX dropped them).
      this.failTask(
        job,
        "The task includes an option with an undefined variable. The error was: 'ansible_eda' is undefined",
      );
      return;
    }
    if (run.failAtTask === run.taskIndex) {
      this.failTask(job, simulatedFailureMessage(task));
      return;
    }

    let effect: boolean | Promise<boolean>;
    let hooked: void | Promise<void>;
    try {
      effect = this.applyEffect(job, task.effect);
      // The playbook's own steps (e.g. the EDA playbooks patching the resource) run after the effect.
      hooked =
        typeof effect === 'boolean'
          ? run.hooks?.afterTask?.(job, task)
          : undefined;
    } catch (error) {
      this.failTask(job, messageOf(error));
      return;
    }
    if (typeof effect === 'boolean' && !(hooked instanceof Promise)) {
      this.completeTask(job, effect);
      return;
    }
    // Something answers later (a VM backend talking to an API server, a hook calling out): the job
    // waits for it as the real task waits for its module. A reset or purge meanwhile abandons the run.
    const outcome: Promise<boolean> =
      typeof effect === 'boolean'
        ? Promise.resolve(hooked).then(() => effect as boolean)
        : effect.then(async changed => {
            await run.hooks?.afterTask?.(job, task);
            return changed;
          });
    const settled = outcome.then(
      changed => {
        if (this.runs.get(job.id) === run) this.completeTask(job, changed);
      },
      (error: unknown) => {
        if (this.runs.get(job.id) === run) this.failTask(job, messageOf(error));
      },
    );
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  private failTask(job: SimJob, failure: string): void {
    const run = this.runs.get(job.id)!;
    const task = job.playbook.tasks[run.taskIndex];
    run.stats.failures++;
    const fatal = ansibleOutput.failed(failure);
    this.emit(job, 'runner_on_failed', {
      task: task.name,
      taskAction: task.module,
      host: HOST,
      parentUuid: run.taskUuid,
      stdout: fatal,
      failed: true,
      res: { changed: false, msg: failure },
    });
    this.emit(job, 'playbook_on_no_hosts_remaining', {
      stdout: ansibleOutput.noMoreHosts(),
    });
    this.emitStats(job);
    // AWX keeps the traceback as plain text, without the colours of the event stdout.
    job.resultTraceback = `TASK [${task.name}] ${stripAnsi(fatal)}`;
    this.finish(job, run.cancelRequested ? 'canceled' : 'failed');
  }

  private completeTask(job: SimJob, changed: boolean): void {
    const run = this.runs.get(job.id)!;
    const task = job.playbook.tasks[run.taskIndex];
    if (changed) run.stats.changed++;
    run.stats.ok++;
    this.emit(job, 'runner_on_ok', {
      task: task.name,
      taskAction: task.module,
      host: HOST,
      parentUuid: run.taskUuid,
      stdout: ansibleOutput.ok(changed),
      changed,
      res: { changed },
    });

    if (run.cancelRequested) {
      this.emit(job, 'verbose', { stdout: ansibleOutput.interrupted() });
      this.finish(job, 'canceled');
    } else if (run.taskIndex === job.playbook.tasks.length - 1) {
      this.emitStats(job);
      this.finish(job, 'successful');
    } else {
      this.startNextTask(job);
    }
  }

  /** Waits for VM backend calls still in flight (so a closed simulator leaves nothing running). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** Returns whether the task changed something (Ansible's `changed`), now or once the VM backend answered. */
  private applyEffect(
    job: SimJob,
    effect: string | undefined,
  ): boolean | Promise<boolean> {
    const instance = job.instance;
    if (!instance) return false;
    if (effect === 'createVm') {
      const logCreated = (created: boolean) => {
        if (created)
          this.deps.log(
            `VM ${describeInstance(instance)} created by job ${job.id}`,
          );
        return created;
      };
      const created = this.deps.inventory.create(
        instance,
        job.id,
        new Date(this.deps.now()).toISOString(),
      );
      return typeof created === 'boolean'
        ? logCreated(created)
        : created.then(logCreated);
    }
    if (effect === 'deleteVm') {
      const logRemoved = (removed: number) => {
        if (removed)
          this.deps.log(
            `VM ${describeInstance(instance)} deleted by job ${job.id}`,
          );
        return removed > 0;
      };
      const removed = this.deps.inventory.remove(instance);
      return typeof removed === 'number'
        ? logRemoved(removed)
        : removed.then(logRemoved);
    }
    return false;
  }

  private emitStats(job: SimJob): void {
    const run = this.runs.get(job.id)!;
    this.emit(job, 'playbook_on_stats', {
      stdout: ansibleOutput.recap(run.stats),
    });
  }

  private finish(
    job: SimJob,
    status: 'successful' | 'failed' | 'canceled',
  ): void {
    // The run state is only needed while the job can still change; drop it to keep memory flat.
    this.runs.delete(job.id);
    job.finished = this.deps.now();
    // AWX marks canceled jobs failed too; only `successful` has failed=false.
    job.failed = status !== 'successful';
    this.setStatus(job, status);
  }

  private setStatus(job: SimJob, status: JobStatus): void {
    const now = this.deps.now();
    job.status = status;
    job.modified = now;
    job.statusChanged = now;
    this.deps.log(`${job.type} ${job.id}: ${status}`);
  }

  private after(job: SimJob, delayMs: number, fn: () => void): void {
    const run = this.runs.get(job.id)!;
    run.stopTimer = this.deps.scheduler.schedule(delayMs, () => {
      run.stopTimer = undefined;
      if (!job.purged) fn();
    });
  }

  private emit(
    job: SimJob,
    event: string,
    fields: Partial<Omit<JobEvent, 'id' | 'counter' | 'event' | 'created'>>,
  ): void {
    const run = this.runs.get(job.id)!;
    const stdout = fields.stdout ?? '';
    const lineCount = stdout ? stdout.split('\n').length : 0;
    job.events.push({
      id: this.nextEventId++,
      counter: job.events.length + 1,
      event,
      created: this.deps.now(),
      uuid: fields.uuid ?? randomUUID(),
      parentUuid: fields.parentUuid ?? '',
      play: job.playbook.play,
      task: fields.task ?? '',
      taskAction: fields.taskAction ?? '',
      host: fields.host ?? '',
      stdout,
      startLine: run.stdoutLines,
      endLine: run.stdoutLines + lineCount,
      failed: fields.failed ?? false,
      changed: fields.changed ?? false,
      res: fields.res,
    });
    run.stdoutLines += lineCount;
  }
}

export function isFinished(job: SimJob): boolean {
  return FINISHED_STATUSES.has(job.status);
}

/**
 * The playbooks find their target in `ansible_eda.event.payload.metadata`, the shape both the
 * controller (AAP Direct) and an EDA rulebook hand over. A provision needs a uid for the VM it
 * creates, so one is made up when missing; a deprovision without uid matches by name only.
 */
export function instanceFromExtraVars(
  extraVars: Record<string, unknown>,
  assignUid: boolean,
): InstanceRef | null {
  const metadata = pick(extraVars, [
    'ansible_eda',
    'event',
    'payload',
    'metadata',
  ]);
  if (!metadata || typeof metadata !== 'object') return null;
  const { namespace, name, uid } = metadata as Record<string, unknown>;
  if (typeof name !== 'string' || name.length === 0) return null;
  return {
    namespace:
      typeof namespace === 'string' && namespace ? namespace : 'default',
    name,
    uid: typeof uid === 'string' && uid ? uid : inventedUid(assignUid),
  };
}

function inventedUid(assign: boolean): string {
  return assign ? randomUUID() : '';
}

function pick(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function describeInstance(instance: InstanceRef | null): string {
  return instance
    ? `${instance.namespace}/${instance.name}`
    : '(no instance in extra_vars)';
}

function toInfo(job: SimJob): SimJobInfo {
  const info: SimJobInfo = {
    id: job.id,
    type: job.type,
    template: job.template.name,
    status: job.status,
    instance: job.instance ? { ...job.instance } : null,
    created: iso(job.created),
    started: iso(job.started),
    finished: iso(job.finished),
    statusChangedAt: iso(job.statusChanged),
  };
  if (job.canceledOn !== null) info.canceledAt = iso(job.canceledOn);
  if (job.purged) info.purged = true;
  return info;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
