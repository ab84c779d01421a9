import { performance } from 'node:perf_hooks';
import { LoggerService } from '@backstage/backend-plugin-api';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  apiGroupNames,
  ComputeInstanceSpec,
  InstanceSignal,
  JobState,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import { AapClient } from '../aap/AapClient';
import { AapRequestStats } from '../aap/types';
import { Controller } from '../controller/controller';
import { DatabaseLeaderElector } from '../controller/databaseLease';
import { BackoffPolicy } from '../controller/decide';
import { JobPollingMode } from '../controller/jobTracker';
import { DatabaseEventStore } from '../events/DatabaseEventStore';
import { AapDirectProvider } from '../providers/AapDirectProvider';
import { publishInstanceSignals } from '../service/publishSignals';
import { DatabaseStore } from '../store/DatabaseStore';
import { NewComputeInstance } from '../store/types';
import {
  checkInvariants,
  invariantsHold,
  InvariantReport,
  isDeprovisionTemplate,
} from './invariants';
import { JobTransition, SimFaults, SimHandle } from './simHost';
import { ReplicaHandle } from './replicaHost';
import {
  ProcessFigures,
  startProcessSampler,
  summarize,
  Summary,
} from './stats';

export type ScenarioKind = 'normal' | 'storm';

export interface ScenarioSettings {
  scenario: ScenarioKind;
  mode: JobPollingMode;
  n: number;
  pollIntervalMs: number;
  workers: number;
  retryBackoff: BackoffPolicy;
  /** Must match the simulator's settings: used to time the deletes that land mid-provision. */
  durations: {
    provisionMs: number;
    deprovisionMs: number;
    queueDelayMs: number;
  };
  /** Storm: the controller is stopped and a new one started on the same store this often. */
  restartEveryMs: number;
  /** Storm: one step of the fault cycle this often. */
  stormStepMs: number;
  /** Storm: how long the burst of each step lasts (every request of its kind fails meanwhile). */
  stormWindowMs: number;
  /** Storm: fraction of the active jobs purged every other step (randomly rounded). */
  purgeFraction: number;
  /** Storm: fraction of launched jobs that fail. */
  jobFailureRate: number;
  timeoutMs: number;
  seed: number;
  /**
   * 0..1: launch and cancel answers lost after AAP did the work (the simulator's lostAnswers fault),
   * in the normal run and throughout the storm.
   */
  lostAnswerRate?: number;
  /** AAP client time-out per request; the settle time after an unknown outcome is twice it. */
  aapTimeoutMs?: number;
  /** The controller's allowance for replica clocks ahead of its own (ControllerOptions.maxClockSkewMs). */
  maxClockSkewMs?: number;
}

/** Lifecycle events that show how lost answers were resolved. */
const RESOLUTION_EVENTS = [
  'LaunchOutcomeUnknown',
  'ProvisionJobAdopted',
  'DeprovisionJobAdopted',
  'LaunchRepeated',
  'LaunchAbandoned',
  'DuplicateJobsForLaunch',
  'CancelOutcomeUnknown',
] as const;

export interface ScenarioDeps {
  knex: Knex;
  storeDescription: string;
  sim: SimHandle;
  /** Progress lines (the CLI prints them; the jest version stays quiet). */
  progress?: (line: string) => void;
  /** Report the CPU and memory of this process (only meaningful when it runs nothing else). */
  measureProcess?: boolean;
  /**
   * `--replicas 2`: the second replica. This process leads; every other request and delete goes
   * through the replica, whose watch (fed by the change feed) gives the freshness at the follower.
   */
  replica?: ReplicaHandle;
}

export interface TickFigures {
  /** Ticks that had at least one job to poll. */
  activeTicks: number;
  allTicks: number;
  meanActiveJobs: number;
  maxActiveJobs: number;
  /** Status requests each tick issued (the tracker's count: one per chunk of 200 in batch mode, one per job in perJob mode). */
  requestsPerTick: Summary;
  /** Status GETs the AAP client sent while a tick ran (retries included; in perJob mode also direct reads of reconciles running meanwhile). */
  aapStatusRequestsPerTick: Summary;
  /** Ticks that issued more than ceil(active / 200) requests. */
  overBatchBudget: number;
  durationMs: Summary;
}

