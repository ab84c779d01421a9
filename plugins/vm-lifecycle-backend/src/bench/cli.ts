import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { JobPollingMode } from '../controller/jobTracker';
import { BenchStoreKind, openBenchDatabase } from './database';
import {
  ListLatencyResult,
  ListLatencySettings,
  runListLatency,
} from './listLatency';
import {
  evaluateTargets,
  listTable,
  scenarioTable,
  targetsTable,
} from './report';
import {
  runScenario,
  ScenarioKind,
  ScenarioResult,
  ScenarioSettings,
} from './scenario';
import { runSimChild, SimSettings, startSimProcess } from './simHost';
import { runReplicaChild, startReplicaProcess } from './replicaHost';

export const USAGE = `Usage: npm run bench -- [options]

  --n <count>               instances per run (default 1000)
  --store sqlite|postgres   database store (default sqlite, in memory as in app-config.yaml);
                            postgres creates and drops a fresh database on the server of
                            --postgres-url, $BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING
                            or postgresql://postgres@127.0.0.1:5432/test
  --replicas 1|2            2: a second backend replica in its own process on the same PostgreSQL
                            database (needs --store postgres; normal run only); half the requests
                            go through it, and its watch measures freshness at the follower
  --storm                   also run the storm (faults throughout, controller restarts) in both modes
  --only <list>             run only these parts: normal,storm,list (default normal,list; with --storm normal,storm,list)
  --modes <list>            polling modes (default batch,perJob)
  --json <file>             also write the figures as JSON (one object per mode and scenario)
  --poll-ms <ms>            controller poll interval, the same in both modes (default 1000)
  --workers <n>             reconcile workers (default 4, the plugin's default)
  --provision-ms <ms>       simulated provision job run time (default 20000, the simulator's default)
  --deprovision-ms <ms>     simulated deprovision job run time (default 8000)
  --queue-ms <ms>           time a job spends pending + waiting (default 2000)
  --restart-every-ms <ms>   storm: controller restart interval (default 20000)
  --failure-rate <0..1>     storm: fraction of jobs that fail (default 0.3)
  --lost-answers <0..1>     launch and cancel answers lost after AAP did the work, at this rate,
                            in the normal run and throughout the storm (default 0)
  --aap-timeout-ms <ms>     AAP client time-out per request (default 30000); the controller's
                            settle time after an unknown outcome is twice it
  --list-instances <n>      instances stored for the GET /instances measurement (default 10000)
  --list-requests <n>       requests per list query (default 200)
  --timeout-min <min>       give up on a run after this long (default 15)
  --seed <n>                seed of the simulator and of the delete/purge choices (default 1)
`;

export interface BenchOptions {
  n: number;
  replicas: 1 | 2;
  store: BenchStoreKind;
  postgresUrl?: string;
  parts: Array<ScenarioKind | 'list'>;
  modes: JobPollingMode[];
  json?: string;
  pollMs: number;
  workers: number;
  provisionMs: number;
  deprovisionMs: number;
  queueMs: number;
  restartEveryMs: number;
  failureRate: number;
  lostAnswers: number;
  aapTimeoutMs: number;
  listInstances: number;
  listRequests: number;
  timeoutMin: number;
  seed: number;
}

