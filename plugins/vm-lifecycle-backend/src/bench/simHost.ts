import { ChildProcess, fork } from 'node:child_process';
// The benchmark runs in the dev tree only (it is not reachable from src/index.ts, so it is not part of
// the built plugin); the simulator is a dev dependency like for the integration tests.
// eslint-disable-next-line @backstage/no-undeclared-imports
import {
  createAapSimulator,
  SimFaults,
  SimJobInfo,
  SimVm,
} from '@vm-selfservice/aap-simulator';
import { ProcessFigures, startProcessSampler } from './stats';

export type { SimFaults, SimJobInfo, SimVm };

export interface SimSettings {
  token: string;
  provisionMs: number;
  deprovisionMs: number;
  /** Time in pending + waiting before a job runs. */
  queueDelayMs: number;
  seed: number;
}

export type SimJobStatus =
  'pending' | 'waiting' | 'running' | 'successful' | 'failed' | 'canceled';

/** One state change of a simulated job, stamped with the wall clock at the moment the simulator made it. */
export interface JobTransition {
  jobId: number;
  status: SimJobStatus | 'purged';
  at: number;
  /** Only on the launch (status pending): the template name and the instance `namespace/name`. */
  template?: string;
  instance?: string;
}

/** The simulator as the benchmark drives it: in this process (tests) or in a child process (CLI). */
export interface SimHandle {
  readonly url: string;
  readonly token: string;
  setFaults(faults: SimFaults): Promise<void>;
  jobs(): Promise<SimJobInfo[]>;
  vms(): Promise<SimVm[]>;
  requestCounts(): Promise<Record<string, number>>;
  /** CPU and memory of the simulator's own process; undefined when it shares the benchmark's process. */
  usage(): Promise<ProcessFigures | undefined>;
  onTransition(listener: (t: JobTransition) => void): void;
  close(): Promise<void>;
}

const LAUNCH = /^launched (?:job|workflow_job) (\d+) from "([^"]*)" for (\S+)$/;
const STATUS =
  /^(?:job|workflow_job) (\d+): (pending|waiting|running|successful|failed|canceled)$/;
const PURGE = /^(?:job|workflow_job) (\d+) purged$/;

/**
 * The simulator reports every job transition through its `log` option, synchronously at the moment it
 * happens (jobs.ts: launch, setStatus, purge). Parsing those lines is the only per-transition hook it
 * offers today; a structured `onJobStatusChange` option would be sturdier (see docs/benchmarks.md).
 */
export function parseSimLog(
  message: string,
  at: number,
): JobTransition | undefined {
  let m = STATUS.exec(message);
  if (m) return { jobId: Number(m[1]), status: m[2] as SimJobStatus, at };
  m = LAUNCH.exec(message);
  if (m)
    return {
      jobId: Number(m[1]),
      status: 'pending',
      at,
      template: m[2],
      instance: m[3],
    };
  m = PURGE.exec(message);
  if (m) return { jobId: Number(m[1]), status: 'purged', at };
  return undefined;
}

function createSim(
  settings: SimSettings,
  onTransition: (t: JobTransition) => void,
) {
  return createAapSimulator({
    token: settings.token,
    durations: {
      provisionMs: settings.provisionMs,
      deprovisionMs: settings.deprovisionMs,
    },
    queueDelayMs: settings.queueDelayMs,
    seed: settings.seed,
    log: message => {
      const t = parseSimLog(message, Date.now());
      if (t) onTransition(t);
    },
  });
}

/** The simulator in this process: used by the jest version, where figures of the process are not reported. */
export async function startInProcessSim(
  settings: SimSettings,
): Promise<SimHandle> {
  const listeners: Array<(t: JobTransition) => void> = [];
  const sim = createSim(settings, t => listeners.forEach(l => l(t)));
  const { url } = await sim.listen(0, '127.0.0.1');
  return {
    url,
    token: settings.token,
    setFaults: async faults => sim.setFaults(faults),
    jobs: async () => sim.jobs(),
    vms: async () => sim.vms(),
    requestCounts: async () => sim.requestCounts(),
    usage: async () => undefined,
    onTransition: listener => {
      listeners.push(listener);
    },
    close: () => sim.close(),
  };
}

type ParentMessage = {
  t: 'call';
  id: number;
  method: SimMethod;
  arg?: unknown;
};
type ChildMessage =
  | { t: 'ready'; url: string }
  | { t: 'tr'; items: JobTransition[] }
  | { t: 'res'; id: number; value?: unknown; error?: string };
