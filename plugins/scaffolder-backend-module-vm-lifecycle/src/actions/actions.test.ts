import { AddressInfo } from 'node:net';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { apiGroupNames } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { readInstanceLinks } from '@vm-selfservice/plugin-vm-lifecycle-node';
// The actions are tested against the real vm-lifecycle plugin (permission policy, owner check,
// controller, AAP simulator) in a test backend, started by that plugin's own test helper.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports, @backstage/no-forbidden-package-imports
import {
  ApiBackend,
  startApiBackend,
} from '@vm-selfservice/plugin-vm-lifecycle-backend/src/__testUtils__/apiBackend';
import { VmLifecycleRestClient } from '../VmLifecycleRestClient';
import { createVmInstanceCreateAction } from './createInstance';
import { createVmInstanceDeleteAction } from './deleteInstance';

jest.setTimeout(60_000);

const names = apiGroupNames('osac.openshift.io');
const links = readInstanceLinks(
  new ConfigReader({ app: { baseUrl: 'http://portal.test' } }),
);

let backend: ApiBackend;

async function start(options: Parameters<typeof startApiBackend>[0] = {}) {
  backend = await startApiBackend(options);
  const { port } = backend.server.address() as AddressInfo;
  const client = new VmLifecycleRestClient({
    discovery: {
      getBaseUrl: async id => `http://127.0.0.1:${port}/api/${id}`,
      getExternalBaseUrl: async id => `http://127.0.0.1:${port}/api/${id}`,
    },
    auth: mockServices.auth(),
  });
  return {
    create: createVmInstanceCreateAction({
      client,
      names,
      links,
      defaultNamespace: 'default',
      pollIntervalMs: 50,
    }),
    remove: createVmInstanceDeleteAction({
      client,
      defaultNamespace: 'default',
      pollIntervalMs: 50,
    }),
    client,
  };
}

afterEach(async () => {
  await backend?.stop();
});

/** A task run by `user`, with the task's AbortSignal and dry-run flag. */
function context<T extends Record<string, any>>(
  input: T,
  o: { user?: string; signal?: AbortSignal; isDryRun?: boolean } = {},
) {
  const credentials = mockCredentials.user(`user:default/${o.user ?? 'alice'}`);
  return {
    ...createMockActionContext({ input }),
    getInitiatorCredentials: async () => credentials,
    signal: o.signal,
    isDryRun: o.isDryRun,
    credentials,
  } as any;
}

function outputs(ctx: { output: jest.Mock }) {
  return Object.fromEntries(ctx.output.mock.calls);
}

const SMALL_VM = {
  name: 'dev-vm',
  templateID: 'fedora_small',
  owner: 'group:default/team-a',
  component: 'component:default/shop',
};

