import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  AuthenticationError,
  ConfigurationError,
  RateLimitedError,
  TransientAapError,
} from '../aap/errors';
import { EdaEventSender } from './edaEventSender';

const URL_ =
  'https://aap.example.com/eda-event-streams/api/eda/v1/external_event_stream/abc/post/';
const instance = {
  apiVersion: 'osac.openshift.io/v1alpha1',
  kind: 'ComputeInstance',
  metadata: { namespace: 'default', name: 'vm-1', uid: 'u' },
  spec: {},
  status: { desiredConfigVersion: 'v1' },
} as unknown as ComputeInstance;

function sender(
  answers: Array<Response | Error>,
  extra: Partial<ConstructorParameters<typeof EdaEventSender>[0]> = {},
) {
  const calls: RequestInit[] = [];
  const delays: number[] = [];
  const s = new EdaEventSender({
    auth: { type: 'token', token: 'secret-token' },
    fetchImpl: async (_url, init) => {
      calls.push(init);
      const next = answers.shift() ?? new Response('', { status: 200 });
      if (next instanceof Error) throw next;
      return next;
    },
    sleep: async ms => {
      delays.push(ms);
    },
    ...extra,
  });
  return { s, calls, delays };
}

const refused = () =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
  });
const reset = () =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
  });

describe('EdaEventSender', () => {
  it('POSTs the instance as JSON and accepts any 2xx', async () => {
    const { s, calls } = sender([new Response(null, { status: 202 })]);
    await s.send('provision', URL_, instance, 'event-11');
    expect(calls[0].method).toBe('POST');
    expect(JSON.parse(String(calls[0].body))).toEqual(instance);
    expect(new Headers(calls[0].headers).get('content-type')).toBe(
      'application/json',
    );
  });

  it.each([
    [401, '{"detail":"Authorization header is missing"}'],
    [403, '{"detail":"Token mismatch, check your token"}'],
    [400, '{"detail":"Authorization header is missing"}'],
  ])(
    'HTTP %s about credentials is an AuthenticationError, not retried, and never shows the token',
    async (status, body) => {
      const { s, calls } = sender([new Response(body, { status })]);
      const error = await s
        .send('provision', URL_, instance, 'event-12')
        .catch(e => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toContain('vmLifecycle.provider.eda.auth.token');
      expect(error.message).not.toContain('secret-token');
      expect(calls).toHaveLength(1);
    },
  );

  it('an unknown stream is a configuration error that names the URL setting', async () => {
    const { s } = sender([
      new Response('{"detail":"bad uuid specified"}', { status: 400 }),
    ]);
    const error = await s
      .send('deprovision', URL_, instance, 'event-13')
      .catch(e => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('vmLifecycle.provider.eda.deprovisionUrl');
  });

  it('429 is a RateLimitedError carrying Retry-After', async () => {
    const { s } = sender([
      new Response('', { status: 429, headers: { 'Retry-After': '12' } }),
    ]);
    const error = await s
      .send('provision', URL_, instance, 'event-14')
      .catch(e => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.retryAfterMs).toBe(12_000);
  });

  it('retries 5xx and refused connections with doubling delays, then gives up with a TransientAapError', async () => {
    const { s, calls, delays } = sender(
      [
        refused(),
        new Response('', { status: 503 }),
        new Response('oops', { status: 500 }),
      ],
      {
        maxAttempts: 3,
        retryBaseDelayMs: 100,
      },
    );
    const error = await s
      .send('provision', URL_, instance, 'event-15')
      .catch(e => e);
    expect(error).toBeInstanceOf(TransientAapError);
    expect(error.message).toContain('HTTP 500');
    expect(calls).toHaveLength(3);
    expect(delays).toEqual([100, 200]);
  });

  it('succeeds when a retry gets through, with the same signed bytes', async () => {
    const { s, calls } = sender(
      [new Response('', { status: 500 }), new Response('', { status: 200 })],
      {
        auth: { type: 'hmac', secret: 'k' },
      },
    );
    await s.send('provision', URL_, instance, 'event-16');
    expect(calls).toHaveLength(2);
    expect(calls[1].body).toBe(calls[0].body);
    expect(new Headers(calls[1].headers).get('x-hub-signature-256')).toBe(
      new Headers(calls[0].headers).get('x-hub-signature-256'),
    );
  });

  it('does not repeat an event whose fate is unknown (timeout, reset): the reconciler sends it again later', async () => {
    for (const failure of [
      reset(),
      Object.assign(new Error('aborted'), { name: 'TimeoutError' }),
    ]) {
      const { s, calls } = sender([failure]);
      const error = await s
        .send('provision', URL_, instance, 'event-17')
        .catch(e => e);
      expect(error).toBeInstanceOf(TransientAapError);
      expect(error.message).toContain('may or may not have taken the event');
      expect(calls).toHaveLength(1);
    }
  });

  it('a TLS failure is a configuration error', async () => {
    const tls = new TypeError('fetch failed', {
      cause: Object.assign(new Error('cert'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
    });
    const { s } = sender([tls]);
    await expect(
      s.send('provision', URL_, instance, 'event-18'),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });
});
