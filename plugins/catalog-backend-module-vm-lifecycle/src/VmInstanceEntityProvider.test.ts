import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  DeferredEntity,
  EntityProviderConnection,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import {
  InstanceFeed,
  readInstanceLinks,
} from '@vm-selfservice/plugin-vm-lifecycle-node';
import { FakeSource, makeInstance, names } from './__testUtils__/instances';
import { VmInstanceEntityProvider } from './VmInstanceEntityProvider';

const links = readInstanceLinks(
  new ConfigReader({
    app: { baseUrl: 'https://portal.example.com' },
    vmLifecycle: {
      links: {
        aapJob: 'https://aap.example.com/execution/jobs/playbook/{id}/output',
      },
    },
  }),
);

function mockConnection() {
  const mutations: EntityProviderMutation[] = [];
  const connection: EntityProviderConnection = {
    applyMutation: jest.fn(async (m: EntityProviderMutation) => {
      mutations.push(m);
    }),
    refresh: jest.fn(async () => {}),
  };
  return { connection, mutations };
}

/** Runs the scheduled task once at connect, like the scheduler's first run; later runs on demand. */
function manualTaskRunner() {
  const runs: Array<() => Promise<unknown>> = [];
  return {
    runs,
    runner: {
      run: async ({ fn }: { fn: () => Promise<unknown> | void }) => {
        runs.push(async () => fn());
        await fn();
      },
    },
  };
}

async function setup() {
  const source = new FakeSource();
  const feed = new InstanceFeed();
  feed.connect(source);
  const { connection, mutations } = mockConnection();
  const tasks = manualTaskRunner();
  const provider = new VmInstanceEntityProvider({
    instances: feed,
    names,
    links,
    logger: mockServices.logger.mock(),
    taskRunner: tasks.runner as any,
    deltaDelayMs: 10,
  });
  return { source, feed, provider, connection, mutations, tasks };
}

async function nextMutation(
  mutations: EntityProviderMutation[],
  count: number,
): Promise<EntityProviderMutation> {
  for (let i = 0; i < 500 && mutations.length < count; i++) {
    await new Promise(r => setTimeout(r, 10));
  }
  if (mutations.length < count) {
    throw new Error(`Only ${mutations.length} of ${count} mutations arrived`);
  }
  return mutations[count - 1];
}

const entityOf = (d: DeferredEntity) => d.entity;