export interface ScenarioResult {
  scenario: ScenarioKind;
  mode: JobPollingMode;
  n: number;
  store: string;
  settings: ScenarioSettings;
  /** All invariants at 0. */
  ok: boolean;
  wallMs: {
    /** From the first request until every instance that is kept is Running. */
    allRunning: number;
    /** From the first request until every instance is gone from the store. */
    allGone: number;
    /** From the deletion of the kept instances until every instance is gone. */
    deletion: number;
  };
  requestToRunningMs: Summary;
  freshnessMs: {
    /** Simulator state change -> the store first shows that state or a later one. */
    store: Summary;
    /** Simulator state change -> the plugin's signal for the write that showed it is published. */
    signal: Summary;
    /**
     * The store figure split by the controller's work-queue length when the change happened
     * (keys waiting + reconciles running): < 50 is a quiet controller, >= 50 a burst of work.
     */
    storeWhileQueueBelow50: Summary;
    storeWhileQueueAtLeast50: Summary;
    /** `--replicas 2`: simulator state change -> the follower replica's watch first shows it. */
    storeAtFollower?: Summary;
    transitions: number;
    unobserved: number;
    aheadOfSimulator: number;
  };
  aap: AapRequestStats & { status: number };
  /** Totals divided by the number of ticks that had jobs to poll. */
  aapPerActiveTick: Record<
    'lookups' | 'launches' | 'status' | 'cancels',
    number
  >;
  ticks: TickFigures;
  tracker: {
    ticks: number;
    tickRequests: number;
    directRequests: number;
    maxTrackedJobs: number;
  };
  simulatorRequests: Record<string, number>;
  process?: ProcessFigures;
  simulatorProcess?: ProcessFigures;
  jobs: {
    provision: number;
    deprovision: number;
    failed: number;
    canceledProvisions: number;
    purged: number;
    /** Instances deleted while the simulator showed their provision job running. */
    deletedWhileProvisionRunning: number;
    /** Instances meant to be deleted mid-provision whose job never ran (deleted once the others were Running). */
    deletedLate: number;
  };
  /** How lost answers were resolved (counts of lifecycle events). */
  lostAnswers: { rate: number; events: Record<string, number> };
  /** faultsScheduled: bursts per kind (each stormWindowMs long), purged jobs. */
  storm?: {
    restarts: number;
    faultsScheduled: Record<string, number>;
    purgeRequests: number;
  };
  logger: { warnings: number; errors: number; samples: string[] };
  invariants: InvariantReport;
}

const NAMESPACE = 'default';

const SPEC: ComputeInstanceSpec = {
  templateID: 'fedora_small',
  image: {
    sourceType: 'registry',
    sourceRef: 'quay.io/containerdisks/fedora:latest',
  },
  cores: 2,
  memoryGiB: 4,
  bootDisk: { sizeGiB: 20 },
  runStrategy: 'Always',
};

/** Counts what the controller logs; prints nothing unless asked (1,000 instances under faults log a lot). */
export class BenchLogger implements LoggerService {
  warnings = 0;
  errors = 0;
  readonly samples: string[] = [];

  constructor(private readonly print?: (line: string) => void) {}

  error(message: string): void {
    this.errors++;
    this.keep('error', message);
  }

  warn(message: string): void {
    this.warnings++;
    this.keep('warn', message);
  }

  info(): void {}

  debug(): void {}

  child(): LoggerService {
    return this;
  }

  private keep(level: string, message: string) {
    if (this.samples.length < 5) this.samples.push(`${level}: ${message}`);
    this.print?.(`${level}: ${message}`);
  }
}