describe('vm-lifecycle:instance:create', () => {
  it('requests the VM as the task user and waits until it runs', async () => {
    const { create, client } = await start();
    const ctx = context({ ...SMALL_VM, spec: { cores: 1 } });
    await create.handler(ctx);

    const out = outputs(ctx);
    expect(out).toMatchObject({
      name: 'dev-vm',
      namespace: 'default',
      portalUrl: 'http://portal.test/virtual-machines/default/dev-vm',
    });
    expect(out.uid).toMatch(/.+/);
    expect(out.provisionJobId).toMatch(/^\d+$/);
    const stored = await client.get('default', 'dev-vm', ctx.credentials);
    // Database mode has no KubeVirt to read an IP from: the output is what the status says.
    expect(out.ipAddress).toBe(stored?.status.ipAddress ?? '');
    expect(stored?.status.phase).toBe('Running');
    expect(stored?.spec.cores).toBe(1);
    expect(stored?.metadata.annotations).toMatchObject({
      [names.requestedByAnnotation]: 'user:default/alice',
      [names.ownerAnnotation]: 'group:default/team-a',
      [names.componentAnnotation]: 'component:default/shop',
    });
  });

  it('with waitFor Created, ends once the request is accepted', async () => {
    const { create } = await start({
      durations: { provisionMs: 60_000, deprovisionMs: 100 },
    });
    const ctx = context({ ...SMALL_VM, waitFor: 'Created' });
    await create.handler(ctx);
    expect(outputs(ctx)).toMatchObject({
      name: 'dev-vm',
      ipAddress: '',
    });
  });

  it("applies the plugin's owner check to the task user: a foreign group is refused", async () => {
    const { create, client } = await start();
    const ctx = context(SMALL_VM, { user: 'bob' });
    await expect(create.handler(ctx)).rejects.toThrow(
      /metadata\.annotations\["osac\.openshift\.io\/owner"\]/,
    );
    await expect(
      client.get(
        'default',
        'dev-vm',
        mockCredentials.user('user:default/carol'),
      ),
    ).resolves.toBeUndefined();
  });

  it('refuses a bad input naming it, before requesting anything', async () => {
    const { create } = await start();
    const ctx = context({
      ...SMALL_VM,
      name: 'Not_A_Name',
      spec: { cores: 0 },
    });
    await expect(create.handler(ctx)).rejects.toThrow(
      /input name: .*; input spec\.cores: /,
    );
    expect(backend.sim.jobs()).toEqual([]);
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('fails with the message of AAP when provisioning fails', async () => {
    const { create } = await start();
    backend.sim.setFaults({ jobFailureRate: 1 });
    const ctx = context(SMALL_VM);
    await expect(create.handler(ctx)).rejects.toThrow(
      /^Provisioning VM default\/dev-vm failed/,
    );
  });

  it('times out when the VM does not run in time', async () => {
    const { create } = await start({
      durations: { provisionMs: 60_000, deprovisionMs: 100 },
    });
    const ctx = context({ ...SMALL_VM, timeoutSeconds: 1 });
    await expect(create.handler(ctx)).rejects.toThrow(
      /Timed out after 1 s waiting for VM default\/dev-vm to be Running/,
    );
  });

  it('deletes the VM, which cancels its provision job, when the task is cancelled while it waits', async () => {
    const { create, client } = await start({
      durations: { provisionMs: 60_000, deprovisionMs: 100 },
    });
    const abort = new AbortController();
    const ctx = context(SMALL_VM, { signal: abort.signal });
    const run = create.handler(ctx);
    // Cancel once the provision job runs in AAP.
    const deadline = Date.now() + 20_000;
    while (!backend.sim.jobs().some(j => j.status === 'running')) {
      if (Date.now() > deadline) throw new Error('no provision job started');
      await new Promise(r => setTimeout(r, 50));
    }
    abort.abort();
    await expect(run).rejects.toThrow(/Cancelled while waiting/);

    const until = async (what: string, probe: () => Promise<boolean>) => {
      const end = Date.now() + 30_000;
      while (!(await probe())) {
        if (Date.now() > end) throw new Error(`Timed out: ${what}`);
        await new Promise(r => setTimeout(r, 100));
      }
    };
    await until('the provision job is canceled', async () =>
      backend.sim
        .jobs()
        .some(j => j.template.includes('create') && j.canceledAt !== undefined),
    );
    await until(
      'the VM is gone',
      async () =>
        (await client.get('default', 'dev-vm', ctx.credentials)) === undefined,
    );
  });

  it('in a dry run, checks the input and the template but requests nothing', async () => {
    const { create, client } = await start();
    const ctx = context(SMALL_VM, { isDryRun: true });
    await create.handler(ctx);
    expect(outputs(ctx)).toMatchObject({
      name: 'dev-vm',
      namespace: 'default',
      portalUrl: 'http://portal.test/virtual-machines/default/dev-vm',
    });
    expect(
      await client.get('default', 'dev-vm', ctx.credentials),
    ).toBeUndefined();
    expect(backend.sim.jobs()).toEqual([]);

    await expect(
      create.handler(
        context({ ...SMALL_VM, templateID: 'nope' }, { isDryRun: true }),
      ),
    ).rejects.toThrow(/input templateID: no VM template "nope"/);
  });
});

describe('vm-lifecycle:instance:delete', () => {
  it('deletes the VM as the task user and waits until it is gone', async () => {
    const { create, remove, client } = await start();
    const ctx = context(SMALL_VM);
    await create.handler(ctx);
    await remove.handler(context({ name: 'dev-vm' }));
    expect(
      await client.get('default', 'dev-vm', ctx.credentials),
    ).toBeUndefined();
    expect(
      backend.sim.jobs().filter(j => j.template.includes('delete')),
    ).toHaveLength(1);
  });

  it("refuses a user who may not delete the VM (the plugin's permissions apply)", async () => {
    const { create, remove, client } = await start();
    const ctx = context(SMALL_VM);
    await create.handler(ctx);
    await expect(
      remove.handler(context({ name: 'dev-vm' }, { user: 'bob' })),
    ).rejects.toThrow(/does not exist \(or is not visible/);
    expect(
      (await client.get('default', 'dev-vm', ctx.credentials))?.metadata
        .deletionTimestamp,
    ).toBeUndefined();
  });

  it('with ignoreMissing, succeeds for a VM that does not exist', async () => {
    const { remove } = await start();
    await remove.handler(context({ name: 'never-was', ignoreMissing: true }));
    await expect(
      remove.handler(context({ name: 'never-was' })),
    ).rejects.toThrow(/never-was does not exist/);
  });

  it('in a dry run, deletes nothing', async () => {
    const { create, remove, client } = await start();
    const ctx = context(SMALL_VM);
    await create.handler(ctx);
    await remove.handler(context({ name: 'dev-vm' }, { isDryRun: true }));
    const still = await client.get('default', 'dev-vm', ctx.credentials);
    expect(still?.metadata.deletionTimestamp).toBeUndefined();
  });
});
