import { ListLatencyResult } from './listLatency';
import { ScenarioKind, ScenarioResult } from './scenario';
import { Summary } from './stats';

export interface TargetResult {
  target: string;
  measured: string;
  /** undefined: not evaluated (the run was smaller than the target's size, or a figure is missing). */
  met?: boolean;
}

type Row = [
  label: string,
  batch: number | undefined,
  perJob: number | undefined,
  unit?: string,
];

function fmt(v: number | undefined, unit = ''): string {
  if (v === undefined || Number.isNaN(v)) return 'n/a';
  const abs = Math.abs(v);
  let text = v.toFixed(2);
  if (abs >= 100 || Number.isInteger(v)) text = String(Math.round(v));
  else if (abs >= 10) text = v.toFixed(1);
  return unit ? `${text} ${unit}` : text;
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b))
    return 'n/a';
  if (b === 0) return a === 0 ? '-' : 'inf';
  const r = a / b;
  if (r === 0) return '0';
  if (r >= 10) return `${Math.round(r)}x`;
  if (r >= 0.1) return `${r.toFixed(2)}x`;
  return `1/${Math.round(1 / r)}`;
}

function rowsFor(
  b: ScenarioResult | undefined,
  p: ScenarioResult | undefined,
): Row[] {
  const pick = (
    f: (r: ScenarioResult) => number | undefined,
  ): [number | undefined, number | undefined] => [
    b ? f(b) : undefined,
    p ? f(p) : undefined,
  ];
  const s = (f: (r: ScenarioResult) => Summary, k: keyof Summary) =>
    pick(r => f(r)[k]);
  const row = (
    label: string,
    values: [number | undefined, number | undefined],
    unit?: string,
  ): Row => [label, values[0], values[1], unit];
  return [
    row(
      'wall time until all Running',
      pick(r => r.wallMs.allRunning / 1000),
      's',
    ),
    row(
      'wall time until all gone',
      pick(r => r.wallMs.allGone / 1000),
      's',
    ),
    row(
      'request -> Running p50',
      s(r => r.requestToRunningMs, 'p50'),
      'ms',
    ),
    row(
      'request -> Running p99',
      s(r => r.requestToRunningMs, 'p99'),
      'ms',
    ),
    row(
      'status freshness (store) p50',
      s(r => r.freshnessMs.store, 'p50'),
      'ms',
    ),
    row(
      'status freshness (store) p99',
      s(r => r.freshnessMs.store, 'p99'),
      'ms',
    ),
    row(
      '  p99 of changes while the work queue held < 50 keys',
      s(r => r.freshnessMs.storeWhileQueueBelow50, 'p99'),
      'ms',
    ),
    row(
      '  p99 of changes while it held >= 50 (bursts)',
      s(r => r.freshnessMs.storeWhileQueueAtLeast50, 'p99'),
      'ms',
    ),
    row(
      '  share of changes during bursts',
      pick(r => {
        const busy = r.freshnessMs.storeWhileQueueAtLeast50.count;
        const all = busy + r.freshnessMs.storeWhileQueueBelow50.count;
        return all ? Math.round((busy / all) * 100) : undefined;
      }),
      '%',
    ),
    row(
      'status freshness at the follower replica (store) p50',
      pick(r => r.freshnessMs.storeAtFollower?.p50),
      'ms',
    ),
    row(
      'status freshness at the follower replica (store) p99',
      pick(r => r.freshnessMs.storeAtFollower?.p99),
      'ms',
    ),
    row(
      'status freshness (signal) p50',
      s(r => r.freshnessMs.signal, 'p50'),
      'ms',
    ),
    row(
      'status freshness (signal) p99',
      s(r => r.freshnessMs.signal, 'p99'),
      'ms',
    ),
    row(
      'AAP template lookups',
      pick(r => r.aap.lookups),
    ),
    row(
      'AAP launches',
      pick(r => r.aap.launches),
    ),
    row(
      'lost answers: launch/cancel answer loss rate',
      pick(r => r.lostAnswers?.rate),
    ),
    row(
      '  launches with an unknown outcome',
      pick(r => r.lostAnswers?.events.LaunchOutcomeUnknown ?? 0),
    ),
    row(
      '  jobs found by launch id and adopted',
      pick(
        r =>
          (r.lostAnswers?.events.ProvisionJobAdopted ?? 0) +
          (r.lostAnswers?.events.DeprovisionJobAdopted ?? 0),
      ),
    ),
    row(
      '  launched again after AAP provably had no job',
      pick(r => r.lostAnswers?.events.LaunchRepeated ?? 0),
    ),
    row(
      '  cancels with an unknown outcome',
      pick(r => r.lostAnswers?.events.CancelOutcomeUnknown ?? 0),
    ),
    row(
      '  AAP job-list reads for the look-ups',
      pick(r => r.aap.jobLookups),
    ),
    row(
      'AAP status requests (GET jobs/{id} + unified_jobs)',
      pick(r => r.aap.status),
    ),
    row(
      '  of which by poll ticks (tracker)',
      pick(r => r.tracker.tickRequests),
    ),
    row(
      '  of which direct reads (before cancel, stale view)',
      pick(r => r.tracker.directRequests),
    ),
    row(
      'AAP cancels',
      pick(r => r.aap.cancels),
    ),
    row(
      'AAP retried attempts',
      pick(r => r.aap.retries),
    ),
    row(
      'AAP requests total',
      pick(r => r.aap.total),
    ),
    row(
      'poll ticks with jobs to poll',
      pick(r => r.ticks.activeTicks),
    ),
    row(
      'active jobs per tick (mean)',
      pick(r => r.ticks.meanActiveJobs),
    ),
    row(
      'active jobs per tick (max)',
      pick(r => r.ticks.maxActiveJobs),
    ),
    row(
      'status requests per tick (mean)',
      s(r => r.ticks.requestsPerTick, 'mean'),
    ),
    row(
      'status requests per tick (max)',
      s(r => r.ticks.requestsPerTick, 'max'),
    ),
    row(
      'ticks over ceil(active/200) requests',
      pick(r => r.ticks.overBatchBudget),
    ),
    row(
      'per tick: lookups',
      pick(r => r.aapPerActiveTick.lookups),
    ),
    row(
      'per tick: launches',
      pick(r => r.aapPerActiveTick.launches),
    ),
    row(
      'per tick: status requests (all, incl. direct reads)',
      pick(r => r.aapPerActiveTick.status),
    ),
    row(
      'per tick: cancels',
      pick(r => r.aapPerActiveTick.cancels),
    ),
    row(
      'tick duration p99',
      s(r => r.ticks.durationMs, 'p99'),
      'ms',
    ),
    row(
      'peak RSS (controller process)',
      pick(r => r.process?.peakRssMB),
      'MB',
    ),
    row(
      '  RSS before the run (modules loaded)',
      pick(r => r.process?.baselineRssMB),
      'MB',
    ),
    row(
      'CPU (controller process)',
      pick(r => r.process?.cpuSeconds),
      's',
    ),
    row(
      'CPU (simulator process, for context)',
      pick(r => r.simulatorProcess?.cpuSeconds),
      's',
    ),
    row(
      'orphaned VMs',
      pick(r => r.invariants.orphanedVms),
    ),
    row(
      'instances with duplicate deprovision jobs',
      pick(r => r.invariants.duplicateDeprovision),
    ),
    row(
      'instances with duplicate provision jobs',
      pick(r => r.invariants.duplicateProvision),
    ),
    row(
      'instances with overlapping jobs',
      pick(r => r.invariants.overlappingJobs),
    ),
    row(
      'instances not at desired end state',
      pick(r => r.invariants.notAtDesiredState),
    ),
    row(
      'AAP jobs still active at the end',
      pick(r => r.invariants.jobsStillActive),
    ),
    row(
      'instances with >1 deprovision job (retries)',
      pick(r => r.invariants.instancesWithSeveralDeprovisionJobs),
    ),
    row(
      'provision / deprovision jobs',
      pick(r => r.jobs.provision + r.jobs.deprovision),
    ),
    row(
      'failed jobs',
      pick(r => r.jobs.failed),
    ),
    row(
      'provision jobs canceled by a delete',
      pick(r => r.jobs.canceledProvisions),
    ),
    row(
      'deleted while the provision job ran',
      pick(r => r.jobs.deletedWhileProvisionRunning),
    ),
    row(
      'purged jobs',
      pick(r => r.jobs.purged),
    ),
    row(
      'controller restarts',
      pick(r => r.storm?.restarts),
    ),
  ];
}

