import {
  VmTemplate,
  vmTemplatesSchema,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import { ExpiryKeeper } from '../controller/expiry';
import { RecordingLifecycleNotifier } from '../notifications/LifecycleNotifier';
import { QuotaLedger } from '../quota/QuotaLedger';
import { QuotaService } from '../quota/QuotaService';
import { InstanceService } from '../service/InstanceService';
import { createSqliteKnex } from '../store/__testUtils__/testDatabases';
import { sampleSpec } from '../__testUtils__/harness';
import { ClusterEnv, NS, createClusterEnv } from './__testUtils__/clusterEnv';

jest.setTimeout(60_000);

const { templateID: _id, restartRequestedAt: _r, ...defaults } = sampleSpec();
const TEMPLATES: VmTemplate[] = vmTemplatesSchema.parse([
  {
    id: 'dev',
    title: 'Dev',
    defaults,
    editableFields: ['cores'],
    lifetime: { defaultDays: 7, maxDays: 30 },
  },
]);
const TEAM = 'group:default/team-a';

/*
 * Both guardrails in cluster mode: the quota checked at the API (the ledger in the plugin's
 * database, the VMs as custom resources), and the expiry as data on the custom resource, acted on
 * by the controller's leader through the ordinary deletion path.
 */
describe('quotas and expiry in cluster mode (kube test API server + AAP simulator)', () => {
  let env: ClusterEnv;
  let knex: Knex;

  afterEach(async () => {
    await env?.close();
    await knex?.destroy();
  });

  async function setup() {
    env = await createClusterEnv({
      sim: { durations: { provisionMs: 5000, deprovisionMs: 300 } },
    });
    const replica = await env.newReplica();
    replica.controller.start();
    knex = createSqliteKnex();
    const quota = new QuotaService({
      ledger: await QuotaLedger.create({ knex }),
      settings: { groups: new Map([[TEAM, { cores: 6 }]]) },
      names: env.names,
    });
    const unwatch = quota.watchReleases(replica.components.store);
    const service = new InstanceService({
      store: replica.components.store,
      events: replica.components.events,
      templates: TEMPLATES,
      names: env.names,
      defaultNamespace: NS,
      quota,
      onWrite: i => replica.controller.enqueue(i),
    });
    return { replica, quota, service, unwatch };
  }

  const request = (name: string, cores: number) => ({
    metadata: { name, annotations: { [`${'osac.openshift.io'}/owner`]: TEAM } },
    spec: { templateID: 'dev', cores },
  });

  it('refuses a custom resource over quota at the API, and gives the quota back once the CR is gone', async () => {
    const { service, unwatch } = await setup();
    try {
      const first = await service.create(
        request('q-1', 4),
        'user:default/alice',
      );
      await expect(
        service.create(request('q-2', 4), 'user:default/alice'),
      ).rejects.toThrow(
        'quota of group:default/team-a: cores 4 of 6 used, this request needs 4',
      );
      expect(await env.store.get(NS, 'q-2')).toBeUndefined();
      // The expiry is on the custom resource, from the template's default lifetime.
      expect(
        Date.parse(first.metadata.annotations![env.names.expiresAtAnnotation]),
      ).toBeGreaterThan(Date.now() + 6 * 24 * 3_600_000);

      await service.delete(NS, 'q-1');
      await env.waitGone('q-1', 30_000);
      await env.waitFor('the quota to be given back', async () =>
        service
          .create(request('q-2', 4), 'user:default/alice')
          .then(() => true)
          .catch(() => false),
      );
    } finally {
      unwatch();
    }
  });

  it('a CR still provisioning at its expiry is cancelled and deprovisioned once, and expired once', async () => {
    const { replica, service, unwatch } = await setup();
    try {
      const created = await service.create(
        request('x-1', 2),
        'user:default/alice',
      );
      const expiresAt =
        created.metadata.annotations![env.names.expiresAtAnnotation];
      await env.waitFor('the provision job to run', () =>
        env.simJobsOf('x-1').some(j => j.status === 'running'),
      );
      const notifier = new RecordingLifecycleNotifier();
      const keeper = () =>
        new ExpiryKeeper({
          store: replica.components.store,
          events: replica.components.events,
          names: env.names,
          notifier,
          now: () => new Date(expiresAt),
          onDelete: i => replica.controller.enqueue(i),
        });
      await keeper().sweep();
      await keeper().sweep();
      await env.waitGone('x-1', 30_000);
      await keeper().sweep();
      const jobs = env.simJobsOf('x-1');
      expect(jobs.filter(j => j.template.includes('create'))).toEqual([
        expect.objectContaining({ status: 'canceled' }),
      ]);
      expect(jobs.filter(j => j.template.includes('delete'))).toEqual([
        expect.objectContaining({ status: 'successful' }),
      ]);
      expect(env.labelledVms('x-1')).toHaveLength(0);
      expect(notifier.sent).toEqual([
        { kind: 'expired', namespace: NS, name: 'x-1', expiresAt },
      ]);
    } finally {
      unwatch();
    }
  });
});
