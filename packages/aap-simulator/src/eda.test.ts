import { createHmac } from 'node:crypto';
import {
  isFinished,
  SimHarness,
  startSimulator,
} from './testing/simTestHarness';

const TOKEN_STREAM = '0b1c9a0e-1111-4a4a-8c8c-000000000001';
const HMAC_STREAM = '0b1c9a0e-2222-4a4a-8c8c-000000000002';
const DELETE_STREAM = '0b1c9a0e-3333-4a4a-8c8c-000000000003';
const SECRET = 'hmac-secret';

function resource(name: string, uid: string) {
  return {
    apiVersion: 'osac.openshift.io/v1alpha1',
    kind: 'ComputeInstance',
    metadata: { namespace: 'team-a', name, uid },
    spec: { templateID: 'small', runStrategy: 'Always' },
  };
}

function sign(body: string, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

describe('EDA event streams', () => {
  let h: SimHarness;
  const post = (
    uuid: string,
    body: string,
    headers: Record<string, string> = {},
  ) =>
    fetch(
      `${h.url}/eda-event-streams/api/eda/v1/external_event_stream/${uuid}/post/`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body,
      },
    );

  beforeEach(async () => {
    h = await startSimulator({
      edaStreams: [
        { uuid: TOKEN_STREAM, action: 'provision', token: 'eda-token' },
        { uuid: HMAC_STREAM, action: 'provision', hmacSecret: SECRET },
        {
          uuid: DELETE_STREAM,
          action: 'deprovision',
          token: 'Bearer del',
          tokenHeader: 'X-Api-Key',
        },
      ],
    });
  });

  afterEach(async () => {
    await h.close();
  });

  it('accepts a token-authenticated event and launches the mapped template with it as the payload', async () => {
    const body = JSON.stringify(resource('eda-vm', 'e1'));
    const res = await post(TOKEN_STREAM, body, { Authorization: 'eda-token' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');

    const [job] = h.sim.jobs();
    expect(job).toMatchObject({
      template: 'osac-create-compute-instance',
      instance: { namespace: 'team-a', name: 'eda-vm', uid: 'e1' },
    });
    const detail = await h.job(job.id);
    const event = JSON.parse(detail.extra_vars).ansible_eda.event;
    expect(event.payload).toEqual(JSON.parse(body));
    expect(event.meta.headers.authorization).toBeUndefined();
    await h.waitForJob(job.id, isFinished);
    expect(h.sim.vms()).toEqual([
      expect.objectContaining({ name: 'eda-vm', createdByJob: job.id }),
    ]);
    expect(h.sim.requestCounts().eda_post).toBe(1);
  });

  it('rejects a missing token with 401 and a wrong one with 403, launching nothing', async () => {
    const body = JSON.stringify(resource('x', 'x'));
    expect((await post(TOKEN_STREAM, body)).status).toBe(401);
    const wrong = await post(TOKEN_STREAM, body, { Authorization: 'nope' });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toHaveProperty('detail');
    expect(h.sim.jobs()).toEqual([]);
  });

  it('uses the configured token header', async () => {
    const created = await h.launch('osac-create-compute-instance', {
      namespace: 'team-a',
      name: 'del',
      uid: 'd',
    });
    await h.waitForJob(created, isFinished);
    const body = JSON.stringify(resource('del', 'd'));
    expect(
      (await post(DELETE_STREAM, body, { Authorization: 'Bearer del' })).status,
    ).toBe(401);
    expect(
      (await post(DELETE_STREAM, body, { 'X-Api-Key': 'Bearer del' })).status,
    ).toBe(200);
    const job = h.sim
      .jobs()
      .find(j => j.template === 'osac-delete-compute-instance')!;
    await h.waitForJob(job.id, isFinished);
    expect(h.sim.vms()).toEqual([]);
  });

  it('accepts a valid HMAC-SHA256 signature, with or without the sha256= prefix', async () => {
    const body = JSON.stringify(resource('signed', 's1'));
    expect(
      (await post(HMAC_STREAM, body, { 'X-Hub-Signature-256': sign(body) }))
        .status,
    ).toBe(200);
    expect(
      (
        await post(HMAC_STREAM, body, {
          'X-Hub-Signature-256': `sha256=${sign(body)}`,
        })
      ).status,
    ).toBe(200);
    expect(h.sim.jobs()).toHaveLength(2);
  });

  it('rejects a bad or missing signature and a tampered body', async () => {
    const body = JSON.stringify(resource('signed', 's1'));
    expect((await post(HMAC_STREAM, body)).status).toBe(401);
    expect(
      (
        await post(HMAC_STREAM, body, {
          'X-Hub-Signature-256': sign(body, 'other'),
        })
      ).status,
    ).toBe(403);
    const tampered = body.replace('signed', 'evil');
    expect(
      (await post(HMAC_STREAM, tampered, { 'X-Hub-Signature-256': sign(body) }))
        .status,
    ).toBe(403);
    expect(h.sim.jobs()).toEqual([]);
  });

  it('answers 404 for an unknown stream, 405 for GET and 400 for a body that is not JSON', async () => {
    expect(
      (await post('no-such-stream', '{}', { Authorization: 'eda-token' }))
        .status,
    ).toBe(404);
    const get = await fetch(
      `${h.url}/eda-event-streams/api/eda/v1/external_event_stream/${TOKEN_STREAM}/post/`,
    );
    expect(get.status).toBe(405);
    expect(
      (await post(TOKEN_STREAM, 'not json', { Authorization: 'eda-token' }))
        .status,
    ).toBe(400);
  });

  it('drops a repeat of an event id it already acted on (Idempotency-Key), still answering 200', async () => {
    const body = JSON.stringify(resource('dup', 'u-dup'));
    const headers = {
      Authorization: 'eda-token',
      'Idempotency-Key': 'u-dup-provision-1',
    };
    expect((await post(TOKEN_STREAM, body, headers)).status).toBe(200);
    expect((await post(TOKEN_STREAM, body, headers)).status).toBe(200);
    expect(h.sim.jobs()).toHaveLength(1);
    // The id reaches the rulebook in the event's headers.
    const job = await h.job(h.sim.jobs()[0].id);
    expect(
      JSON.parse(job.extra_vars).ansible_eda.event.meta.headers[
        'idempotency-key'
      ],
    ).toBe('u-dup-provision-1');
    // Another id (the next intent) is a new event.
    await post(TOKEN_STREAM, body, {
      ...headers,
      'Idempotency-Key': 'u-dup-provision-2',
    });
    expect(h.sim.jobs()).toHaveLength(2);
  });
});
