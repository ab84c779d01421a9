import { VmLifecycleClient } from './VmLifecycleClient';

function client(respond: (url: string, init: RequestInit) => Response) {
  const fetch = jest.fn(async (url: string, init: RequestInit) =>
    respond(url, init),
  );
  const api = new VmLifecycleClient({
    discoveryApi: { getBaseUrl: async () => 'http://backend/api/vm-lifecycle' },
    fetchApi: { fetch: fetch as any },
  });
  return { api, fetch };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

describe('VmLifecycleClient', () => {
  it('asks for one page with only the parameters given, in the shared query format', async () => {
    const page = {
      kind: 'ComputeInstanceList',
      metadata: { continue: 'next-token', remainingItemCount: 3 },
      items: [],
    };
    const { api, fetch } = client(() => json(page));
    await expect(
      api.listInstancePage({
        owner: 'group:default/team-a',
        requestedBy: undefined,
        failedJobs: true,
        limit: 20,
        continue: 'abc.def',
      }),
    ).resolves.toEqual(page);
    expect(fetch.mock.calls[0][0]).toBe(
      'http://backend/api/vm-lifecycle/instances?owner=group%3Adefault%2Fteam-a&failedJobs=true&limit=20&continue=abc.def',
    );
    await api.listInstancePage();
    expect(fetch.mock.calls[1][0]).toBe(
      'http://backend/api/vm-lifecycle/instances',
    );
  });

  it('posts requests as JSON and patches the run strategy', async () => {
    const { api, fetch } = client(() => json({}, 201));
    await api.createInstance({
      metadata: { name: 'a' },
      spec: { templateID: 'small' },
    });
    expect(fetch.mock.calls[0][1]).toMatchObject({
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"metadata":{"name":"a"},"spec":{"templateID":"small"}}',
    });
    await api.setRunStrategy('ns', 'a', 'Halted');
    expect(fetch.mock.calls[1][0]).toBe(
      'http://backend/api/vm-lifecycle/instances/ns/a',
    );
    expect(fetch.mock.calls[1][1]).toMatchObject({
      method: 'PATCH',
      body: '{"spec":{"runStrategy":"Halted"}}',
    });
  });

  it('reads job output as JSON, saying whether it was cut, and the whole output as text', async () => {
    const output = { text: 'PLAY [x]', totalChars: 9000, truncated: true };
    const { api, fetch } = client(url =>
      url.endsWith('?full=true')
        ? new Response('PLAY [x] and all the rest', { status: 200 })
        : json(output),
    );
    expect(await api.getJobOutput('ns', 'a', '12')).toEqual(output);
    expect(fetch.mock.calls[0][0]).toBe(
      'http://backend/api/vm-lifecycle/instances/ns/a/jobs/12/stdout',
    );
    expect(fetch.mock.calls[0][1].headers).toEqual({
      Accept: 'application/json',
    });
    expect(await api.getFullJobOutput('ns', 'a', '12')).toBe(
      'PLAY [x] and all the rest',
    );
    expect(fetch.mock.calls[1][0]).toBe(
      'http://backend/api/vm-lifecycle/instances/ns/a/jobs/12/stdout?full=true',
    );
  });

  it("throws a ResponseError carrying the backend's message", async () => {
    const { api } = client(() =>
      json(
        {
          error: { name: 'ConflictError', message: 'web-1 exists' },
          response: { statusCode: 409 },
        },
        409,
      ),
    );
    await expect(
      api.createInstance({
        metadata: { name: 'web-1' },
        spec: { templateID: 's' },
      }),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 409,
      body: { error: { message: 'web-1 exists' } },
    });
  });
});
