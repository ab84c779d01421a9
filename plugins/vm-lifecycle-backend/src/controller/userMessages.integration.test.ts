import { mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { createSqliteKnex } from '../store/__testUtils__/testDatabases';
import { createIntegrationEnv } from '../__testUtils__/integration';
import { FaultProxy, startFaultProxy } from '../__testUtils__/faultProxy';

jest.setTimeout(60_000);

/** A gateway's answer that quotes an internal host, as real ones do. */
const UPSTREAM_BODY = JSON.stringify({
  detail:
    'backend aap-controller-0.internal.corp:8052 refused: quota table locked',
});

/*
 * Issue 13.8, controller side: what the controller writes on an instance (job messages, conditions,
 * events) is read by portal users, so it names no AAP host or URL and quotes no upstream body; the
 * log keeps both. Reproduced over real HTTP: a proxy in front of the simulator answers the launch
 * with a 400 quoting an internal host, then resets the connections of status reads.
 */
describe('messages users read carry no AAP host and no upstream body', () => {
  let knex: Knex;
  let env: Awaited<ReturnType<typeof createIntegrationEnv>>;
  let proxy: FaultProxy;

  beforeEach(async () => {
    knex = createSqliteKnex();
    env = await createIntegrationEnv(knex);
    proxy = await startFaultProxy(env.url);
  });

  afterEach(async () => {
    await env.close();
    await proxy.close();
    await knex.destroy();
  });

  async function textsUsersRead(name: string): Promise<string> {
    const instance = await env.store.get('default', name);
    const events = instance ? await env.events.list(instance.metadata) : [];
    return JSON.stringify({ status: instance?.status, events });
  }

  function expectNothingInternal(text: string) {
    expect(text).not.toContain(new URL(proxy.url).host);
    expect(text).not.toContain(new URL(env.url).host);
    expect(text).not.toContain('/api/controller');
    expect(text).not.toContain('internal.corp');
    expect(text).not.toContain('quota table locked');
  }

  it('a refused launch and failing status reads', async () => {
    const logger = mockServices.logger.mock();
    proxy.inject(/\/launch\//, {
      kind: 'respond',
      status: 400,
      body: UPSTREAM_BODY,
      contentType: 'application/json',
    });
    env
      .newController(
        { logger },
        { baseUrl: `${proxy.url}/api/controller/v2`, maxRetries: 0 },
      )
      .controller.start();
    await env.create('msg-1');
    const refused = await env.waitFor('the refused launch shown', async () => {
      const obj = await env.store.get('default', 'msg-1');
      const c = obj?.status.conditions?.find(
        x => x.type === 'ConfigurationApplied' && x.reason === 'LaunchFailed',
      );
      return c;
    });
    expect(refused.message).toContain('HTTP 400');
    expectNothingInternal(await textsUsersRead('msg-1'));
    const logged = String(logger.warn.mock.calls);
    expect(logged).toContain('quota table locked');
    expect(logged).toContain(new URL(proxy.url).host);

    // The launch goes through; then every status read has its connection reset.
    proxy.inject(/\/(unified_jobs|jobs)\//, { kind: 'reset' });
    await env.waitFor('a status read failure shown', async () => {
      const obj = await env.store.get('default', 'msg-1');
      return obj?.status.provisioningJobs?.some(j =>
        j.message.startsWith('Could not read the status'),
      );
    });
    expectNothingInternal(await textsUsersRead('msg-1'));

    proxy.inject(undefined);
    await env.waitForPhase('msg-1', 'Running', 30_000);
    await env.store.delete('default', 'msg-1');
    await env.waitGone('msg-1', 30_000);
  });
});