describe('VmInstanceEntityProvider', () => {
  it('gives the catalog every instance as a Resource in a full mutation at start', async () => {
    const { source, provider, connection, mutations } = await setup();
    source.put(
      makeInstance('web-1', {
        owner: 'group:default/team-a',
        component: 'component:default/shop',
        phase: 'Running',
        jobID: '42',
      }),
    );
    source.put(makeInstance('db-1', { namespace: 'data' }));
    await provider.connect(connection);

    expect(mutations).toHaveLength(1);
    const full = mutations[0];
    if (full.type !== 'full') throw new Error('expected a full mutation');
    const entities = full.entities.map(entityOf);
    expect(
      entities.map(e => `${e.metadata.namespace}/${e.metadata.name}`),
    ).toEqual(expect.arrayContaining(['default/web-1', 'data/db-1']));
    const web = entities.find(e => e.metadata.name === 'web-1')!;
    expect(web).toMatchObject({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        namespace: 'default',
        annotations: {
          'osac.openshift.io/computeinstance-namespace': 'default',
          'osac.openshift.io/computeinstance-name': 'web-1',
          'osac.openshift.io/computeinstance-uid': 'uid-web-1',
          'backstage.io/managed-by-location': expect.any(String),
          'backstage.io/managed-by-origin-location': expect.any(String),
        },
        labels: { 'osac.openshift.io/phase': 'Running' },
      },
      spec: {
        type: 'virtual-machine',
        owner: 'group:default/team-a',
        dependencyOf: ['component:default/shop'],
      },
    });
    expect(web.metadata.links).toEqual([
      expect.objectContaining({
        url: 'https://portal.example.com/virtual-machines/default/web-1',
      }),
      expect.objectContaining({
        url: 'https://aap.example.com/execution/jobs/playbook/42/output',
      }),
    ]);
  });

  it('makes the requester the owner when no owner is named, and adds no relation without a component', async () => {
    const { source, provider, connection, mutations } = await setup();
    source.put(makeInstance('solo', { requestedBy: 'user:default/bob' }));
    await provider.connect(connection);
    const full = mutations[0] as Extract<
      EntityProviderMutation,
      { type: 'full' }
    >;
    expect(full.entities[0].entity.spec).toEqual({
      type: 'virtual-machine',
      owner: 'user:default/bob',
    });
    expect(full.entities[0].entity.metadata.labels).toEqual({});
  });

  it('turns a create, a change and a delete into delta mutations', async () => {
    const { source, provider, connection, mutations } = await setup();
    await provider.connect(connection);
    expect(mutations).toHaveLength(1);

    source.put(makeInstance('web-2', { owner: 'group:default/team-a' }));
    const created = await nextMutation(mutations, 2);
    expect(created).toMatchObject({ type: 'delta', removed: [] });
    if (created.type !== 'delta') throw new Error('expected a delta');
    expect(created.added.map(entityOf)).toEqual([
      expect.objectContaining({
        kind: 'Resource',
        metadata: expect.objectContaining({ name: 'web-2' }),
      }),
    ]);

    source.put(
      makeInstance('web-2', {
        owner: 'group:default/team-b',
        phase: 'Running',
      }),
    );
    const changed = await nextMutation(mutations, 3);
    if (changed.type !== 'delta') throw new Error('expected a delta');
    expect(changed.added[0].entity.spec?.owner).toBe('group:default/team-b');
    expect(changed.added[0].entity.metadata.labels).toEqual({
      'osac.openshift.io/phase': 'Running',
    });

    source.remove('default', 'web-2');
    const deleted = await nextMutation(mutations, 4);
    expect(deleted).toMatchObject({ type: 'delta', added: [] });
    if (deleted.type !== 'delta') throw new Error('expected a delta');
    expect(
      deleted.removed.map(r => ('entity' in r ? r.entity.metadata.name : r)),
    ).toEqual(['web-2']);
  });

  it('gathers a burst of changes into one delta with the newest state, and skips changes the entity does not show', async () => {
    const { source, provider, connection, mutations } = await setup();
    await provider.connect(connection);
    source.put(makeInstance('burst', { phase: 'Starting' }));
    source.put(makeInstance('burst', { phase: 'Running' }));
    const delta = await nextMutation(mutations, 2);
    if (delta.type !== 'delta') throw new Error('expected a delta');
    expect(delta.added).toHaveLength(1);
    expect(delta.added[0].entity.metadata.labels).toEqual({
      'osac.openshift.io/phase': 'Running',
    });

    // Only the resourceVersion moves (a status write the entity does not show): nothing to send.
    const same = makeInstance('burst', { phase: 'Running' });
    same.metadata.resourceVersion = '7';
    source.put(same);
    source.put(makeInstance('other'));
    const next = await nextMutation(mutations, 3);
    if (next.type !== 'delta') throw new Error('expected a delta');
    expect(next.added.map(a => a.entity.metadata.name)).toEqual(['other']);
  });

  it('drops the entity of an instance deleted while no one watched at the next full mutation', async () => {
    const { source, provider, connection, mutations, tasks } = await setup();
    source.put(makeInstance('gone'));
    source.put(makeInstance('kept'));
    await provider.connect(connection);
    provider.close(); // stop watching: the next delete is missed
    source.remove('default', 'gone');
    await tasks.runs[0]();
    const full = mutations[mutations.length - 1];
    if (full.type !== 'full') throw new Error('expected a full mutation');
    expect(full.entities.map(e => e.entity.metadata.name)).toEqual(['kept']);
  });

  it('waits for the vm-lifecycle plugin to connect its store', async () => {
    const feed = new InstanceFeed();
    const { connection, mutations } = mockConnection();
    const provider = new VmInstanceEntityProvider({
      instances: feed,
      names,
      links,
      logger: mockServices.logger.mock(),
      taskRunner: manualTaskRunner().runner as any,
      deltaDelayMs: 10,
    });
    const connecting = provider.connect(connection);
    await new Promise(r => setTimeout(r, 20));
    expect(mutations).toHaveLength(0);
    const source = new FakeSource();
    source.items.set('default/late', makeInstance('late'));
    feed.connect(source);
    await connecting;
    expect(mutations).toHaveLength(1);
    expect(source.listenerCount).toBe(1);
  });
});