/** mulberry32: a small seeded PRNG, so delete timings and purge choices can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SIM_RANK: Record<string, number> = {
  pending: 0,
  waiting: 1,
  running: 2,
  successful: 3,
  failed: 3,
  canceled: 3,
};

function storeRank(state: JobState): number {
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

interface InstanceRecord {
  name: string;
  /** Kept until everything is Running; the others are deleted while their provision job runs. */
  keeper: boolean;
  uid?: string;
  requestedAt: number;
  runningAt?: number;
  deleteScheduled: boolean;
  deleteRequestedAt?: number;
  provisionStateAtDelete?: string;
  goneAt?: number;
  phase?: string;
  /** When the store first showed the controller's finalizer on it (the controller took it on). */
  finalizedAt?: number;
}

interface StoreJobView {
  key: string;
  /** firstAt[r]: when the store first showed this job in a state of rank >= r. */
  firstAt: Array<number | undefined>;
  rvAt: Array<string | undefined>;
}

interface TickRecord {
  active: number;
  requests: number;
  aapStatusRequests: number;
  durationMs: number;
}

interface Generation {
  controller: Controller;
  client: AapClient;
}

const ALL = 1_000_000;

/**
 * The storm's fault cycle: one burst per step, each a window in which every request of that kind
 * fails (a rate limiter or a failing gateway rejects everything for a while, not every n-th request).
 */
const STORM_CYCLE: Array<{ label: string; on: SimFaults; off: SimFaults }> = [
  {
    label: 'launches answer 429 (Retry-After 1 s)',
    on: { failNextLaunches: ALL, launchStatus: 429, retryAfterSeconds: 1 },
    off: { failNextLaunches: 0 },
  },
  {
    label: 'status polls answer 429 (Retry-After 1 s)',
    on: {
      failNextStatusPolls: ALL,
      statusPollStatus: 429,
      retryAfterSeconds: 1,
    },
    off: { failNextStatusPolls: 0 },
  },
  {
    label: 'status polls answer 500',
    on: { failNextStatusPolls: ALL, statusPollStatus: 500 },
    off: { failNextStatusPolls: 0 },
  },
  {
    label: 'launches answer 500',
    on: { failNextLaunches: ALL, launchStatus: 500 },
    off: { failNextLaunches: 0 },
  },
  {
    label: 'connections dropped',
    on: { dropNextConnections: ALL },
    off: { dropNextConnections: 0 },
  },
  {
    label: 'status polls answer 503 (Retry-After 1 s)',
    on: {
      failNextStatusPolls: ALL,
      statusPollStatus: 503,
      retryAfterSeconds: 1,
    },
    off: { failNextStatusPolls: 0 },
  },
];

/**
 * One benchmark run: the controller on the database store against the simulator over HTTP.
 *
 * N instances are requested at once. Every other one ("kept") must reach Running; the others are
 * deleted at a random moment while their provision job runs (the delete lands before, during or
 * after the task that creates the VM). Once every kept instance is Running, they are all deleted,
 * and the run ends when the store is empty and AAP has no job left running.
 */
