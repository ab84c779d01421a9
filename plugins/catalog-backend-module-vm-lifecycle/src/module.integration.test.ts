import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  catalogProcessingExtensionPoint,
  EntityProvider,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createKubeTestApiServer } from '@internal/kube-test-apiserver';
import { createAapSimulator } from '@vm-selfservice/aap-simulator';
// The test runs the module beside the plugin whose store it reads.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import vmLifecyclePlugin from '@vm-selfservice/plugin-vm-lifecycle-backend';
import request from 'supertest';
import catalogModuleVmLifecycle from '.';

jest.setTimeout(90_000);

const TEMPLATE = {
  id: 'small',
  title: 'Small',
  defaults: {
    image: { sourceType: 'registry', sourceRef: 'quay.io/fedora:latest' },
    cores: 1,
    memoryGiB: 1,
    bootDisk: { sizeGiB: 10 },
    runStrategy: 'Always',
  },
};

const TEAM_A: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'team-a', namespace: 'default' },
  spec: { type: 'team', children: [] },
  relations: [{ type: 'hasMember', targetRef: 'user:default/mock' }],
};

type Mode = 'database' | 'kubernetes';

async function storeConfig(mode: Mode, cleanups: Array<() => Promise<void>>) {
  if (mode === 'database') return {};
  const kube = createKubeTestApiServer({});
  await kube.listen();
  const dir = await mkdtemp(join(tmpdir(), 'vm-catalog-kubeconfig-'));
  const kubeconfigPath = join(dir, 'config');
  await writeFile(kubeconfigPath, kube.kubeconfigYaml());
  cleanups.push(async () => {
    await kube.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    store: { type: 'kubernetes' },
    kubernetes: {
      connection: 'kubeconfig',
      kubeconfigPath,
      kubevirt: 'disabled',
      leaderElection: {
        leaseDuration: { seconds: 2 },
        retryPeriod: { milliseconds: 200 },
      },
    },
  };
}

describe.each<Mode>(['database', 'kubernetes'])(
  'the vm-lifecycle entity provider in %s mode',
  mode => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    it('follows a VM requested through the API from request to Running to gone', async () => {
      const sim = createAapSimulator({
        token: 't',
        durations: { provisionMs: 300, deprovisionMs: 100 },
        queueDelayMs: 10,
      });
      const { url } = await sim.listen(0, '127.0.0.1');
      cleanups.push(() => sim.close());
      const providers: EntityProvider[] = [];
      const backend = await startTestBackend({
        extensionPoints: [
          [
            catalogProcessingExtensionPoint,
            {
              addEntityProvider: (...p: any[]) => providers.push(...p.flat()),
              addProcessor: () => {},
              addPlaceholderResolver: () => {},
              setOnProcessingErrorHandler: () => {},
            },
          ],
        ],
        features: [
          vmLifecyclePlugin,
          catalogModuleVmLifecycle,
          catalogServiceMock.factory({ entities: [TEAM_A] }),
          mockServices.rootConfig.factory({
            data: {
              app: { baseUrl: 'http://portal.test' },
              vmLifecycle: {
                ...(await storeConfig(mode, cleanups)),
                provider: { aap: { baseUrl: `${url}/api/v2`, token: 't' } },
                controller: { pollInterval: { milliseconds: 100 } },
                templates: [TEMPLATE],
              },
            },
          }),
        ],
      });
      cleanups.push(() => backend.stop());
      expect(providers.map(p => p.getProviderName())).toEqual(['vm-lifecycle']);

      const mutations: EntityProviderMutation[] = [];
      await providers[0].connect({
        applyMutation: async m => {
          mutations.push(m);
        },
        refresh: async () => {},
      });
      const latest = (name: string) => {
        for (let i = mutations.length - 1; i >= 0; i--) {
          const m = mutations[i];
          const list =
            m.type === 'full' ? m.entities : [...m.added, ...m.removed];
          const hit = list.find(
            d => 'entity' in d && d.entity.metadata.name === name,
          );
          if (hit && 'entity' in hit) {
            const removed =
              m.type === 'delta' && m.removed.includes(hit as any);
            return { entity: hit.entity, removed, type: m.type };
          }
        }
        return undefined;
      };
      const until = async (what: string, probe: () => boolean) => {
        const deadline = Date.now() + 30_000;
        while (!probe()) {
          if (Date.now() > deadline) throw new Error(`Timed out: ${what}`);
          await new Promise(r => setTimeout(r, 50));
        }
      };

      await request(backend.server)
        .post('/api/vm-lifecycle/instances')
        .set('Authorization', mockCredentials.user.header())
        .send({
          metadata: {
            name: 'catalog-vm',
            annotations: {
              'osac.openshift.io/owner': 'group:default/team-a',
              'osac.openshift.io/component': 'component:default/shop',
            },
          },
          spec: { templateID: 'small' },
        })
        .expect(201);

      await until('the entity is added', () => Boolean(latest('catalog-vm')));
      expect(latest('catalog-vm')!.entity).toMatchObject({
        kind: 'Resource',
        spec: {
          type: 'virtual-machine',
          owner: 'group:default/team-a',
          dependencyOf: ['component:default/shop'],
        },
      });
      await until(
        'the entity shows phase Running',
        () =>
          latest('catalog-vm')?.entity.metadata.labels?.[
            'osac.openshift.io/phase'
          ] === 'Running',
      );
      expect(latest('catalog-vm')!.entity.metadata.links).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            url: 'http://portal.test/virtual-machines/default/catalog-vm',
          }),
        ]),
      );

      await request(backend.server)
        .delete('/api/vm-lifecycle/instances/default/catalog-vm')
        .set('Authorization', mockCredentials.user.header())
        .expect(202);
      await until(
        'the entity is removed',
        () => latest('catalog-vm')?.removed === true,
      );
    });
  },
);
