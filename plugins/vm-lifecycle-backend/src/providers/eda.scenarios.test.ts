import { createHmac } from 'node:crypto';
import {
  createEdaHarness,
  DEPROVISION_URL,
  PROVISION_URL,
} from './__testUtils__/edaHarness';

/* DOMAIN.md section 5, EDA scenarios, through the real reconciler and the real EDA provider. */

describe('EDA provider under the reconciler', () => {
  it('create: POSTs the whole instance, records eda-webhook-1 as Unknown, and is Running once the playbook reports the version', async () => {
    const h = createEdaHarness();
    await h.create('web-1');
    await h.step('web-1');

    const [event] = h.streams.to(PROVISION_URL);
    const stored = await h.mustGet('web-1');
    expect(event.payload.metadata).toMatchObject({
      name: 'web-1',
      uid: stored.metadata.uid,
    });
    expect(event.payload.spec).toEqual(stored.spec);
    expect(event.payload.status.desiredConfigVersion).toBe(
      stored.status.desiredConfigVersion,
    );
    expect(event.headers.authorization).toBe('Bearer eda-token');
    expect(stored.status.provisioningJobs).toEqual([
      expect.objectContaining({
        jobID: 'eda-webhook-1',
        type: 'provision',
        state: 'Unknown',
        configVersion: stored.status.desiredConfigVersion,
      }),
    ]);
    expect(stored.status.phase).toBe('Starting');

    // Polling without a signal changes nothing and sends nothing.
    await h.steps('web-1', 3);
    expect((await h.latest('web-1', 'provision'))?.state).toBe('Unknown');
    expect(h.streams.posted).toHaveLength(1);

    await h.playbook.create('web-1');
    await h.step('web-1');
    const running = await h.mustGet('web-1');
    expect(running.status.phase).toBe('Running');
    expect(await h.latest('web-1', 'provision')).toMatchObject({
      jobID: 'eda-webhook-1',
      state: 'Succeeded',
    });
    expect(await h.eventReasons('web-1')).toEqual(
      expect.arrayContaining(['ProvisionJobLaunched', 'ProvisionJobSucceeded']),
    );
  });

  it('delete: POSTs to the deprovision stream as eda-webhook-2; the -aap finalizer gone -> Succeeded -> record gone', async () => {
    const h = createEdaHarness();
    await h.running('web-2');
    await h.store.delete('default', 'web-2');
    await h.step('web-2');

    const [event] = h.streams.to(DEPROVISION_URL);
    expect(event.payload.metadata.deletionTimestamp).toBeDefined();
    expect(await h.latest('web-2', 'deprovision')).toMatchObject({
      jobID: 'eda-webhook-2',
      state: 'Unknown',
      blockDeletionOnFailure: true,
    });
    await h.steps('web-2', 2);
    expect((await h.mustGet('web-2')).metadata.finalizers).toContain(
      h.names.finalizer,
    );

    await h.playbook.removeFinalizer('web-2');
    await h.steps('web-2', 2);
    expect(await h.get('web-2')).toBeUndefined();
    expect(h.streams.to(DEPROVISION_URL)).toHaveLength(1);
  });

  it('no -aap finalizer: deprovisioning is skipped, nothing is sent, the record goes', async () => {
    const h = createEdaHarness();
    await h.create('never');
    // The event is rejected, so no playbook ever runs and no finalizer appears.
    h.streams.answers.push({
      status: 403,
      body: '{"detail":"Token mismatch, check your token"}',
    });
    await h.step('never');
    await h.store.delete('default', 'never');
    const before = await h.mustGet('never');
    await h.steps('never', 2);
    expect(await h.get('never')).toBeUndefined();
    expect(h.streams.to(DEPROVISION_URL)).toEqual([]);
    const events = await h.events.list(before.metadata);
    expect(
      events.find(e => e.reason === 'DeprovisionSkipped')?.message,
    ).toContain(`${h.names.aapFinalizer} is not on the instance`);
  });

  it('delete while the create playbook runs: nothing to cancel, so it waits for the playbook, then sends the delete event', async () => {
    const h = createEdaHarness();
    await h.create('busy');
    await h.step('busy');
    await h.playbook.addFinalizer('busy');
    await h.store.delete('default', 'busy');
    await h.steps('busy', 3);
    expect(h.streams.to(DEPROVISION_URL)).toEqual([]);
    expect((await h.mustGet('busy')).status.phase).toBe('Deleting');

    await h.playbook.reportApplied('busy');
    await h.steps('busy', 2);
    expect(h.streams.to(DEPROVISION_URL)).toHaveLength(1);
    await h.playbook.removeFinalizer('busy');
    await h.steps('busy', 2);
    expect(await h.get('busy')).toBeUndefined();
  });

  it('delete before the create playbook added its finalizer: the playbook cannot add it any more, so the provision is Canceled and deprovisioning skipped', async () => {
    const h = createEdaHarness();
    await h.create('early');
    await h.step('early');
    await h.store.delete('default', 'early');
    const before = await h.mustGet('early');
    expect((await h.playbook.addFinalizer('early')).outcome).toBe('deleting');
    await h.steps('early', 3);
    expect(await h.get('early')).toBeUndefined();
    expect(h.streams.to(DEPROVISION_URL)).toEqual([]);
    const reasons = (await h.events.list(before.metadata)).map(e => e.reason);
    expect(reasons).toEqual(
      expect.arrayContaining(['ProvisionJobCanceled', 'DeprovisionSkipped']),
    );
  });

  it('a new config version (restart) sends a new event; the old annotation does not complete it', async () => {
    const h = createEdaHarness();
    const running = await h.running('rs');
    const firstVersion = running.status.desiredConfigVersion;
    await h.store.update({
      ...running,
      spec: { ...running.spec, restartRequestedAt: '2026-02-01T00:00:00Z' },
    });
    await h.step('rs');
    const job = await h.latest('rs', 'provision');
    expect(job).toMatchObject({ jobID: 'eda-webhook-2', state: 'Unknown' });
    expect(job!.configVersion).not.toBe(firstVersion);
    expect(
      (await h.mustGet('rs')).metadata.annotations[
        h.names.reconciledConfigVersionAnnotation
      ],
    ).toBe(firstVersion);
    await h.steps('rs', 2);
    expect((await h.mustGet('rs')).status.phase).toBe('Starting');

    await h.playbook.reportApplied('rs', job!.configVersion);
    await h.steps('rs', 2);
    const restarted = await h.mustGet('rs');
    expect(restarted.status.phase).toBe('Running');
    expect(restarted.status.lastRestartedAt).toBe('2026-02-01T00:00:00Z');
  });

  it('a wrong token is reported on the instance and retried later, without recording a job', async () => {
    const h = createEdaHarness();
    await h.create('bad-token');
    h.streams.answers.push({
      status: 403,
      body: '{"detail":"Token mismatch, check your token"}',
    });
    const result = await h.step('bad-token');
    const obj = await h.mustGet('bad-token');
    expect(obj.status.provisioningJobs ?? []).toEqual([]);
    const condition = obj.status.conditions?.find(
      c => c.type === 'ConfigurationApplied',
    );
    expect(condition).toMatchObject({
      status: 'False',
      reason: 'AapAuthenticationFailed',
    });
    expect(condition?.message).toContain('HTTP 403');
    expect(condition?.message).toContain('vmLifecycle.provider.eda.auth.token');
    // What EDA said, and where the stream is, go to the log only (portal users read the condition).
    expect(condition?.message).not.toContain('Token mismatch');
    expect(condition?.message).not.toContain('http');
    expect(condition?.message).not.toContain('eda-token');
    expect(String(h.logger.warn.mock.calls)).toContain('Token mismatch');
    expect(obj.status.phase).toBe('Failed');
    expect(result.requeueAfterMs).toBe(60_000);

    h.advance(60_000);
    await h.step('bad-token');
    expect(await h.latest('bad-token', 'provision')).toMatchObject({
      jobID: 'eda-webhook-1',
      state: 'Unknown',
    });
  });

  it('a bad HMAC signature is reported on the instance', async () => {
    const h = createEdaHarness({ auth: { type: 'hmac', secret: 's3cret' } });
    await h.create('signed');
    h.streams.answers.push({
      status: 403,
      body: '{"detail":"Signature mismatch, check your payload and secret"}',
    });
    await h.step('signed');
    const [attempt] = h.streams.posted;
    expect(attempt.headers['x-hub-signature-256']).toBe(
      `sha256=${createHmac('sha256', 's3cret').update(attempt.body).digest('hex')}`,
    );
    const condition = (await h.mustGet('signed')).status.conditions?.find(
      c => c.type === 'ConfigurationApplied',
    );
    expect(condition?.message).toContain('HMAC signature');
    expect(condition?.message).not.toContain('Signature mismatch');
    expect(String(h.logger.warn.mock.calls)).toContain('Signature mismatch');
  });

  it('5xx answers are retried with backoff, then reported; 429 waits for Retry-After', async () => {
    const h = createEdaHarness();
    await h.create('flaky');
    h.streams.answers.push({ status: 500 }, { status: 502 }, { status: 500 });
    await h.step('flaky');
    expect(h.streams.posted).toHaveLength(3);
    const condition = (await h.mustGet('flaky')).status.conditions?.find(
      c => c.type === 'ConfigurationApplied',
    );
    expect(condition).toMatchObject({ reason: 'LaunchFailed' });
    expect(condition?.message).toContain('HTTP 500');

    h.streams.answers.push({ status: 429, headers: { 'Retry-After': '7' } });
    const limited = await h.step('flaky');
    expect(limited.requeueAfterMs).toBe(7000);
    expect((await h.mustGet('flaky')).status.provisioningJobs ?? []).toEqual(
      [],
    );

    h.advance(7000);
    await h.step('flaky');
    expect(await h.latest('flaky', 'provision')).toMatchObject({
      jobID: 'eda-webhook-1',
    });
  });

  it('with a completion timeout, a silent playbook is reported Failed and the event is sent again after backoff', async () => {
    const h = createEdaHarness({ completionTimeoutMs: 10 * 60_000 });
    await h.create('silent');
    await h.step('silent');
    h.advance(11 * 60_000);
    await h.step('silent');
    const failed = await h.latest('silent', 'provision');
    expect(failed).toMatchObject({ jobID: 'eda-webhook-1', state: 'Failed' });
    expect(failed!.message).toContain('No completion signal');
    expect((await h.mustGet('silent')).status.phase).toBe('Failed');

    h.advance(3 * 60_000);
    await h.step('silent');
    expect(await h.latest('silent', 'provision')).toMatchObject({
      jobID: 'eda-webhook-2',
      state: 'Unknown',
    });
    expect(h.streams.to(PROVISION_URL)).toHaveLength(2);
  });

  it('job numbers keep growing past the history cap', async () => {
    const h = createEdaHarness({ maxJobHistory: 3 });
    let obj = await h.running('capped');
    for (let i = 1; i <= 4; i++) {
      await h.store.update({
        ...obj,
        spec: { ...obj.spec, restartRequestedAt: `2026-03-0${i}T00:00:00Z` },
      });
      await h.step('capped');
      await h.playbook.reportApplied(
        'capped',
        (await h.latest('capped', 'provision'))!.configVersion,
      );
      await h.steps('capped', 2);
      obj = await h.mustGet('capped');
    }
    expect(obj.status.provisioningJobs!.map(j => j.jobID)).toEqual([
      'eda-webhook-3',
      'eda-webhook-4',
      'eda-webhook-5',
    ]);
    expect(obj.status.phase).toBe('Running');
  });
});