export async function runScenario(
  settings: ScenarioSettings,
  deps: ScenarioDeps,
): Promise<ScenarioResult> {
  const { sim, knex } = deps;
  const label = `[${settings.scenario}/${settings.mode}]`;
  const progress = (line: string) => deps.progress?.(`${label} ${line}`);
  const random = seededRandom(settings.seed);
  const names = apiGroupNames();
  const logger = new BenchLogger();
  const sampler = deps.measureProcess ? startProcessSampler() : undefined;

  const store = await DatabaseStore.create({ knex, logger });
  const events = await DatabaseEventStore.create({
    knex,
    skipMigrations: true,
  });

  // ---- what the store and the signals show, as it happens ----------------------------------
  const records = new Map<string, InstanceRecord>();
  const storeJobs = new Map<string, StoreJobView>();
  const published = new Map<string, number>();
  const signals: SignalsService = {
    publish: async signal => {
      const m = signal.message as unknown as InstanceSignal;
      const key = `${m.namespace}/${m.name}@${m.resourceVersion}`;
      if (!published.has(key)) published.set(key, Date.now());
    },
  };
  // The plugin publishes its signals from the store watch (publishInstanceSignals); so does this run.
  const unpublish = publishInstanceSignals(store, signals, names, [
    'group:default/platform-admins',
  ]);
  const unwatch = store.watch(event => {
    const now = Date.now();
    const { metadata, status } = event.object;
    const rec = records.get(metadata.name);
    if (rec) {
      rec.uid ??= metadata.uid;
      rec.phase = status.phase;
      if (metadata.finalizers?.includes(names.finalizer))
        rec.finalizedAt ??= now;
      if (event.type === 'DELETED') rec.goneAt ??= now;
      else if (status.phase === 'Running' && !metadata.deletionTimestamp)
        rec.runningAt ??= now;
    }
    const key = `${metadata.namespace}/${metadata.name}`;
    for (const job of status.provisioningJobs ?? []) {
      const rank = storeRank(job.state);
      if (rank < 0) continue;
      let view = storeJobs.get(job.jobID);
      if (!view) {
        view = { key, firstAt: [], rvAt: [] };
        storeJobs.set(job.jobID, view);
      }
      for (let r = 0; r <= rank; r++) {
        if (view.firstAt[r] === undefined) {
          view.firstAt[r] = now;
          view.rvAt[r] = metadata.resourceVersion;
        }
      }
    }
  });

  // ---- what AAP does, as it happens -----------------------------------------------------------
  const transitions: JobTransition[] = [];
  const jobMeta = new Map<number, { template: string; name: string }>();
  const simStatus = new Map<number, string>();
  const purgedAt = new Map<number, number>();
  const timers = new Set<NodeJS.Timeout>();
  const runningMs =
    settings.durations.provisionMs - settings.durations.queueDelayMs;
  let deletesOpen = true;

  const requestDelete = async (rec: InstanceRecord, provisionJob?: number) => {
    rec.deleteRequestedAt = Date.now();
    if (provisionJob !== undefined)
      rec.provisionStateAtDelete = simStatus.get(provisionJob);
    const viaReplica =
      deps.replica &&
      Number(rec.name.slice(rec.name.lastIndexOf('-') + 1)) % 2 === 1;
    for (let attempt = 0; ; attempt++) {
      try {
        if (viaReplica) await deps.replica!.delete(NAMESPACE, rec.name);
        else await store.delete(NAMESPACE, rec.name);
        return;
      } catch (error) {
        if (attempt >= 5) throw error;
        await sleep(100);
      }
    }
  };
  const deleteFailures: unknown[] = [];
  /** Work-queue length (waiting + in flight) when each job change reached this process. */
  const queueAtChange = new Map<string, number>();
  let queueLength = () => 0;

  sim.onTransition(t => {
    transitions.push(t);
    simStatus.set(t.jobId, t.status);
    queueAtChange.set(`${t.jobId}:${t.status}`, queueLength());
    if (t.status === 'pending' && t.instance && t.template) {
      jobMeta.set(t.jobId, {
        template: t.template,
        name: t.instance.slice(t.instance.indexOf('/') + 1),
      });
    } else if (t.status === 'purged') {
      purgedAt.set(t.jobId, t.at);
    } else if (t.status === 'running' && deletesOpen) {
      const meta = jobMeta.get(t.jobId);
      const rec =
        meta && !isDeprovisionTemplate(meta.template)
          ? records.get(meta.name)
          : undefined;
      if (rec && !rec.keeper && !rec.deleteScheduled) {
        rec.deleteScheduled = true;
        // Anywhere in the first 90 % of the run: before, during or after the "Create VM" task.
        const timer = setTimeout(
          () => {
            timers.delete(timer);
            requestDelete(rec, t.jobId).catch(e => deleteFailures.push(e));
          },
          random() * 0.9 * runningMs,
        );
        timers.add(timer);
      }
    }
  });

  // ---- the controller, restartable -------------------------------------------------------------
  const ticks: TickRecord[] = [];
  const retired: Generation[] = [];
  const resolutionEvents: Record<string, number> = {};
  const lostAnswerRate = settings.lostAnswerRate ?? 0;
  if (lostAnswerRate > 0) {
    await sim.setFaults({
      lostAnswers: {
        launch: { rate: lostAnswerRate },
        cancel: { rate: lostAnswerRate },
      },
    });
  }
  const startGeneration = (): Generation => {
    const aapTimeoutMs = settings.aapTimeoutMs ?? 30_000;
    const client = new AapClient({
      baseUrl: `${sim.url}/api/controller/v2`,
      token: sim.token,
      logger,
      timeoutMs: aapTimeoutMs,
    });
    const controller = new Controller({
      store,
      provider: new AapDirectProvider({ client, logger }),
      events,
      names,
      logger,
      pollIntervalMs: settings.pollIntervalMs,
      workers: settings.workers,
      jobPolling: settings.mode,
      retryBackoff: settings.retryBackoff,
      configErrorRetryMs: 1000,
      unknownOutcomeSettleMs: 2 * aapTimeoutMs,
      maxClockSkewMs: settings.maxClockSkewMs,
      leaderElector: new DatabaseLeaderElector({ knex, logger }),
      onEvent: async (_instance, event) => {
        if ((RESOLUTION_EVENTS as readonly string[]).includes(event.reason))
          resolutionEvents[event.reason] =
            (resolutionEvents[event.reason] ?? 0) + 1;
      },
    });
    instrumentTicks(controller, client, ticks);
    controller.start();
    return { controller, client };
  };

  const t0 = Date.now();
  let current = startGeneration();
  if (deps.replica) {
    // This process leads, so the controller figures are the leader's; the replica stands by.
    const leadBy = Date.now() + 30_000;
    while (!current.controller.isLeading() && Date.now() < leadBy)
      await sleep(50);
    if (!current.controller.isLeading())
      throw new Error('the benchmark controller did not get the lease');
    await deps.replica.startController();
    progress('second replica started (standing by)');
  }
  queueLength = () =>
    current.controller.queue.length + current.controller.queue.inFlight;
  let restarts = 0;
  let purgeRequests = 0;
  const faultsScheduled: Record<string, number> = {};

  // ---- storm: faults throughout, restarts every restartEveryMs ----------------------------------
  let stormRunning = settings.scenario === 'storm';
  let stormLoop: Promise<void> = Promise.resolve();
  if (stormRunning) {
    await sim.setFaults({ jobFailureRate: settings.jobFailureRate });
    stormLoop = (async () => {
      let step = 0;
      let lastRestart = Date.now();
      while (stormRunning) {
        await sleep(settings.stormStepMs - settings.stormWindowMs);
        if (!stormRunning) break;
        const burst = STORM_CYCLE[step % STORM_CYCLE.length];
        await sim.setFaults(burst.on);
        await sleep(settings.stormWindowMs);
        await sim.setFaults(burst.off);
        faultsScheduled[burst.label] = (faultsScheduled[burst.label] ?? 0) + 1;
        if (step % 2 === 1) {
          const active = (await sim.jobs()).filter(
            j =>
              !j.purged && ['pending', 'waiting', 'running'].includes(j.status),
          );
          // Expected value active * purgeFraction, rounded at random: a lone job is not purged every time.
          const share = active.length * settings.purgeFraction;
          const howMany = Math.min(
            active.length,
            Math.floor(share) + (random() < share - Math.floor(share) ? 1 : 0),
          );
          const ids: number[] = [];
          for (let i = 0; i < howMany; i++) {
            const pick = active.splice(
              Math.floor(random() * active.length),
              1,
            )[0];
            if (pick) ids.push(pick.id);
          }
          if (ids.length) {
            await sim.setFaults({ purgeJobs: ids });
            purgeRequests += ids.length;
            faultsScheduled['purged jobs'] =
              (faultsScheduled['purged jobs'] ?? 0) + ids.length;
          }
        }
        if (Date.now() - lastRestart >= settings.restartEveryMs) {
          const old = current;
          await old.controller.stop();
          retired.push(old);
          current = startGeneration();
          restarts++;
          lastRestart = Date.now();
          progress(`controller restarted (${restarts})`);
        }
        step++;
      }
    })();
  }

  // ---- the run ----------------------------------------------------------------------------------
  const deadline = t0 + settings.timeoutMs;
  const all: InstanceRecord[] = [];
  for (let i = 0; i < settings.n; i++) {
    const rec: InstanceRecord = {
      name: `bench-${String(i).padStart(5, '0')}`,
      keeper: i % 2 === 0,
      requestedAt: 0,
      deleteScheduled: false,
    };
    records.set(rec.name, rec);
    all.push(rec);
  }
  const keepers = all.filter(r => r.keeper);
  const status = () => {
    const running = keepers.filter(r => r.runningAt !== undefined).length;
    const gone = all.filter(r => r.goneAt !== undefined).length;
    const { tracker, queue } = current.controller;
    return `${((Date.now() - t0) / 1000).toFixed(1)} s: Running ${running}/${keepers.length}, gone ${gone}/${all.length}, jobs polled ${tracker.trackedCount}, queue ${queue.length}`;
  };
  const progressTimer = setInterval(() => progress(status()), 5000);
  progressTimer.unref?.();

  let failure: Error | undefined;
  let allRunningAt = 0;
  let deletionStartedAt = 0;
  let allGoneAt = 0;
  let deletedLate = 0;
  try {
    progress(`requesting ${settings.n} instances`);
    await Promise.all(
      all.map((rec, i) => {
        rec.requestedAt = Date.now();
        const target =
          deps.replica && i % 2 === 1
            ? { create: (x: NewComputeInstance) => deps.replica!.create(x) }
            : store;
        return target.create({
          metadata: {
            name: rec.name,
            namespace: NAMESPACE,
            annotations: {
              [names.requestedByAnnotation]: `user:default/bench-user-${i % 100}`,
              [names.ownerAnnotation]: `group:default/team-${i % 20}`,
            },
          },
          spec: SPEC,
        });
      }),
    );
    progress(`${settings.n} instances stored after ${Date.now() - t0} ms`);

    await waitUntil(
      () => keepers.every(r => r.runningAt !== undefined),
      deadline,
      'every kept instance to be Running',
      () => stuck(keepers.filter(r => r.runningAt === undefined)),
    );
    allRunningAt = Date.now();
    progress(
      `all ${keepers.length} kept instances Running after ${allRunningAt - t0} ms`,
    );

    deletesOpen = false;
    const late = all.filter(r => !r.keeper && !r.deleteScheduled);
    deletedLate = late.length;
    // At large N the work queue may not have reached some of them yet. Deleting one before the
    // controller took it on removes it at once, correctly (no job, no VM), but then it is not
    // the delete-while-provisioning case it stands for: wait until the controller has it.
    await waitUntil(
      () => late.every(r => r.finalizedAt !== undefined),
      deadline,
      'the controller to take on every instance still to be deleted',
      () => stuck(late.filter(r => r.finalizedAt === undefined)),
    );
    deletionStartedAt = Date.now();
    await Promise.all([...late, ...keepers].map(r => requestDelete(r)));
    await waitUntil(
      () => all.every(r => r.goneAt !== undefined),
      deadline,
      'every instance to be gone',
      () => stuck(all.filter(r => r.goneAt === undefined)),
    );
    allGoneAt = Date.now();
    progress(`all ${all.length} instances gone after ${allGoneAt - t0} ms`);
    if (deleteFailures.length) throw deleteFailures[0];
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
  } finally {
    clearInterval(progressTimer);
    stormRunning = false;
    for (const timer of timers) clearTimeout(timer);
  }
  await stormLoop;
  if (!failure) {
    // AAP may still be finishing a canceled job; the invariants look at AAP once it is quiet.
    const quietBy = Date.now() + settings.durations.provisionMs * 2 + 5000;
    while (Date.now() < quietBy) {
      const active = (await sim.jobs()).filter(
        j => !j.purged && ['pending', 'waiting', 'running'].includes(j.status),
      );
      if (active.length === 0) break;
      await sleep(200);
    }
  }
  await current.controller.stop();
  retired.push(current);
  const followerSightings = deps.replica
    ? new Map(await deps.replica.finish())
    : undefined;
  const processFigures = sampler?.stop();
  unwatch();
  unpublish();

  // ---- figures ----------------------------------------------------------------------------------
  const [simJobs, vms, simulatorRequests, simulatorProcess, remaining] =
    await Promise.all([
      sim.jobs(),
      sim.vms(),
      sim.requestCounts(),
      sim.usage(),
      store.list(),
    ]);
  const invariants = checkInvariants({
    jobs: simJobs,
    vms,
    remaining: remaining.map(r => ({ ...r.metadata, phase: r.status.phase })),
    neverRunning: keepers
      .filter(r => r.runningAt === undefined)
      .map(r => r.name),
    purgedAt,
    created: all
      .filter(r => r.uid)
      .map(r => ({ uid: r.uid!, label: `${NAMESPACE}/${r.name}` })),
  });
  if (failure) invariants.details.unshift(failure.message);

  const storeDelays: number[] = [];
  const quietDelays: number[] = [];
  const busyDelays: number[] = [];
  const signalDelays: number[] = [];
  const followerDelays: number[] = [];
  let observed = 0;
  let unobserved = 0;
  let ahead = 0;
  for (const t of transitions) {
    if (t.status === 'pending' || t.status === 'purged') continue;
    const rank = SIM_RANK[t.status];
    const followerAt = followerSightings?.get(String(t.jobId))?.[rank];
    if (followerAt !== undefined && followerAt >= t.at)
      followerDelays.push(followerAt - t.at);
    const view = storeJobs.get(String(t.jobId));
    const at = view?.firstAt[rank];
    if (view === undefined || at === undefined) {
      unobserved++;
      continue;
    }
    observed++;
    if (at < t.at) {
      ahead++;
      continue;
    }
    storeDelays.push(at - t.at);
    if ((queueAtChange.get(`${t.jobId}:${t.status}`) ?? 0) < 50)
      quietDelays.push(at - t.at);
    else busyDelays.push(at - t.at);
    const signalAt = published.get(`${view.key}@${view.rvAt[rank]}`);
    if (signalAt !== undefined) signalDelays.push(signalAt - t.at);
  }

  const aap = sumStats(retired.map(g => g.client.stats()));
  const trackerStats = retired.map(g => g.controller.tracker.stats());
  const activeTicks = ticks.length;
  const perTick = (v: number) =>
    activeTicks ? Math.round((v / activeTicks) * 100) / 100 : 0;
  const statusRequests = aap.statusPolls + aap.batchPolls;
  const provisionJobs = simJobs.filter(j => !isDeprovisionTemplate(j.template));

  return {
    scenario: settings.scenario,
    mode: settings.mode,
    n: settings.n,
    store: deps.storeDescription,
    settings,
    ok: !failure && invariantsHold(invariants),
    wallMs: {
      allRunning: allRunningAt ? allRunningAt - t0 : -1,
      allGone: allGoneAt ? allGoneAt - t0 : -1,
      deletion: allGoneAt ? allGoneAt - deletionStartedAt : -1,
    },
    requestToRunningMs: summarize(
      keepers
        .filter(r => r.runningAt !== undefined)
        .map(r => r.runningAt! - r.requestedAt),
    ),
    freshnessMs: {
      store: summarize(storeDelays),
      signal: summarize(signalDelays),
      storeWhileQueueBelow50: summarize(quietDelays),
      storeWhileQueueAtLeast50: summarize(busyDelays),
      ...(followerSightings
        ? { storeAtFollower: summarize(followerDelays) }
        : {}),
      transitions: observed + unobserved,
      unobserved,
      aheadOfSimulator: ahead,
    },
    aap: { ...aap, status: statusRequests },
    aapPerActiveTick: {
      lookups: perTick(aap.lookups),
      launches: perTick(aap.launches),
      status: perTick(statusRequests),
      cancels: perTick(aap.cancels),
    },
    ticks: {
      activeTicks,
      allTicks: trackerStats.reduce((s, t) => s + t.ticks, 0),
      meanActiveJobs: activeTicks
        ? Math.round(ticks.reduce((s, t) => s + t.active, 0) / activeTicks)
        : 0,
      maxActiveJobs: Math.max(0, ...ticks.map(t => t.active)),
      requestsPerTick: summarize(ticks.map(t => t.requests)),
      aapStatusRequestsPerTick: summarize(ticks.map(t => t.aapStatusRequests)),
      overBatchBudget: ticks.filter(t => t.requests > Math.ceil(t.active / 200))
        .length,
      durationMs: summarize(ticks.map(t => t.durationMs)),
    },
    tracker: {
      ticks: trackerStats.reduce((s, t) => s + t.ticks, 0),
      tickRequests: trackerStats.reduce((s, t) => s + t.tickRequests, 0),
      directRequests: trackerStats.reduce((s, t) => s + t.directRequests, 0),
      maxTrackedJobs: Math.max(0, ...trackerStats.map(t => t.maxTrackedJobs)),
    },
    simulatorRequests,
    process: processFigures,
    simulatorProcess,
    jobs: {
      provision: provisionJobs.length,
      deprovision: simJobs.length - provisionJobs.length,
      failed: simJobs.filter(j => j.status === 'failed').length,
      canceledProvisions: provisionJobs.filter(j => j.status === 'canceled')
        .length,
      purged: simJobs.filter(j => j.purged).length,
      deletedWhileProvisionRunning: all.filter(
        r => r.provisionStateAtDelete === 'running',
      ).length,
      deletedLate,
    },
    lostAnswers: { rate: lostAnswerRate, events: resolutionEvents },
    storm:
      settings.scenario === 'storm'
        ? { restarts, faultsScheduled, purgeRequests }
        : undefined,
    logger: {
      warnings: logger.warnings,
      errors: logger.errors,
      samples: logger.samples,
    },
    invariants,
  };

  async function stuck(list: InstanceRecord[]): Promise<string> {
    const lines: string[] = [];
    for (const rec of list.slice(0, 5)) {
      const obj = await store.get(NAMESPACE, rec.name);
      const jobs = (obj?.status.provisioningJobs ?? [])
        .map(j => `${j.type} ${j.jobID} ${j.state}`)
        .join(', ');
      lines.push(
        `${rec.name}: phase ${obj?.status.phase ?? 'gone'}${obj?.metadata.deletionTimestamp ? ' (deleting)' : ''}, jobs [${jobs}]`,
      );
    }
    return `${list.length} stuck, e.g. ${lines.join('; ')}`;
  }
}

