import { mockCredentials } from '@backstage/backend-test-utils';
import { createRandom } from '@vm-selfservice/aap-simulator';
import request from 'supertest';
import {
  ApiBackend,
  LOCKED_TEMPLATE,
  PARAMETER_TEMPLATE,
  startApiBackend,
  TEMPLATES,
} from '../__testUtils__/apiBackend';
import { waitFor } from '../__testUtils__/waitFor';

jest.setTimeout(180_000);

/*
 * A seeded fuzz of the REST API: valid requests on every route, each mutated in one random way
 * (a field removed, retyped, oversized, nested 5,000 levels deep; a path segment made `.`, `..`,
 * badly encoded or overlong; a query repeated; the body malformed), sent by users with and without
 * rights. Whatever comes in, the answer is never a 5xx, and a refused request changes nothing.
 * FUZZ_SEED replays a run; FUZZ_REQUESTS makes it longer.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 800);
const CALLBACK_TOKEN = 'fuzz-callback-token-8b1f2c3d4e5f60718293a4b5c6d7e8f9';
const base = '/api/vm-lifecycle';

type Random = () => number;
type Method = 'get' | 'post' | 'patch' | 'delete';

interface FuzzRequest {
  method: Method;
  path: string;
  user: string;
  body?: unknown;
  /** Sent as is, with a JSON content type (malformed bodies). */
  rawBody?: string;
  headers?: Record<string, string>;
}

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)];

