import { testLaunch } from '../__testUtils__/launchRequest';
import { NotFoundError } from '@backstage/errors';
import {
  apiGroupNames,
  ComputeInstance,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { InMemoryStore } from '../store/InMemoryStore';
import { FakeProvider } from '../__testUtils__/FakeProvider';
import { sampleSpec } from '../__testUtils__/harness';
import {
  DEPROVISION_URL,
  FakeEventStreams,
  PROVISION_URL,
} from './__testUtils__/edaHarness';
import { setReconciledVersion } from './edaMetadata';
import { EdaProvider } from './EdaProvider';
import { createRoutingProvider, RoutingProvider } from './RoutingProvider';

const names = apiGroupNames();

function setup(
  launch: 'aap' | 'eda',
  parts: { aap?: boolean; eda?: boolean } = { aap: true, eda: true },
) {
  const store = new InMemoryStore();
  const streams = new FakeEventStreams();
  const aap = new FakeProvider();
  const eda = new EdaProvider({
    store,
    names,
    provisionUrl: PROVISION_URL,
    deprovisionUrl: DEPROVISION_URL,
    auth: { type: 'token', token: 't' },
    fetchImpl: streams.fetchImpl,
  });
  const router = createRoutingProvider({
    launch,
    store,
    names,
    aap: parts.aap ? aap : undefined,
    eda: parts.eda ? eda : undefined,
  });
  return { store, streams, aap, router };
}

const job = (
  jobID: string,
  type: ProvisioningJob['type'],
  configVersion = 'v1',
): ProvisioningJob => ({
  jobID,
  type,
  timestamp: '2026-01-01T00:00:00Z',
  state: 'Unknown',
  message: '',
  configVersion,
  blockDeletionOnFailure: type === 'deprovision',
});

async function instance(
  store: InMemoryStore,
  name: string,
  jobs: ProvisioningJob[] = [],
  edaFinalizer = false,
): Promise<ComputeInstance> {
  const created = await store.create({
    metadata: {
      name,
      namespace: 'default',
      finalizers: [
        names.finalizer,
        ...(edaFinalizer ? [names.aapFinalizer] : []),
      ],
    },
    spec: sampleSpec(),
  });
  return store.updateStatus({ ...created, status: { provisioningJobs: jobs } });
}

describe('RoutingProvider', () => {
  it('launches with the configured provider', async () => {
    const eda = setup('eda');
    const vm = await instance(eda.store, 'a');
    expect((await eda.router.triggerProvision(vm, testLaunch())).jobID).toBe(
      'eda-webhook-1',
    );
    expect(eda.router.name).toBe('eda');

    const aap = setup('aap');
    const vm2 = await instance(aap.store, 'b');
    expect((await aap.router.triggerProvision(vm2, testLaunch())).jobID).toBe(
      '100',
    );
    expect(aap.router.name).toBe('fake');
    expect(aap.streams.posted).toEqual([]);
  });

  it('after a switch to AAP Direct, judges a running EDA provision by the annotation, without EDA settings', async () => {
    const { store, router, aap } = setup('aap', { aap: true });
    const vm = await instance(
      store,
      'starting',
      [job('eda-webhook-1', 'provision')],
      true,
    );
    const edaJob = job('eda-webhook-1', 'provision');
    expect((await router.getProvisionStatus(vm, edaJob)).state).toBe('Unknown');
    expect(await router.cancelJob(vm, edaJob)).toBe('notSupported');
    await setReconciledVersion(store, names, vm.metadata, 'v1');
    expect((await router.getProvisionStatus(vm, edaJob)).state).toBe(
      'Succeeded',
    );
    expect(aap.calls).toEqual([]);
  });

  it('routes AAP ids to AAP Direct', async () => {
    const { store, router, aap } = setup('eda');
    const vm = await instance(store, 'old');
    const launched = await aap.triggerProvision(vm, testLaunch());
    aap.setState(launched.jobID, 'Running');
    expect(
      (await router.getProvisionStatus(vm, job(launched.jobID, 'provision')))
        .state,
    ).toBe('Running');
    expect(await router.cancelJob(vm, job(launched.jobID, 'provision'))).toBe(
      'cancelRequested',
    );
  });

  it('deprovisions an EDA-created instance through AAP Direct and removes the -aap finalizer only after that job succeeded', async () => {
    const { store, router, aap } = setup('aap');
    const vm = await instance(
      store,
      'eda-made',
      [{ ...job('eda-webhook-1', 'provision'), state: 'Succeeded' }],
      true,
    );
    const trigger = await router.triggerDeprovision(vm, testLaunch());
    expect(trigger.action).toBe('triggered');
    const deprovision = job((trigger as any).job.jobID, 'deprovision');

    aap.setState(deprovision.jobID, 'Running');
    expect((await router.getDeprovisionStatus(vm, deprovision)).state).toBe(
      'Running',
    );
    expect(
      (await store.get('default', 'eda-made'))!.metadata.finalizers,
    ).toContain(names.aapFinalizer);

    aap.setState(deprovision.jobID, 'Succeeded');
    const done = await router.getDeprovisionStatus(vm, deprovision);
    expect(done.state).toBe('Succeeded');
    expect(done.message).toContain(`removed finalizer ${names.aapFinalizer}`);
    expect(
      (await store.get('default', 'eda-made'))!.metadata.finalizers,
    ).toEqual([names.finalizer]);
  });

  it('does the same when the success arrives through a batch poll, and leaves EDA ids out of batches', async () => {
    const { store, router, aap } = setup('aap');
    const vm = await instance(store, 'batched', [], true);
    const trigger = await router.triggerDeprovision(vm, testLaunch());
    const id = (trigger as any).job.jobID as string;
    aap.setState(id, 'Succeeded');
    const statuses = await router.getStatuses!([id, 'eda-webhook-1']);
    expect([...statuses.keys()]).toEqual([id]);
    expect(statuses.get(id)!.state).toBe('Succeeded');
    expect(
      (await store.get('default', 'batched'))!.metadata.finalizers,
    ).toEqual([names.finalizer]);
  });

  it('a store error for one instance leaves only its job out of the batch, never the others', async () => {
    const { store, router, aap } = setup('aap');
    const broken = await instance(store, 'broken', [], true);
    const fine = await instance(store, 'fine', [], true);
    const a = (
      (await router.triggerDeprovision(broken, testLaunch('a'))) as any
    ).job.jobID as string;
    const b = ((await router.triggerDeprovision(fine, testLaunch('b'))) as any)
      .job.jobID as string;
    const c = (await aap.triggerProvision(fine, testLaunch('c'))).jobID;
    aap.setState(a, 'Succeeded');
    aap.setState(b, 'Succeeded');
    aap.setState(c, 'Running');
    const update = store.update.bind(store);
    store.update = async obj => {
      if (obj.metadata.name === 'broken') throw new Error('database is down');
      return update(obj);
    };
    const statuses = await router.getStatuses!([a, b, c]);
    expect(statuses.has(a)).toBe(false);
    expect(statuses.get(b)?.state).toBe('Succeeded');
    expect(statuses.get(c)?.state).toBe('Running');
    expect(
      (await store.get('default', 'broken'))!.metadata.finalizers,
    ).toContain(names.aapFinalizer);
  });

  it('after a restart, the first read of an AAP deprovision job learns that the finalizer must go', async () => {
    const { store, aap } = setup('aap');
    const vm = await instance(store, 'restarted', [], true);
    const launched = await aap.triggerDeprovision(vm, testLaunch());
    const restarted = new RoutingProvider({ launch: 'aap', store, names, aap });
    const deprovision = job((launched as any).job.jobID, 'deprovision');
    aap.setState(deprovision.jobID, 'Running');
    await restarted.getDeprovisionStatus(vm, deprovision);
    aap.setState(deprovision.jobID, 'Succeeded');
    await restarted.getStatuses!([deprovision.jobID]);
    expect(
      (await store.get('default', 'restarted'))!.metadata.finalizers,
    ).toEqual([names.finalizer]);
  });

  it('keeps the -aap finalizer when the AAP Direct deprovision fails', async () => {
    const { store, router, aap } = setup('aap');
    const vm = await instance(store, 'failing', [], true);
    const trigger = await router.triggerDeprovision(vm, testLaunch());
    const deprovision = job((trigger as any).job.jobID, 'deprovision');
    aap.setState(deprovision.jobID, 'Failed');
    expect((await router.getDeprovisionStatus(vm, deprovision)).state).toBe(
      'Failed',
    );
    expect(
      (await store.get('default', 'failing'))!.metadata.finalizers,
    ).toContain(names.aapFinalizer);
  });

  it('after a switch to EDA, never skips an AAP-provisioned instance: AAP Direct deprovisions it, or it waits', async () => {
    const withAap = setup('eda');
    const vm = await instance(withAap.store, 'aap-made', [
      { ...job('41', 'provision'), state: 'Succeeded' },
    ]);
    const trigger = await withAap.router.triggerDeprovision(vm, testLaunch());
    expect(trigger.action).toBe('triggered');
    expect(withAap.aap.launched('deprovision')).toHaveLength(1);
    expect(withAap.streams.posted).toEqual([]);

    const edaOnly = setup('eda', { eda: true });
    const vm2 = await instance(edaOnly.store, 'aap-made', [
      { ...job('41', 'provision'), state: 'Succeeded' },
    ]);
    const waiting = await edaOnly.router.triggerDeprovision(vm2, testLaunch());
    expect(waiting).toMatchObject({ action: 'waiting' });
    expect((waiting as any).message).toContain('vmLifecycle.provider.aap');
  });

  it('in EDA mode: EDA-made instances get the delete event, and those without finalizer or AAP history are skipped', async () => {
    const { store, router, streams } = setup('eda');
    const made = await instance(
      store,
      'eda-made',
      [{ ...job('eda-webhook-1', 'provision'), state: 'Succeeded' }],
      true,
    );
    expect((await router.triggerDeprovision(made, testLaunch())).action).toBe(
      'triggered',
    );
    expect(streams.to(DEPROVISION_URL)).toHaveLength(1);
    const never = await instance(store, 'never', [
      { ...job('eda-webhook-1', 'provision'), state: 'Failed' },
    ]);
    expect((await router.triggerDeprovision(never, testLaunch())).action).toBe(
      'skipped',
    );
  });

  it('job output: none for EDA events; AAP jobs ask AAP Direct', async () => {
    const { router } = setup('aap');
    await expect(router.getJobOutput('eda-webhook-1')).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(router.getJobOutput('42')).rejects.toThrow(
      'No AAP Direct provider',
    );
  });

  it('an AAP job without AAP Direct configured is terminal, not polled forever', async () => {
    const { store, router } = setup('eda', { eda: true });
    const vm = await instance(store, 'orphan-job');
    expect(
      (await router.getProvisionStatus(vm, job('42', 'provision'))).state,
    ).toBe('Failed');
    expect(await router.cancelJob(vm, job('42', 'provision'))).toBe(
      'notSupported',
    );
    expect(router.getStatuses).toBeUndefined();
  });

  it('refuses a launch provider that is not configured', () => {
    const store = new InMemoryStore();
    expect(() =>
      createRoutingProvider({
        launch: 'eda',
        store,
        names,
        aap: new FakeProvider(),
      }),
    ).toThrow('vmLifecycle.provider.eda');
    expect(() =>
      createRoutingProvider({ launch: 'aap', store, names }),
    ).toThrow('vmLifecycle.provider.aap');
  });
});
