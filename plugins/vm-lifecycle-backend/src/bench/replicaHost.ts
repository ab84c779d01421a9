import { fork } from 'node:child_process';
import {
  apiGroupNames,
  JobState,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import knexFactory from 'knex';
import { AapClient } from '../aap/AapClient';
import { Controller } from '../controller/controller';
import { DatabaseLeaderElector } from '../controller/databaseLease';
import { JobPollingMode } from '../controller/jobTracker';
import { DatabaseEventStore } from '../events/DatabaseEventStore';
import { AapDirectProvider } from '../providers/AapDirectProvider';
import { DatabaseStore } from '../store/DatabaseStore';
import { NewComputeInstance } from '../store/types';

/** What the second replica needs: the benchmark's database and the simulator. */
export interface ReplicaSettings {
  databaseUrl: string;
  simUrl: string;
  token: string;
  pollIntervalMs: number;
  workers: number;
  mode: JobPollingMode;
}

/** For each job: when this replica's watch first showed it at each state rank (0 pending .. 3 final). */
export type JobSightings = Array<[string, Array<number | undefined>]>;

/**
 * The other backend replica of `--replicas 2`, in a process of its own: a database store on its own
 * connection pool with its change feed, and a controller that campaigns for the lease (it stands by
 * while the benchmark's process leads). Half the requests go through it.
 */
export interface ReplicaHandle {
  create(instance: NewComputeInstance): Promise<void>;
  delete(namespace: string, name: string): Promise<void>;
  /** Starts its controller (after the benchmark's own controller holds the lease). */
  startController(): Promise<void>;
  /** What its watch saw of every job, then it stops. */
  finish(): Promise<JobSightings>;
}

type CallBody =
  | { t: 'create'; instance: NewComputeInstance }
  | { t: 'delete'; namespace: string; name: string }
  | { t: 'startController' }
  | { t: 'finish' };
type Call = CallBody & { id: number };
type Answer =
  { t: 'ready' } | { t: 'res'; id: number; value?: unknown; error?: string };

export async function startReplicaProcess(
  script: string,
  settings: ReplicaSettings,
): Promise<ReplicaHandle> {
  const child = fork(script, ['--child', 'replica'], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: Error): void }
  >();
  let nextId = 1;
  await new Promise<void>((resolve, reject) => {
    child.on('message', (raw: unknown) => {
      const msg = raw as Answer;
      if (msg?.t === 'ready') resolve();
      else if (msg?.t === 'res') {
        const waiter = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error !== undefined) waiter?.reject(new Error(msg.error));
        else waiter?.resolve(msg.value);
      }
    });
    child.once('exit', code => {
      const error = new Error(`replica process exited with ${code}`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
    child.send({ t: 'start', settings });
  });
  const call = <T>(message: CallBody): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: v => resolve(v as T), reject });
      child.send({ ...message, id });
    });
  return {
    create: instance => call<void>({ t: 'create', instance }),
    delete: (namespace, name) => call<void>({ t: 'delete', namespace, name }),
    startController: () => call<void>({ t: 'startController' }),
    finish: () => call<JobSightings>({ t: 'finish' }),
  };
}

function rankOf(state: JobState): number {
  switch (state) {
    case 'Pending':
      return 0;
    case 'Waiting':
      return 1;
    case 'Running':
      return 2;
    case 'Succeeded':
    case 'Failed':
    case 'Canceled':
      return 3;
    default:
      return -1;
  }
}

/** Entry of the replica child process (`--child replica`). */
export function runReplicaChild(): void {
  let store: DatabaseStore | undefined;
  let controller: Controller | undefined;
  let destroy: (() => Promise<void>) | undefined;
  let settings: ReplicaSettings | undefined;
  const sightings = new Map<string, Array<number | undefined>>();
  const send = (msg: Answer) => process.send?.(msg);
  const quiet = {
    error() {},
    warn() {},
    info() {},
    debug() {},
    child() {
      return quiet;
    },
  };
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (raw: unknown) => {
    const msg = raw as Call | { t: 'start'; settings: ReplicaSettings };
    if (msg.t === 'start') {
      settings = msg.settings;
      const knex = knexFactory({
        client: 'pg',
        connection: settings.databaseUrl,
      });
      destroy = () => knex.destroy();
      store = await DatabaseStore.create({ knex, logger: quiet });
      store.watch(event => {
        const now = Date.now();
        for (const job of event.object.status.provisioningJobs ?? []) {
          const rank = rankOf(job.state);
          if (rank < 0) continue;
          let seen = sightings.get(job.jobID);
          if (!seen) sightings.set(job.jobID, (seen = []));
          for (let r = 0; r <= rank; r++) seen[r] ??= now;
        }
      });
      await store.ready();
      const client = new AapClient({
        baseUrl: `${settings.simUrl}/api/controller/v2`,
        token: settings.token,
        logger: quiet,
      });
      controller = new Controller({
        store,
        provider: new AapDirectProvider({ client, logger: quiet }),
        events: await DatabaseEventStore.create({ knex, skipMigrations: true }),
        names: apiGroupNames(),
        logger: quiet,
        pollIntervalMs: settings.pollIntervalMs,
        workers: settings.workers,
        jobPolling: settings.mode,
        leaderElector: new DatabaseLeaderElector({ knex, logger: quiet }),
      });
      send({ t: 'ready' });
      return;
    }
    const reply = (value?: unknown) => send({ t: 'res', id: msg.id, value });
    try {
      if (msg.t === 'create') {
        await store!.create(msg.instance);
        reply();
      } else if (msg.t === 'delete') {
        await store!.delete(msg.namespace, msg.name);
        reply();
      } else if (msg.t === 'startController') {
        controller!.start();
        reply();
      } else if (msg.t === 'finish') {
        await controller?.stop();
        await store?.close();
        await destroy?.();
        // Disconnecting only once the answer is out: it would be dropped otherwise.
        process.send?.(
          { t: 'res', id: msg.id, value: [...sightings.entries()] },
          () => process.disconnect?.(),
        );
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
