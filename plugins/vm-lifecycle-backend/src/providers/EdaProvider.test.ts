import { testLaunch } from '../__testUtils__/launchRequest';
import { ConfigReader } from '@backstage/config';
import {
  apiGroupNames,
  ComputeInstance,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { InMemoryStore } from '../store/InMemoryStore';
import { sampleSpec } from '../__testUtils__/harness';
import {
  DEPROVISION_URL,
  FakeEventStreams,
  PROVISION_URL,
} from './__testUtils__/edaHarness';
import { readEdaSettings } from './edaConfig';
import {
  addAapFinalizer,
  removeAapFinalizer,
  setReconciledVersion,
} from './edaMetadata';
import { createEdaProvider, EdaProvider } from './EdaProvider';
import { ProvisioningProvider } from './types';

const names = apiGroupNames();

function setup(
  options: { completionTimeoutMs?: number; now?: () => number } = {},
) {
  const store = new InMemoryStore();
  const streams = new FakeEventStreams();
  const provider = createEdaProvider({
    store,
    names,
    provisionUrl: PROVISION_URL,
    deprovisionUrl: DEPROVISION_URL,
    auth: { type: 'token', token: 't' },
    fetchImpl: streams.fetchImpl,
    ...options,
  });
  return { store, streams, provider };
}

const job = (
  jobID: string,
  type: ProvisioningJob['type'],
  configVersion = 'v1',
  timestamp = '2026-01-01T00:00:00Z',
): ProvisioningJob => ({
  jobID,
  type,
  timestamp,
  state: 'Unknown',
  message: '',
  configVersion,
  blockDeletionOnFailure: type === 'deprovision',
});

async function instance(
  store: InMemoryStore,
  name = 'vm',
): Promise<ComputeInstance> {
  return store.create({
    metadata: { name, namespace: 'default', finalizers: [names.finalizer] },
    spec: sampleSpec(),
  });
}

const refOf = (i: ComputeInstance) => ({
  namespace: 'default',
  name: i.metadata.name,
  uid: i.metadata.uid,
});

describe('EdaProvider', () => {
  it('numbers events after the highest eda-webhook id in the history and records them as Unknown', async () => {
    const { store, provider } = setup();
    const vm = await instance(store);
    const withHistory: ComputeInstance = {
      ...vm,
      status: {
        provisioningJobs: [
          job('17', 'provision'),
          job('eda-webhook-4', 'provision'),
        ],
      },
    };
    const launched = await provider.triggerProvision(withHistory, testLaunch());
    expect(launched).toMatchObject({
      jobID: 'eda-webhook-5',
      state: 'Unknown',
    });
    expect(launched.message).toContain('EDA event stream');
    expect(launched.message).not.toContain('aap.example.com');
    expect(launched.message).not.toContain('11111111');
  });

  it('provision status comes from the stored annotation, not from the instance it is handed', async () => {
    const { store, provider } = setup();
    const snapshot = await instance(store);
    const j = job('eda-webhook-1', 'provision', 'v2');
    expect((await provider.getProvisionStatus(snapshot, j)).state).toBe(
      'Unknown',
    );
    await setReconciledVersion(store, names, refOf(snapshot), 'v1');
    const other = await provider.getProvisionStatus(snapshot, j);
    expect(other).toMatchObject({ state: 'Unknown' });
    expect(other.message).toContain('now "v1"');
    await setReconciledVersion(store, names, refOf(snapshot), 'v2');
    expect(await provider.getProvisionStatus(snapshot, j)).toMatchObject({
      state: 'Succeeded',
    });
  });

  it('ignores a newer instance that reused the name', async () => {
    const { store, provider } = setup();
    const old = await instance(store);
    await store.update({
      ...old,
      metadata: { ...old.metadata, finalizers: [] },
    });
    await store.delete('default', 'vm');
    const reused = await instance(store);
    await setReconciledVersion(store, names, refOf(reused), 'v1');
    expect(
      (
        await provider.getProvisionStatus(
          old,
          job('eda-webhook-1', 'provision'),
        )
      ).state,
    ).toBe('Unknown');
    expect(
      (
        await provider.getDeprovisionStatus(
          old,
          job('eda-webhook-2', 'deprovision'),
        )
      ).state,
    ).toBe('Succeeded');
  });

  it('deprovision: skipped without the -aap finalizer, otherwise sent and done when the finalizer is gone', async () => {
    const { store, streams, provider } = setup();
    const vm = await instance(store);
    expect(await provider.triggerDeprovision(vm, testLaunch())).toMatchObject({
      action: 'skipped',
    });
    expect(streams.posted).toEqual([]);

    await addAapFinalizer(store, names, refOf(vm));
    const withFinalizer = (await store.get('default', 'vm'))!;
    const trigger = await provider.triggerDeprovision(
      withFinalizer,
      testLaunch(),
    );
    expect(trigger).toMatchObject({
      action: 'triggered',
      job: { jobID: 'eda-webhook-1', state: 'Unknown' },
    });
    expect(streams.to(DEPROVISION_URL)).toHaveLength(1);
    const j = job('eda-webhook-1', 'deprovision');
    expect((await provider.getDeprovisionStatus(vm, j)).state).toBe('Unknown');
    await removeAapFinalizer(store, names, refOf(vm));
    expect(await provider.getDeprovisionStatus(vm, j)).toMatchObject({
      state: 'Succeeded',
    });
  });

  it('has nothing to cancel, and no batch status: the same id exists on many instances', async () => {
    const { provider } = setup();
    expect(await provider.cancelJob()).toBe('notSupported');
    expect((provider as ProvisioningProvider).getStatuses).toBeUndefined();
  });

  it('reports Failed after the completion timeout, and only then', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { store, provider } = setup({
      completionTimeoutMs: 60_000,
      now: () => now,
    });
    const vm = await instance(store);
    await addAapFinalizer(store, names, refOf(vm));
    now += 60_000;
    expect(
      (await provider.getProvisionStatus(vm, job('eda-webhook-1', 'provision')))
        .state,
    ).toBe('Unknown');
    now += 1;
    expect(
      (await provider.getProvisionStatus(vm, job('eda-webhook-1', 'provision')))
        .state,
    ).toBe('Failed');
    expect(
      (
        await provider.getDeprovisionStatus(
          vm,
          job('eda-webhook-2', 'deprovision'),
        )
      ).state,
    ).toBe('Failed');
  });

  it('refuses bad settings at construction', () => {
    const store = new InMemoryStore();
    const base = {
      store,
      names,
      provisionUrl: PROVISION_URL,
      deprovisionUrl: DEPROVISION_URL,
      auth: { type: 'token' as const, token: 't' },
    };
    expect(
      () => new EdaProvider({ ...base, provisionUrl: 'not a url' }),
    ).toThrow('vmLifecycle.provider.eda.provisionUrl');
    expect(
      () => new EdaProvider({ ...base, deprovisionUrl: 'ftp://x/y' }),
    ).toThrow('vmLifecycle.provider.eda.deprovisionUrl');
    expect(
      () => new EdaProvider({ ...base, auth: { type: 'token', token: '' } }),
    ).toThrow('vmLifecycle.provider.eda.auth.token');
  });
});