/** The side-by-side table of one scenario (batch | perJob | batch/perJob). */
export function scenarioTable(
  kind: ScenarioKind,
  runs: ScenarioResult[],
): string {
  const b = runs.find(r => r.scenario === kind && r.mode === 'batch');
  const p = runs.find(r => r.scenario === kind && r.mode === 'perJob');
  if (!b && !p) return '';
  const any = (b ?? p)!;
  const lines = rowsFor(b, p)
    .filter(
      ([label, x, y]) =>
        !(label === 'controller restarts' && kind !== 'storm') &&
        !(x === undefined && y === undefined && label.startsWith('CPU (sim')),
    )
    .map(
      ([label, x, y, unit]) =>
        `| ${label} | ${fmt(x, unit)} | ${fmt(y, unit)} | ${ratio(x, y)} |`,
    );
  const title = `${kind === 'storm' ? 'Storm' : 'Scenario'}: N = ${any.n}, ${any.store}, poll interval ${any.settings.pollIntervalMs} ms, ${any.settings.workers} workers`;
  return [
    `### ${title}`,
    '',
    '| figure | batch | perJob | batch/perJob |',
    '|---|---:|---:|---:|',
    ...lines,
  ].join('\n');
}

export function listTable(list: ListLatencyResult): string {
  return [
    `### GET /instances with ${list.instances} stored instances (${list.store}, ${list.requests} sequential requests each)`,
    '',
    '| request | caller | items | remaining | response | p50 | p95 | p99 | max |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...list.queries.map(
      q =>
        `| ${q.query} | ${q.caller} | ${q.items} | ${q.remainingItemCount} | ${q.responseKiB} KiB | ${fmt(q.latencyMs.p50, 'ms')} | ${fmt(q.latencyMs.p95, 'ms')} | ${fmt(q.latencyMs.p99, 'ms')} | ${fmt(q.latencyMs.max, 'ms')} |`,
    ),
    '',
    `First page without HTTP (in-process, 50 calls): InstanceService.listPage p50 ${fmt(list.breakdownMs.servicePage.p50, 'ms')} / p95 ${fmt(list.breakdownMs.servicePage.p95, 'ms')}; JSON.stringify of the answer p50 ${fmt(list.breakdownMs.stringify.p50, 'ms')} / p95 ${fmt(list.breakdownMs.stringify.p95, 'ms')}.`,
  ].join('\n');
}

