/**
 * Cases the simulator cannot produce (HTTP-date Retry-After, proxies answering 502 or HTML,
 * refused connections, echoed tokens), driven through a fake fetch.
 */
import { AapClient } from './AapClient';
import {
  AapError,
  AuthenticationError,
  errorLogText,
  ConfigurationError,
  LaunchOutcomeUnknownError,
  RateLimitedError,
  TransientAapError,
} from './errors';
import { FetchLike } from './transport';

const TOKEN = 'super-secret-token-123';

type Responder = (
  url: string,
  init: RequestInit,
) => Response | Promise<Response>;

function fakeFetch(...responders: Responder[]) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetchImpl: FetchLike = async (url, init) => {
    calls.push({ url, init });
    const next = responders.length > 1 ? responders.shift()! : responders[0];
    return next(url, init);
  };
  return { fetchImpl, calls };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });

const refused = () => () => {
  throw new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), {
      code: 'ECONNREFUSED',
    }),
  });
};

function client(
  fetchImpl: FetchLike,
  extra: Partial<ConstructorParameters<typeof AapClient>[0]> = {},
) {
  return new AapClient({
    baseUrl: 'https://aap.example.com/api/controller/v2',
    token: TOKEN,
    retryBaseDelayMs: 1,
    fetchImpl,
    ...extra,
  });
}