type SimMethod =
  'setFaults' | 'jobs' | 'vms' | 'requestCounts' | 'usage' | 'close';

/**
 * The simulator in its own process, so the controller process's CPU and memory figures are the
 * controller's alone (the simulator answers every poll; at 1,000 GETs a second it is not free).
 * Transitions come back over IPC with the timestamps taken in the simulator process.
 */
export async function startSimProcess(
  settings: SimSettings,
  entry: { script: string; args: string[] },
): Promise<SimHandle> {
  const child: ChildProcess = fork(entry.script, entry.args, {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const listeners: Array<(t: JobTransition) => void> = [];
  const pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: Error): void }
  >();
  let nextId = 1;
  let exited = false;
  const url = await new Promise<string>((resolve, reject) => {
    child.on('message', (raw: unknown) => {
      const msg = raw as ChildMessage;
      if (msg.t === 'ready') resolve(msg.url);
      else if (msg.t === 'tr')
        for (const item of msg.items) listeners.forEach(l => l(item));
      else if (msg.t === 'res') {
        const waiter = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error !== undefined) waiter?.reject(new Error(msg.error));
        else waiter?.resolve(msg.value);
      }
    });
    child.once('exit', code => {
      exited = true;
      reject(new Error(`simulator process exited with ${code}`));
      for (const waiter of pending.values())
        waiter.reject(new Error(`simulator process exited with ${code}`));
      pending.clear();
    });
    child.send({ t: 'start', settings });
  });
  const call = <T>(method: SimMethod, arg?: unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) {
        reject(new Error('simulator process is gone'));
        return;
      }
      const id = nextId++;
      pending.set(id, { resolve: v => resolve(v as T), reject });
      const message: ParentMessage = { t: 'call', id, method, arg };
      child.send(message);
    });
  return {
    url,
    token: settings.token,
    setFaults: faults => call<void>('setFaults', faults),
    jobs: () => call<SimJobInfo[]>('jobs'),
    vms: () => call<SimVm[]>('vms'),
    requestCounts: () => call<Record<string, number>>('requestCounts'),
    usage: () => call<ProcessFigures>('usage'),
    onTransition: listener => {
      listeners.push(listener);
    },
    async close() {
      if (exited) return;
      const gone = new Promise<void>(resolve =>
        child.once('exit', () => resolve()),
      );
      // The child may die before it answers; its exit, awaited next, is what counts.
      await call<void>('close').catch(() => undefined);
      await gone;
    },
  };
}

/** Entry of the simulator child process (`--child sim`). */
export function runSimChild(): void {
  const buffer: JobTransition[] = [];
  const send = (msg: ChildMessage) => process.send?.(msg);
  const flush = () => {
    if (buffer.length > 0) send({ t: 'tr', items: buffer.splice(0) });
  };
  let sim: ReturnType<typeof createSim> | undefined;
  let sampler: ReturnType<typeof startProcessSampler> | undefined;
  const timer = setInterval(flush, 20);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (raw: unknown) => {
    const msg = raw as ParentMessage | { t: 'start'; settings: SimSettings };
    if (msg.t === 'start') {
      sim = createSim(msg.settings, t => buffer.push(t));
      sampler = startProcessSampler();
      sim.listen(0, '127.0.0.1').then(
        ({ url }) => send({ t: 'ready', url }),
        error => {
          process.stderr.write(`simulator could not listen: ${error}\n`);
          process.exit(1);
        },
      );
      return;
    }
    const s = sim!;
    // Everything that happened before this call reaches the parent before its answer.
    flush();
    const reply = (value?: unknown) => send({ t: 'res', id: msg.id, value });
    try {
      switch (msg.method) {
        case 'setFaults':
          s.setFaults(msg.arg as SimFaults);
          reply();
          break;
        case 'jobs':
          reply(s.jobs());
          break;
        case 'vms':
          reply(s.vms());
          break;
        case 'requestCounts':
          reply(s.requestCounts());
          break;
        case 'usage':
          reply(sampler?.stop());
          sampler = startProcessSampler();
          break;
        case 'close':
          clearInterval(timer);
          s.close().then(() => {
            flush();
            reply();
            process.disconnect?.();
          });
          break;
        default:
          send({
            t: 'res',
            id: msg.id,
            error: `unknown method ${String(msg.method)}`,
          });
      }
    } catch (error) {
      send({
        t: 'res',
        id: msg.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  });
}
