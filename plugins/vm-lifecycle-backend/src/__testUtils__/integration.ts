import { waitFor } from './waitFor';
import { mockServices } from '@backstage/backend-test-utils';
import {
  createAapSimulator,
  AapSimulator,
  AapSimulatorOptions,
  SimJobInfo,
} from '@vm-selfservice/aap-simulator';
import {
  apiGroupNames,
  ComputeInstance,
  ComputeInstanceSpec,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import { AapClient, AapClientOptions } from '../aap/AapClient';
import { Controller, ControllerOptions } from '../controller/controller';
import { DatabaseEventStore } from '../events/DatabaseEventStore';
import { AapDirectProvider } from '../providers/AapDirectProvider';
import { DatabaseStore } from '../store/DatabaseStore';
import { sampleSpec } from './harness';

export const SIM_TOKEN = 'integration-secret-token';

/**
 * What AAP really ran for one instance (the simulator's own records): jobs never overlap in time,
 * and each job type has at most one job per unsuccessful attempt + 1 (`exactly` pins the count).
 */
export function jobsOfInstanceProblems(
  jobs: SimJobInfo[],
  exactly?: { provision?: number; deprovision?: number },
): string[] {
  const problems: string[] = [];
  const sorted = [...jobs].sort((a, b) => a.id - b.id);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    if (
      !previous.finished ||
      Date.parse(previous.finished) > Date.parse(sorted[i].created)
    )
      problems.push(
        `job ${sorted[i].id} started while job ${previous.id} still ran`,
      );
  }
  for (const [type, marker] of [
    ['provision', 'create'],
    ['deprovision', 'delete'],
  ] as const) {
    const ofType = sorted.filter(j => j.template.includes(marker));
    const unsuccessful = ofType.filter(j => j.status !== 'successful').length;
    const expected = exactly?.[type];
    if (expected !== undefined && ofType.length !== expected)
      problems.push(`${ofType.length} ${type} jobs, expected ${expected}`);
    if (ofType.length > unsuccessful + 1)
      problems.push(
        `${ofType.length} ${type} jobs for ${unsuccessful} unsuccessful ones`,
      );
  }
  return problems;
}

/** The real adapters: a database store, the AAP client and provider, and the simulator over HTTP. */
export async function createIntegrationEnv(
  knex: Knex,
  simOptions: AapSimulatorOptions = {},
) {
  const sim: AapSimulator = createAapSimulator({
    token: SIM_TOKEN,
    durations: { provisionMs: 1200, deprovisionMs: 300 },
    queueDelayMs: 50,
    ...simOptions,
  });
  const { url } = await sim.listen(0, '127.0.0.1');
  const store = await DatabaseStore.create({ knex });
  const events = await DatabaseEventStore.create({
    knex,
    skipMigrations: true,
  });
  const controllers: Controller[] = [];
  const names = apiGroupNames();

  function newController(
    overrides: Partial<ControllerOptions> = {},
    clientOptions: Partial<AapClientOptions> = {},
  ) {
    const client = new AapClient({
      baseUrl: `${url}/api/controller/v2`,
      token: SIM_TOKEN,
      retryBaseDelayMs: 20,
      timeoutMs: 5000,
      ...clientOptions,
    });
    const controller = new Controller({
      store,
      provider: new AapDirectProvider({ client }),
      events,
      names,
      logger: mockServices.logger.mock(),
      pollIntervalMs: 100,
      workers: 8,
      resyncIntervalMs: 1000,
      retryBackoff: { baseMs: 200, maxMs: 1000 },
      configErrorRetryMs: 500,
      unknownOutcomeSettleMs: 6000,
      ...overrides,
    });
    controllers.push(controller);
    return { controller, client };
  }

  async function create(
    name: string,
    spec: Partial<ComputeInstanceSpec> = {},
  ): Promise<ComputeInstance> {
    return store.create({
      metadata: { name, namespace: 'default' },
      spec: sampleSpec(spec),
    });
  }

  const env = {
    sim,
    url,
    store,
    events,
    names,
    newController,
    create,
    waitFor,
    async waitForPhase(name: string, phase: string, timeoutMs?: number) {
      return waitFor(
        `${name} to reach ${phase}`,
        async () => {
          const obj = await store.get('default', name);
          return obj?.status.phase === phase ? obj : undefined;
        },
        timeoutMs,
      );
    },
    async waitGone(name: string, timeoutMs?: number) {
      await waitFor(
        `${name} to be gone`,
        async () => !(await store.get('default', name)),
        timeoutMs,
      );
    },
    /** Forgets a controller whose process "died" (its stop would wait for a request that never ends). */
    abandon(controller: Controller) {
      controllers.splice(controllers.indexOf(controller), 1);
      void controller.stop();
    },
    simJobsOf(name: string) {
      return sim.jobs().filter(j => j.instance?.name === name);
    },
    async close() {
      for (const c of controllers) await c.stop();
      await sim.close();
    },
  };
  return env;
}