describe('AapClient (fake fetch)', () => {
  it.each([
    'https://aap.example.com/api/controller/v2',
    'https://aap.example.com/api/controller/v2/',
    'https://aap.example.com/api/controller/v2//',
  ])('resolves paths under the base URL %p', async baseUrl => {
    const { fetchImpl, calls } = fakeFetch(
      json(200, { id: 1, status: 'running' }),
    );
    await client(fetchImpl, { baseUrl }).getJob(1);
    expect(calls[0].url).toBe(
      'https://aap.example.com/api/controller/v2/jobs/1/',
    );
    expect(new Headers(calls[0].init.headers).get('authorization')).toBe(
      `Bearer ${TOKEN}`,
    );
  });

  it('rejects a base URL that is not http(s)', () => {
    expect(() =>
      client(fakeFetch(json(200, {})).fetchImpl, { baseUrl: 'ftp://x/api/v2' }),
    ).toThrow(ConfigurationError);
    expect(() =>
      client(fakeFetch(json(200, {})).fetchImpl, { baseUrl: 'not a url' }),
    ).toThrow(ConfigurationError);
  });

  it('honours Retry-After given as an HTTP date', async () => {
    const at = new Date(Date.now() + 60_000).toUTCString();
    const { fetchImpl, calls } = fakeFetch(
      json(429, { detail: 'slow down' }, { 'retry-after': at }),
    );
    const err = await client(fetchImpl)
      .getJob(1)
      .catch(e => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryAfterMs).toBeGreaterThan(55_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(calls).toHaveLength(1);
  });

  it('uses a default back-off for 503 without Retry-After', async () => {
    const { fetchImpl } = fakeFetch(json(503, {}));
    const err = await client(fetchImpl)
      .getJob(1)
      .catch(e => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryAfterMs).toBe(5000);
  });

  it('never lets the token into messages or logs, even if a proxy echoes it', async () => {
    const warnings: string[] = [];
    const { fetchImpl } = fakeFetch(
      json(502, { detail: `upstream rejected Bearer ${TOKEN}` }),
      json(403, { detail: `token ${TOKEN} has no access` }),
    );
    const err = await client(fetchImpl, {
      logger: { warn: m => warnings.push(m) },
    })
      .getJob(1)
      .catch(e => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.message).toMatch(/lacks permission/);
    expect(err.message).not.toMatch(/aap\.example\.com/);
    expect(err.detail).toMatch(/aap\.example\.com/);
    expect(err.message).not.toContain(TOKEN);
    expect(err.detail).not.toContain(TOKEN);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.join('\n')).not.toContain(TOKEN);
  });

  it('retries a launch whose connection was refused: nothing reached AAP', async () => {
    const { fetchImpl, calls } = fakeFetch(
      refused(),
      json(201, { id: 9, job: 9, status: 'pending', ignored_fields: {} }),
    );
    await expect(client(fetchImpl).launchJobTemplate(3, {})).resolves.toEqual({
      id: 9,
      kind: 'job',
      status: 'pending',
    });
    expect(calls).toHaveLength(2);
  });

  it.each([502, 504])(
    'does not repeat a launch answered %p by a proxy: the job may exist',
    async status => {
      const { fetchImpl, calls } = fakeFetch(json(status, {}));
      const err = await client(fetchImpl)
        .launchJobTemplate(3, {})
        .catch(e => e);
      expect(err).toBeInstanceOf(LaunchOutcomeUnknownError);
      expect(err).toBeInstanceOf(TransientAapError);
      expect(err.templateId).toBe(3);
      expect(calls).toHaveLength(1);
    },
  );

  it("abandons a launch in flight when the caller's signal aborts: the signal's reason, no retry, no unknown outcome", async () => {
    const reason = new Error('leadership lost');
    const controller = new AbortController();
    const { fetchImpl, calls } = fakeFetch(
      (_url, init) =>
        new Promise<Response>((_resolve, reject) => {
          // Rejects as fetch does when its signal aborts.
          init.signal!.addEventListener('abort', () =>
            reject(init.signal!.reason),
          );
        }),
    );
    const pending = client(fetchImpl, { timeoutMs: 10_000 })
      .launchJobTemplate(3, {}, 'create', { signal: controller.signal })
      .catch(e => e);
    await new Promise(r => setTimeout(r, 20));
    controller.abort(reason);
    expect(await pending).toBe(reason);
    expect(calls).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted, and stops a retry backoff on abort', async () => {
    const reason = new Error('leadership lost');
    const { fetchImpl, calls } = fakeFetch(json(200, {}));
    const err = await client(fetchImpl)
      .cancelJob(5, { signal: AbortSignal.abort(reason) })
      .catch(e => e);
    expect(err).toBe(reason);
    expect(calls).toHaveLength(0);

    const controller = new AbortController();
    const refusing = fakeFetch(refused());
    const retrying = client(refusing.fetchImpl, { retryBaseDelayMs: 5_000 })
      .launchJobTemplate(3, {}, 'create', { signal: controller.signal })
      .catch(e => e);
    await new Promise(r => setTimeout(r, 20));
    controller.abort(reason);
    expect(await retrying).toBe(reason);
    expect(refusing.calls).toHaveLength(1);
  });

  it('retries GETs on 502/504 like any 5xx', async () => {
    const { fetchImpl, calls } = fakeFetch(
      json(502, {}),
      json(504, {}),
      json(200, { id: 1, status: 'successful' }),
    );
    await expect(client(fetchImpl).getJob(1)).resolves.toMatchObject({
      status: 'successful',
    });
    expect(calls).toHaveLength(3);
  });

  it('takes the job id from `job` or `workflow_job` when `id` is absent', async () => {
    const a = fakeFetch(json(201, { job: 5 }));
    await expect(
      client(a.fetchImpl).launchJobTemplate(1, {}),
    ).resolves.toMatchObject({ id: 5 });
    const b = fakeFetch(json(201, { workflow_job: 6 }));
    await expect(
      client(b.fetchImpl).launchWorkflowJobTemplate(1, {}),
    ).resolves.toMatchObject({ id: 6, kind: 'workflow' });
    const c = fakeFetch(json(201, {}));
    await expect(client(c.fetchImpl).launchJobTemplate(1, {})).rejects.toThrow(
      AapError,
    );
  });

  it('reports an HTML page (wrong base URL behind a gateway) clearly', async () => {
    const { fetchImpl } = fakeFetch(
      () => new Response('<html>login</html>', { status: 200 }),
    );
    await expect(client(fetchImpl).getJob(1)).rejects.toThrow(
      /not JSON.*baseUrl/,
    );
  });

  it('keeps what AAP said about a 400 for the log, out of the message users see', async () => {
    const { fetchImpl } = fakeFetch(
      json(400, { extra_vars: ['Must be valid JSON'] }),
    );
    const err = await client(fetchImpl)
      .launchJobTemplate(1, {})
      .catch(e => e);
    expect(err.constructor).toBe(AapError);
    expect(err.status).toBe(400);
    expect(err.message).not.toContain('Must be valid JSON');
    expect(err.detail).toContain('extra_vars: Must be valid JSON');
    expect(errorLogText(err)).toContain('extra_vars: Must be valid JSON');
  });

  it('does not follow a pagination link to another host with the token', async () => {
    const { fetchImpl, calls } = fakeFetch(
      json(200, {
        count: 2,
        next: 'https://evil.example.net/api/v2/unified_jobs/?page=2',
        previous: null,
        results: [{ id: 1, status: 'running', type: 'job' }],
      }),
    );
    await expect(client(fetchImpl).getJobStatuses([1, 2])).rejects.toThrow(
      /another host/,
    );
    expect(calls).toHaveLength(1);
  });

  it('follows server-relative next links under the gateway path', async () => {
    const { fetchImpl, calls } = fakeFetch(
      json(200, {
        count: 2,
        next: '/api/controller/v2/unified_jobs/?id__in=1,2&page=2',
        previous: null,
        results: [{ id: 1, status: 'running', type: 'job' }],
      }),
      json(200, {
        count: 2,
        next: null,
        previous: null,
        results: [
          {
            id: 2,
            status: 'failed',
            type: 'workflow_job',
            result_traceback: 'tb',
          },
        ],
      }),
    );
    const statuses = await client(fetchImpl).getJobStatuses([1, 2]);
    expect(calls[1].url).toBe(
      'https://aap.example.com/api/controller/v2/unified_jobs/?id__in=1,2&page=2',
    );
    expect(statuses.get(2)).toEqual({
      id: 2,
      status: 'failed',
      type: 'workflow_job',
      result_traceback: 'tb',
      job_explanation: undefined,
    });
  });

  it('sends no request for an empty batch', async () => {
    const { fetchImpl, calls } = fakeFetch(json(200, {}));
    await expect(client(fetchImpl).getJobStatuses([])).resolves.toEqual(
      new Map(),
    );
    expect(calls).toHaveLength(0);
  });

  it('reads a workflow job output from the jobs its nodes ran', async () => {
    const { fetchImpl, calls } = fakeFetch((url: string) => {
      if (url.includes('workflow_nodes')) {
        return json(200, {
          count: 2,
          next: null,
          previous: null,
          results: [
            {
              summary_fields: { job: { id: 21, name: 'create', type: 'job' } },
            },
            { summary_fields: {} },
          ],
        })();
      }
      return new Response('PLAY [create] ***', { status: 200 });
    });
    const text = await client(fetchImpl).getJobStdout(20, 'workflow');
    expect(calls.map(c => new URL(c.url).pathname)).toEqual([
      '/api/controller/v2/workflow_jobs/20/workflow_nodes/',
      '/api/controller/v2/jobs/21/stdout/',
    ]);
    expect(text).toContain('PLAY [create]');
  });
});