const NASTY_VALUES: unknown[] = [
  null,
  '',
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  true,
  [],
  {},
  [[[]]],
  'x'.repeat(70_000),
  'Ω≈ç√∫˜µ≤≥÷ 🙂 \u0000 \u202e',
  '../../etc/passwd',
  '{"a":',
  '[1]',
  `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  { __proto__: { polluted: true } },
  JSON.parse('{"__proto__":{"polluted":true}}'),
  { constructor: { prototype: { polluted: true } } },
];

const deepObject = (key: string) =>
  `{"${key}":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;

/** Strings that break string fields: JSON texts for templateParameters among them. */
const NASTY_STRINGS = [
  '',
  'x'.repeat(70_000),
  'Ω≈ç√∫˜µ≤≥÷ 🙂 \u0000 \u202e',
  '../../etc/passwd',
  '{"a":',
  '[1]',
  'null',
  deepObject('a'),
  deepObject('env'),
  deepObject('network'),
  '{"network":"attacker-net"}',
  '{"env":{"nested":[1,{"x":true}]},"replicas":"3"}',
];

const NASTY_NUMBERS = [0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2];

const NASTY_SEGMENTS = [
  '.',
  '..',
  '%2e',
  '%2E%2E',
  '%2e%2e%2f',
  'a%2Fb',
  '%00',
  '%ZZ',
  '%',
  'UPPER',
  'a'.repeat(300),
  '-lead',
  'trail-',
  '%20',
  '%F0%9F%99%82',
  'a.b',
  '..%2F..%2F',
];

const NASTY_QUERIES = [
  '?namespace=a&namespace=b',
  '?owner=',
  '?requestedBy=not%20a%20ref!',
  '?namespace=%2e%2e',
  '?owner[x]=1',
  `?owner=${'g'.repeat(5000)}`,
  '?full=maybe',
  '?full=true&full=false',
  '?limit=-1&continue=%00',
];

const USERS = ['alice', 'bob', 'carol', 'dave'];

/** Every value inside `value` (leaves too), with the object that holds it and its key. */
function slots(value: unknown): Array<{ holder: any; key: string }> {
  if (value === null || typeof value !== 'object') return [];
  return Object.keys(value).flatMap(key => [
    { holder: value as any, key },
    ...slots((value as any)[key]),
  ]);
}

function parsedObject(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const parsed = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One random change to a JSON body: a value removed, replaced or given an unknown sibling, or the
 * whole body replaced. A string holding a JSON object (templateParameters) is itself mutated inside
 * half of the time, since that is where playbook parameters hide.
 */
function mutateBody(random: Random, body: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(body ?? {}));
  // Mostly inside the spec, where most of the rules (and the playbook's parameters) are.
  const candidates =
    copy?.spec && typeof copy.spec === 'object' && random() < 0.6
      ? slots(copy.spec)
      : slots(copy);
  if (random() < 0.05 || candidates.length === 0)
    return pick(random, NASTY_VALUES);
  const { holder, key } = pick(random, candidates);
  const current = holder[key];
  const inner = parsedObject(current);
  const roll = random();
  if (inner && Object.keys(inner).length > 0 && roll < 0.3) {
    holder[key] = JSON.stringify(mutateBody(random, inner));
  } else if (roll < 0.45) {
    delete holder[key];
  } else if (roll < 0.8) {
    // Wrong in the field's own type: these get past type checks and test the rules behind them.
    if (typeof current === 'string') holder[key] = pick(random, NASTY_STRINGS);
    else if (typeof current === 'number')
      holder[key] = pick(random, NASTY_NUMBERS);
    else holder[key] = pick(random, NASTY_VALUES);
  } else if (roll < 0.9) {
    holder[key] = pick(random, NASTY_VALUES);
  } else {
    holder[
      pick(random, [
        'unknown',
        'labels',
        'finalizers',
        'status',
        'uid',
        'deletionTimestamp',
        'osac.openshift.io/reconciled-config-version',
        'osac.openshift.io/requested-by',
        'restartRequestedAt',
        'network',
      ])
    ] = pick(random, NASTY_VALUES);
  }
  return copy;
}

function mutatePath(random: Random, path: string): string {
  const [route, query = ''] = path.split('?');
  const segments = route.split('/');
  // Segments after "/instances" are parameters; "/instances" itself and the route words stay.
  const changeable = segments
    .map((s, i) => ({ s, i }))
    .filter(
      ({ s, i }) =>
        i > 1 &&
        s !== 'jobs' &&
        s !== 'stdout' &&
        s !== 'events' &&
        s !== 'restart',
    );
  if (changeable.length === 0 || random() < 0.2) {
    return `${route}${pick(random, NASTY_QUERIES)}`;
  }
  const { i } = pick(random, changeable);
  segments[i] = pick(random, NASTY_SEGMENTS);
  return `${segments.join('/')}${query ? `?${query}` : ''}`;
}

describe(`REST API fuzz (seed ${SEED}, ${REQUESTS} requests)`, () => {
  let api: ApiBackend;
  const random = createRandom(SEED);
  const instances: Array<{ name: string; uid: string; jobID?: string }> = [];

  beforeAll(async () => {
    api = await startApiBackend({
      durations: { provisionMs: 300, deprovisionMs: 100 },
      vmLifecycle: {
        templates: [...TEMPLATES, PARAMETER_TEMPLATE, LOCKED_TEMPLATE],
        rateLimit: { writes: { limit: 0 } },
        jobOutput: { cacheTtl: { milliseconds: 200 }, maxCharacters: 500 },
      },
      edaCallbackToken: CALLBACK_TOKEN,
    });
    // Instances to aim at, with finished provision jobs whose output can be read.
    for (const [name, templateID] of [
      ['fz-a', 'fedora_small'],
      ['fz-b', 'with_params'],
      ['fz-c', 'locked'],
    ]) {
      await call({
        method: 'post',
        path: '/instances',
        user: 'alice',
        body: { metadata: { name }, spec: { templateID } },
      }).expect(201);
    }
    for (const name of ['fz-a', 'fz-b', 'fz-c']) {
      const vm = await waitFor(`${name} Running`, async () => {
        const res = await call({
          method: 'get',
          path: `/instances/default/${name}`,
          user: 'alice',
        });
        return res.body.status?.phase === 'Running' ? res.body : undefined;
      });
      instances.push({
        name,
        uid: vm.metadata.uid,
        jobID: vm.status.provisioningJobs[0].jobID,
      });
    }
  });
  afterAll(async () => {
    await api?.stop();
  });

  function call(r: FuzzRequest) {
    let req = request(api.server)
      [r.method](`${base}${r.path}`)
      .set(
        'Authorization',
        r.headers?.Authorization ??
          mockCredentials.user.header(`user:default/${r.user}`),
      );
    for (const [k, v] of Object.entries(r.headers ?? {})) {
      if (k !== 'Authorization') req = req.set(k, v);
    }
    // supertest sends only objects as JSON; any other JSON value goes as its text.
    const raw =
      r.rawBody ??
      (r.body !== undefined && (r.body === null || typeof r.body !== 'object')
        ? JSON.stringify(r.body)
        : undefined);
    if (raw !== undefined)
      return req.set('Content-Type', 'application/json').send(raw);
    return r.body === undefined ? req : req.send(r.body as object);
  }

  /** What a refused request must not change: which instances exist and what was requested. */
  async function snapshot(): Promise<Map<string, string>> {
    const res = await call({
      method: 'get',
      path: '/instances',
      user: 'carol',
    });
    expect(res.status).toBe(200);
    return new Map(
      res.body.items.map((i: any) => [
        `${i.metadata.namespace}/${i.metadata.name}`,
        JSON.stringify({
          uid: i.metadata.uid,
          spec: i.spec,
          labels: i.metadata.labels,
          annotations: i.metadata.annotations,
          deleting: Boolean(i.metadata.deletionTimestamp),
        }),
      ]),
    );
  }

  /** A valid request for a random route, before mutation. */
  function validRequest(n: number): FuzzRequest {
    const user = pick(random, USERS);
    const target = pick(random, instances);
    const vm = `/instances/default/${target.name}`;
    const name = `fz-${n}`;
    const create = () => {
      const template = pick(random, ['fedora_small', 'with_params', 'locked']);
      const spec: Record<string, unknown> = { templateID: template };
      if (template !== 'locked') {
        spec.cores = 1 + Math.floor(random() * 8);
        spec.memoryGiB = 1 + Math.floor(random() * 16);
      }
      if (template === 'fedora_small' && random() < 0.5)
        spec.templateParameters = '{}';
      if (template === 'locked' && random() < 0.5)
        spec.templateParameters = LOCKED_TEMPLATE.defaults.templateParameters;
      if (template === 'with_params') {
        spec.templateParameters = JSON.stringify({
          env: pick(random, ['dev', 'test']),
          replicas: Math.floor(random() * 3),
          debug: random() < 0.5,
        });
        spec.additionalDisks = [{ sizeGiB: 10 }];
      }
      return {
        metadata: {
          name,
          ...(random() < 0.3
            ? {
                annotations: {
                  'osac.openshift.io/owner': 'group:default/team-a',
                },
              }
            : {}),
        },
        spec,
      };
    };
    const createRequest = (): FuzzRequest => ({
      method: 'post',
      path: '/instances',
      user,
      body: create(),
    });
    // Requests carry the richest bodies, so they come up three times as often.
    const routes: Array<() => FuzzRequest> = [
      createRequest,
      createRequest,
      createRequest,
      () => ({
        method: 'patch',
        path: vm,
        user,
        body: { spec: { runStrategy: pick(random, ['Always', 'Halted']) } },
      }),
      () => ({ method: 'post', path: `${vm}/restart`, user, body: {} }),
      () => ({ method: 'delete', path: vm, user }),
      () => ({ method: 'get', path: vm, user }),
      () => ({ method: 'get', path: `${vm}/events`, user }),
      () => ({
        method: 'get',
        path: `${vm}/jobs/${target.jobID}/stdout${random() < 0.3 ? '?full=true' : ''}`,
        user,
        headers: random() < 0.5 ? { Accept: 'application/json' } : undefined,
      }),
      () => ({
        method: 'get',
        path: `/instances?owner=${encodeURIComponent('group:default/team-a')}`,
        user,
      }),
      () => ({ method: 'get', path: '/templates', user }),
      () => ({ method: 'get', path: '/settings', user }),
      () => ({
        method: 'post',
        path: `/eda/callback/default/${target.name}/${pick(random, ['reconciled', 'aap-finalizer'])}`,
        user,
        headers: { Authorization: `Bearer ${CALLBACK_TOKEN}` },
        body: pick(random, [
          { configVersion: 'abc123', uid: target.uid },
          { action: 'remove', uid: target.uid },
        ]),
      }),
    ];
    return pick(random, routes)();
  }

  /** One random mutation of a valid request. */
  function mutate(r: FuzzRequest): FuzzRequest {
    const roll = random();
    if (roll < 0.45 && r.body !== undefined)
      return { ...r, body: mutateBody(random, r.body) };
    if (roll < 0.75) return { ...r, path: mutatePath(random, r.path) };
    if (roll < 0.85)
      return {
        ...r,
        rawBody: pick(random, [
          '{"metadata": {',
          '',
          'null',
          '[]',
          '"text"',
          `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
          JSON.stringify({ metadata: { name: 'x'.repeat(70_000) } }),
        ]),
      };
    if (roll < 0.92)
      return {
        ...r,
        headers: {
          ...r.headers,
          Authorization: pick(random, [
            'Bearer not-a-token',
            `Bearer ${CALLBACK_TOKEN.slice(0, -1)}`,
            'Basic Zm9vOmJhcg==',
            '',
          ]),
        },
      };
    return { ...r, user: pick(random, USERS) };
  }

  it('never answers 5xx, and a refused request stores nothing', async () => {
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    let before = await snapshot();
    for (let n = 0; n < REQUESTS && problems.length < 10; n++) {
      const r = random() < 0.15 ? validRequest(n) : mutate(validRequest(n));
      const res = await call(r);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const label = `#${n} ${r.method.toUpperCase()} ${r.path.slice(0, 120)} as ${r.user}: ${res.status}`;
      if (res.status >= 500) {
        problems.push(`${label} ${res.text.slice(0, 300)}`);
        continue;
      }
      const after = await snapshot();
      if (res.status >= 400) {
        for (const [key, state] of after) {
          const was = before.get(key);
          if (was === undefined) problems.push(`${label} created ${key}`);
          else if (was !== state)
            problems.push(`${label} changed ${key}: ${was} -> ${state}`);
        }
        for (const [key, state] of before) {
          // The controller finishes deletions on its own; nothing else may make an instance go.
          if (!after.has(key) && !JSON.parse(state).deleting)
            problems.push(`${label} removed ${key}`);
        }
        if ([400, 422].includes(res.status) && !res.body?.error?.message)
          problems.push(`${label} without an error message`);
      }
      before = after;
    }
    // The run must have exercised both sides: refusals and accepted writes.
    const refused = [...statuses]
      .filter(([s]) => s >= 400)
      .reduce((a, [, c]) => a + c, 0);
    const accepted = [...statuses]
      .filter(([s]) => s < 400)
      .reduce((a, [, c]) => a + c, 0);
    expect({ seed: SEED, problems }).toEqual({ seed: SEED, problems: [] });
    expect(refused).toBeGreaterThan(REQUESTS / 3);
    expect(accepted).toBeGreaterThan(REQUESTS / 20);
  });
});
