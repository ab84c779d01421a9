import { JobPollingMode } from '../controller/jobTracker';
import { openBenchDatabase } from './database';
import { runScenario, ScenarioKind, ScenarioSettings } from './scenario';
import { startInProcessSim } from './simHost';

jest.setTimeout(180_000);

/**
 * The small version of `npm run bench` (docs/benchmarks.md): N = 50 on SQLite, the simulator in this
 * process, short jobs. It asserts the invariants only, never timings: CI machines vary too much.
 */
const DURATIONS = { provisionMs: 1000, deprovisionMs: 400, queueDelayMs: 100 };

function settings(
  scenario: ScenarioKind,
  mode: JobPollingMode,
): ScenarioSettings {
  return {
    scenario,
    mode,
    n: 50,
    pollIntervalMs: 200,
    workers: 4,
    retryBackoff: { baseMs: 200, maxMs: 1000 },
    durations: DURATIONS,
    restartEveryMs: 2500,
    stormStepMs: 500,
    stormWindowMs: 150,
    purgeFraction: 0.05,
    jobFailureRate: 0.3,
    timeoutMs: 60_000,
    seed: 7,
    // The storm drops connections before AAP sees them: unknown outcomes that are resolved only
    // after the settle time, twice this.
    aapTimeoutMs: 2000,
    // One process, one clock; and a controller restarted every 2.5 s must not keep resetting the wait.
    maxClockSkewMs: 500,
  };
}

describe('benchmark storm with 30 % of launch and cancel answers lost, N = 200', () => {
  it('ends with 0 duplicate, 0 overlapping jobs, 0 orphans, every instance at its desired end state', async () => {
    const db = await openBenchDatabase('sqlite');
    const sim = await startInProcessSim({
      token: 'bench-test-token',
      ...DURATIONS,
      seed: 11,
    });
    try {
      const result = await runScenario(
        {
          ...settings('storm', 'batch'),
          n: 200,
          lostAnswerRate: 0.3,
          timeoutMs: 120_000,
          seed: 11,
        },
        { knex: db.knex, storeDescription: db.description, sim },
      );
      const { details, ...counts } = result.invariants;
      expect({ counts, details: details.slice(0, 5) }).toEqual({
        counts: {
          orphanedVms: 0,
          duplicateDeprovision: 0,
          duplicateProvision: 0,
          overlappingJobs: 0,
          notAtDesiredState: 0,
          jobsStillActive: 0,
          instancesWithSeveralDeprovisionJobs: expect.any(Number),
        },
        details: [],
      });
      // The lost answers really happened, and were resolved by finding the jobs.
      expect(result.lostAnswers.events.LaunchOutcomeUnknown).toBeGreaterThan(
        20,
      );
      expect(
        (result.lostAnswers.events.ProvisionJobAdopted ?? 0) +
          (result.lostAnswers.events.DeprovisionJobAdopted ?? 0),
      ).toBeGreaterThan(20);
      expect(result.lostAnswers.events.CancelOutcomeUnknown).toBeGreaterThan(0);
    } finally {
      await sim.close();
      await db.destroy();
    }
  });
});

describe.each([
  ['normal', 'batch'],
  ['normal', 'perJob'],
  ['storm', 'batch'],
  ['storm', 'perJob'],
] as Array<[ScenarioKind, JobPollingMode]>)(
  'benchmark scenario %s with %s polling, N = 50',
  (scenario, mode) => {
    it('ends with every instance deleted, no orphaned VM and no duplicate or overlapping job', async () => {
      const db = await openBenchDatabase('sqlite');
      const sim = await startInProcessSim({
        token: 'bench-test-token',
        ...DURATIONS,
        seed: 7,
      });
      try {
        const result = await runScenario(settings(scenario, mode), {
          knex: db.knex,
          storeDescription: db.description,
          sim,
        });
        const { details, ...counts } = result.invariants;
        expect({ counts, details: details.slice(0, 5) }).toEqual({
          counts: {
            orphanedVms: 0,
            duplicateDeprovision: 0,
            duplicateProvision: 0,
            overlappingJobs: 0,
            notAtDesiredState: 0,
            jobsStillActive: 0,
            instancesWithSeveralDeprovisionJobs: expect.any(Number),
          },
          details: [],
        });
        expect(result.ok).toBe(true);
        // The scenario really exercised what it claims: deletes mid-provision, and in the storm faults and restarts.
        const storm = scenario === 'storm';
        expect({
          deletedMidProvision: result.jobs.deletedWhileProvisionRunning > 0,
          failedJobs: !storm || result.jobs.failed > 0,
          purgedJobs: !storm || result.jobs.purged > 0,
          restarts: !storm || (result.storm?.restarts ?? 0) > 0,
        }).toEqual({
          deletedMidProvision: true,
          failedJobs: true,
          purgedJobs: true,
          restarts: true,
        });
      } finally {
        await sim.close();
        await db.destroy();
      }
    });
  },
);