/** The issue's targets, judged from the runs of this invocation. */
export function evaluateTargets(
  runs: ScenarioResult[],
  list?: ListLatencyResult,
): TargetResult[] {
  const targets: TargetResult[] = [];
  const at1000 = (r: ScenarioResult | undefined) =>
    r && r.n >= 1000 ? r : undefined;
  const batch = runs.find(r => r.scenario === 'normal' && r.mode === 'batch');
  const perJob = runs.find(r => r.scenario === 'normal' && r.mode === 'perJob');
  const sized = (r: ScenarioResult | undefined, met: boolean) =>
    at1000(r) ? met : undefined;

  if (batch) {
    const p99 = batch.freshnessMs.store.p99;
    targets.push({
      target: 'batch, N = 1,000: status freshness p99 <= 2 s',
      measured: `p99 ${fmt(p99, 'ms')} (store and signal), N = ${batch.n}`,
      met: p99 === undefined ? undefined : sized(batch, p99 <= 2000),
    });
    targets.push({
      target:
        'batch, N = 1,000: AAP status requests per tick <= ceil(active/200)',
      measured: `${batch.ticks.overBatchBudget} of ${batch.ticks.activeTicks} ticks over budget; max ${fmt(batch.ticks.requestsPerTick.max)} requests for max ${batch.ticks.maxActiveJobs} active jobs (client-side GETs during a tick, retries included: max ${fmt(batch.ticks.aapStatusRequestsPerTick.max)})`,
      met: sized(batch, batch.ticks.overBatchBudget === 0),
    });
  }
  if (batch && perJob) {
    const total = perJob.aap.status / Math.max(1, batch.aap.status);
    const polling =
      perJob.tracker.tickRequests / Math.max(1, batch.tracker.tickRequests);
    targets.push({
      target:
        'perJob at the same poll interval needs >= 100x the status requests of batch',
      measured: `${fmt(total)}x all status requests (${perJob.aap.status} vs ${batch.aap.status}); ${fmt(polling)}x the requests of poll ticks (${perJob.tracker.tickRequests} vs ${batch.tracker.tickRequests})`,
      met: at1000(batch) && at1000(perJob) ? total >= 100 : undefined,
    });
  }
  for (const r of runs.filter(x => x.scenario === 'normal')) {
    if (!r.process) continue;
    targets.push({
      target: `peak RSS <= 400 MB at N = 1,000 (${r.mode})`,
      measured: `${fmt(r.process.peakRssMB, 'MB')} peak RSS of the controller process`,
      met: sized(r, r.process.peakRssMB <= 400),
    });
  }
  if (list) {
    // Issue 12: a page of 100, unfiltered and filtered by owner, p95 <= 50 ms at 100,000 stored.
    const judged = list.queries.filter(
      q =>
        q.caller.startsWith('admin') &&
        (q.query === 'GET /instances?limit=100' ||
          q.query.startsWith('GET /instances?limit=100&owner=')),
    );
    const worst = Math.max(...judged.map(q => q.latencyMs.p95 ?? Infinity));
    targets.push({
      target: `a page of 100 p95 <= 50 ms with 100,000 stored, unfiltered and by owner (${list.store})`,
      measured: `${judged
        .map(
          q =>
            `${q.query.replace('GET /instances', '')} p95 ${fmt(q.latencyMs.p95, 'ms')}`,
        )
        .join(
          ', ',
        )} with ${list.instances} stored; all queries in the list table`,
      met:
        judged.length === 0 || list.instances < 100_000
          ? undefined
          : worst <= 50,
    });
  }
  for (const r of runs.filter(x => x.scenario === 'storm')) {
    const inv = r.invariants;
    targets.push({
      target: `storm (${r.mode}): 0 orphans, 0 duplicate or overlapping jobs, every instance at its desired end state`,
      measured: `orphans ${inv.orphanedVms}, duplicate deprovision ${inv.duplicateDeprovision}, duplicate provision ${inv.duplicateProvision}, overlapping ${inv.overlappingJobs}, not at desired state ${inv.notAtDesiredState}, still active ${inv.jobsStillActive}; ${r.storm?.restarts ?? 0} restarts, ${r.jobs.failed} failed and ${r.jobs.purged} purged jobs`,
      met: r.ok,
    });
  }
  return targets;
}

export function targetsTable(targets: TargetResult[]): string {
  return [
    '| target | measured | met |',
    '|---|---|---|',
    ...targets.map(t => `| ${t.target} | ${t.measured} | ${verdict(t.met)} |`),
  ].join('\n');
}

function verdict(met: boolean | undefined): string {
  if (met === undefined) return 'not evaluated';
  return met ? 'yes' : '**no**';
}