export function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = {
    n: 1000,
    replicas: 1,
    store: 'sqlite',
    parts: ['normal', 'list'],
    modes: ['batch', 'perJob'],
    pollMs: 1000,
    workers: 4,
    provisionMs: 20_000,
    deprovisionMs: 8000,
    queueMs: 2000,
    restartEveryMs: 20_000,
    failureRate: 0.3,
    lostAnswers: 0,
    aapTimeoutMs: 30_000,
    listInstances: 10_000,
    listRequests: 200,
    timeoutMin: 15,
    seed: 1,
  };
  let storm = false;
  let only: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline !== undefined ? inline : argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n\n${USAGE}`);
      return v;
    };
    const num = () => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0)
        throw new Error(`${flag} needs a non-negative number\n\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--n':
        o.n = Math.round(num());
        break;
      case '--store': {
        const v = value();
        if (v !== 'sqlite' && v !== 'postgres')
          throw new Error(`--store must be sqlite or postgres\n\n${USAGE}`);
        o.store = v;
        break;
      }
      case '--replicas': {
        const v = value();
        if (v !== '1' && v !== '2')
          throw new Error(`--replicas must be 1 or 2\n\n${USAGE}`);
        o.replicas = v === '2' ? 2 : 1;
        break;
      }
      case '--postgres-url':
        o.postgresUrl = value();
        break;
      case '--storm':
        storm = true;
        break;
      case '--only':
        only = value().split(',');
        break;
      case '--modes': {
        const modes = value().split(',');
        if (modes.some(m => m !== 'batch' && m !== 'perJob'))
          throw new Error(`--modes takes batch and/or perJob\n\n${USAGE}`);
        o.modes = modes as JobPollingMode[];
        break;
      }
      case '--json':
        o.json = value();
        break;
      case '--poll-ms':
        o.pollMs = num();
        break;
      case '--workers':
        o.workers = Math.max(1, Math.round(num()));
        break;
      case '--provision-ms':
        o.provisionMs = num();
        break;
      case '--deprovision-ms':
        o.deprovisionMs = num();
        break;
      case '--queue-ms':
        o.queueMs = num();
        break;
      case '--restart-every-ms':
        o.restartEveryMs = num();
        break;
      case '--failure-rate':
        o.failureRate = Math.min(1, num());
        break;
      case '--lost-answers':
        o.lostAnswers = Math.min(1, num());
        break;
      case '--aap-timeout-ms':
        o.aapTimeoutMs = Math.max(1, num());
        break;
      case '--list-instances':
        o.listInstances = Math.round(num());
        break;
      case '--list-requests':
        o.listRequests = Math.max(1, Math.round(num()));
        break;
      case '--timeout-min':
        o.timeoutMin = num();
        break;
      case '--seed':
        o.seed = Math.round(num());
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option ${argv[i]}\n\n${USAGE}`);
    }
  }
  if (only) {
    if (only.some(p => !['normal', 'storm', 'list'].includes(p)))
      throw new Error(`--only takes normal, storm and/or list\n\n${USAGE}`);
    o.parts = only as BenchOptions['parts'];
  } else if (storm) {
    o.parts = ['normal', 'storm', 'list'];
  }
  if (o.replicas === 2 && o.store !== 'postgres')
    throw new Error(
      '--replicas 2 needs --store postgres (SQLite is one process)',
    );
  if (o.replicas === 2 && o.parts.includes('storm'))
    throw new Error(
      '--replicas 2 runs the normal scenario only (--only normal,list)',
    );
  if (o.queueMs >= o.provisionMs)
    throw new Error('--queue-ms must be shorter than --provision-ms');
  return o;
}

export function scenarioSettings(
  o: BenchOptions,
  scenario: ScenarioKind,
  mode: JobPollingMode,
): ScenarioSettings {
  return {
    scenario,
    mode,
    n: o.n,
    pollIntervalMs: o.pollMs,
    workers: o.workers,
    retryBackoff: { baseMs: 1000, maxMs: 8000 },
    durations: {
      provisionMs: o.provisionMs,
      deprovisionMs: o.deprovisionMs,
      queueDelayMs: o.queueMs,
    },
    restartEveryMs: o.restartEveryMs,
    stormStepMs: 1000,
    stormWindowMs: 300,
    purgeFraction: 0.01,
    jobFailureRate: o.failureRate,
    timeoutMs: o.timeoutMin * 60_000,
    seed: o.seed,
    lostAnswerRate: o.lostAnswers,
    aapTimeoutMs: o.aapTimeoutMs,
  };
}

function simSettings(o: BenchOptions): SimSettings {
  return {
    token: 'bench-aap-token',
    provisionMs: o.provisionMs,
    deprovisionMs: o.deprovisionMs,
    queueDelayMs: o.queueMs,
    seed: o.seed,
  };
}

type ChildRequest =
  | {
      t: 'scenario';
      settings: ScenarioSettings;
      sim: SimSettings;
      store: BenchStoreKind;
      postgresUrl?: string;
      replicas: 1 | 2;
    }
  | {
      t: 'list';
      settings: ListLatencySettings;
      store: BenchStoreKind;
      postgresUrl?: string;
    };
type ChildAnswer =
  { t: 'result'; result: unknown } | { t: 'error'; message: string };

/** Runs one part in a fresh child process, so CPU and peak RSS belong to that part alone. */
function runInChild<T>(script: string, request: ChildRequest): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(script, ['--child', request.t], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    let answered = false;
    child.on('message', (raw: unknown) => {
      const answer = raw as ChildAnswer;
      // The TypeScript transform also talks over this channel ({ type: 'watch' }); only answers count.
      if (answer?.t !== 'result' && answer?.t !== 'error') return;
      answered = true;
      if (answer.t === 'result') resolve(answer.result as T);
      else reject(new Error(answer.message));
    });
    child.once('exit', code => {
      if (!answered)
        reject(
          new Error(
            `benchmark child process exited with ${code} before answering`,
          ),
        );
    });
    child.send(request);
  });
}

/** Entry of a `--child scenario|list` process: one part, then exit. */
function runChild(script: string): void {
  process.once('message', async (raw: unknown) => {
    const request = raw as ChildRequest;
    const send = (answer: ChildAnswer) =>
      new Promise<void>(resolve => process.send!(answer, () => resolve()));
    const db = await openBenchDatabase(request.store, request.postgresUrl);
    const cleanup = async () => {
      await db
        .destroy()
        .catch(e =>
          console.error(`could not drop the benchmark database: ${e}`),
        );
    };
    process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
    process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));
    const log = (line: string) => console.log(line);
    try {
      if (request.t === 'scenario') {
        const sim = await startSimProcess(request.sim, {
          script,
          args: ['--child', 'sim'],
        });
        try {
          const replica =
            request.replicas === 2
              ? await startReplicaProcess(script, {
                  databaseUrl: db.url!,
                  simUrl: sim.url,
                  token: sim.token,
                  pollIntervalMs: request.settings.pollIntervalMs,
                  workers: request.settings.workers,
                  mode: request.settings.mode,
                })
              : undefined;
          const result = await runScenario(request.settings, {
            knex: db.knex,
            storeDescription: `${db.description}${replica ? ', 2 replicas' : ''}`,
            sim,
            progress: log,
            measureProcess: true,
            replica,
          });
          await send({ t: 'result', result });
        } finally {
          await sim.close();
        }
      } else {
        const result = await runListLatency(request.settings, {
          knex: db.knex,
          storeDescription: db.description,
          progress: log,
        });
        await send({ t: 'result', result });
      }
    } catch (error) {
      await send({
        t: 'error',
        message:
          error instanceof Error
            ? (error.stack ?? error.message)
            : String(error),
      });
    } finally {
      await cleanup();
      process.exit(0);
    }
  });
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 1e9),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/**
 * The benchmark CLI. `script` is the entry file (bench/run.ts): every run forks it again with
 * `--child`, so each mode runs in a fresh process and the simulator in a process of its own.
 * Resolves to the exit code, or to undefined for a child process that must stay alive.
 */
export async function main(
  argv: string[],
  script: string,
): Promise<number | undefined> {
  const childAt = argv.indexOf('--child');
  if (childAt >= 0) {
    if (argv[childAt + 1] === 'sim') runSimChild();
    else if (argv[childAt + 1] === 'replica') runReplicaChild();
    else runChild(script);
    return undefined;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let o: BenchOptions;
  try {
    o = parseArgs(argv);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const started = Date.now();
  const m = machine();
  console.log(
    `vm-lifecycle benchmark: N = ${o.n}, store ${o.store}${o.replicas === 2 ? ' (2 replicas)' : ''}, parts ${o.parts.join(', ')}, modes ${o.modes.join(', ')}, poll ${o.pollMs} ms${o.lostAnswers ? `, lost launch/cancel answers ${o.lostAnswers}` : ''}`,
  );
  console.log(
    `machine: ${m.cpus} x ${m.cpuModel}, ${m.memoryGB} GB, node ${m.node}, ${m.platform}`,
  );

  // Other work on the machine slows every timing; the load average is recorded with the figures.
  const load: number[] = [os.loadavg()[0]];
  const loadTimer = setInterval(() => load.push(os.loadavg()[0]), 5000);
  loadTimer.unref?.();

  const runs: ScenarioResult[] = [];
  const errors: string[] = [];
  for (const scenario of ['normal', 'storm'] as const) {
    if (!o.parts.includes(scenario)) continue;
    for (const mode of o.modes) {
      console.log(`\n--- ${scenario} / ${mode} ---`);
      try {
        const result = await runInChild<ScenarioResult>(script, {
          t: 'scenario',
          settings: scenarioSettings(o, scenario, mode),
          sim: simSettings(o),
          store: o.store,
          postgresUrl: o.postgresUrl,
          replicas: o.replicas,
        });
        runs.push(result);
        if (!result.ok) {
          errors.push(
            `${scenario}/${mode}: invariants violated: ${result.invariants.details.slice(0, 5).join('; ')}`,
          );
        }
      } catch (error) {
        errors.push(
          `${scenario}/${mode}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
  let list: ListLatencyResult | undefined;
  if (o.parts.includes('list') && o.listInstances > 0) {
    console.log('\n--- list latency ---');
    try {
      list = await runInChild<ListLatencyResult>(script, {
        t: 'list',
        settings: {
          instances: o.listInstances,
          requests: o.listRequests,
          users: 100,
          groups: 20,
        },
        store: o.store,
        postgresUrl: o.postgresUrl,
      });
    } catch (error) {
      errors.push(
        `list: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  clearInterval(loadTimer);
  const loadAverage = {
    mean:
      Math.round((load.reduce((a, b) => a + b, 0) / load.length) * 100) / 100,
    max: Math.round(Math.max(...load) * 100) / 100,
  };
  const targets = evaluateTargets(runs, list);
  const sections = [
    scenarioTable('normal', runs),
    scenarioTable('storm', runs),
    list ? listTable(list) : '',
    targets.length ? `### Targets\n\n${targetsTable(targets)}` : '',
  ].filter(Boolean);
  console.log(`\n${sections.join('\n\n')}`);
  console.log(
    `\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s; command: npm run bench -- ${argv.join(' ')}`,
  );
  console.log(
    `machine: ${m.cpus} x ${m.cpuModel}; 1-minute load average during the run: mean ${loadAverage.mean}, max ${loadAverage.max} (the benchmark itself adds about 1; more means other work shared the machine and the timings are pessimistic)`,
  );
  if (o.json) {
    // npm runs the script in the plugin's directory; a relative path means the caller's directory.
    const file = resolvePath(process.env.INIT_CWD ?? process.cwd(), o.json);
    writeFileSync(
      file,
      `${JSON.stringify({ generatedAt: new Date().toISOString(), machine: { ...m, loadAverage }, options: o, runs, listLatency: list, targets, errors }, null, 2)}\n`,
    );
    console.log(`figures written to ${file}`);
  }
  if (errors.length) {
    console.error(`\nFAILED:\n${errors.map(e => `- ${e}`).join('\n')}`);
    return 1;
  }
  return 0;
}