describe('readEdaSettings', () => {
  it('reads token and HMAC settings with durations', () => {
    const token = readEdaSettings(
      new ConfigReader({
        provisionUrl: PROVISION_URL,
        deprovisionUrl: DEPROVISION_URL,
        auth: { type: 'token', token: 't', header: 'X-Api-Key' },
        timeout: { seconds: 10 },
        completionTimeout: { hours: 1 },
        callbackToken: 'cb',
      }),
    );
    expect(token).toEqual({
      provisionUrl: PROVISION_URL,
      deprovisionUrl: DEPROVISION_URL,
      auth: { type: 'token', token: 't', header: 'X-Api-Key' },
      timeoutMs: 10_000,
      completionTimeoutMs: 3_600_000,
      callbackToken: 'cb',
      caFile: undefined,
      insecureSkipTlsVerify: undefined,
    });
    const hmac = readEdaSettings(
      new ConfigReader({
        provisionUrl: PROVISION_URL,
        deprovisionUrl: DEPROVISION_URL,
        auth: { type: 'hmac', secret: 's', encoding: 'base64', prefix: '' },
      }),
    );
    expect(hmac.auth).toEqual({
      type: 'hmac',
      secret: 's',
      encoding: 'base64',
      prefix: '',
      header: undefined,
    });
  });

  it('fails loudly on a wrong auth type or encoding', () => {
    const base = {
      provisionUrl: PROVISION_URL,
      deprovisionUrl: DEPROVISION_URL,
    };
    expect(() =>
      readEdaSettings(new ConfigReader({ ...base, auth: { type: 'basic' } })),
    ).toThrow('auth.type');
    expect(() =>
      readEdaSettings(
        new ConfigReader({
          ...base,
          auth: { type: 'hmac', secret: 's', encoding: 'hexa' },
        }),
      ),
    ).toThrow('auth.encoding');
  });
});