/**
 * Per-tick figures: JobTracker.stats() only has totals, so each tick of the tracker is wrapped to
 * note how many jobs it had to poll and how many requests it made.
 */
function instrumentTicks(
  controller: Controller,
  client: AapClient,
  out: TickRecord[],
): void {
  const tracker = controller.tracker;
  const tick = tracker.tick.bind(tracker);
  tracker.tick = async () => {
    const active = tracker.trackedCount;
    const before = tracker.stats().tickRequests;
    const c0 = client.stats();
    const started = performance.now();
    try {
      await tick();
    } finally {
      if (active > 0) {
        const c1 = client.stats();
        out.push({
          active,
          requests: tracker.stats().tickRequests - before,
          aapStatusRequests:
            c1.batchPolls - c0.batchPolls + (c1.statusPolls - c0.statusPolls),
          durationMs: Math.round(performance.now() - started),
        });
      }
    }
  };
}

function sumStats(all: AapRequestStats[]): AapRequestStats {
  const total: AapRequestStats = {
    lookups: 0,
    jobLookups: 0,
    launches: 0,
    statusPolls: 0,
    batchPolls: 0,
    cancels: 0,
    stdout: 0,
    events: 0,
    retries: 0,
    total: 0,
  };
  for (const s of all) {
    for (const key of Object.keys(total) as Array<keyof AapRequestStats>)
      total[key] += s[key];
  }
  return total;
}

async function waitUntil(
  done: () => boolean,
  deadline: number,
  what: string,
  explain: () => Promise<string>,
): Promise<void> {
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}: ${await explain()}`);
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
