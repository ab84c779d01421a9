import { isLoopbackAddress } from './simAccess';
import {
  SimHarness,
  startSimulator,
  TEST_TOKEN,
} from './testing/simTestHarness';

describe('/_sim controls from other machines', () => {
  let h: SimHarness;

  beforeEach(async () => {
    h = await startSimulator();
  });
  afterEach(async () => {
    await h.close();
  });

  // A reverse proxy in front of the sandbox relays remote browsers; the proxy itself is local.
  const relayed = { 'X-Forwarded-For': '203.0.113.7' };

  it.each([
    ['GET', '/_sim/vms'],
    ['GET', '/_sim/jobs'],
    ['GET', '/_sim/faults'],
    ['POST', '/_sim/faults'],
    ['POST', '/_sim/reset'],
  ])(
    'refuses %s %s without the simulator token (403)',
    async (method, path) => {
      const res = await fetch(`${h.url}${path}`, {
        method,
        headers: relayed,
        body:
          method === 'POST'
            ? JSON.stringify({ failNextLaunches: 5 })
            : undefined,
      });
      expect(res.status).toBe(403);
      expect((await res.json()).detail).toMatch(/only on loopback or with/);
      const faults = await (await fetch(`${h.url}/_sim/faults`)).json();
      expect(faults.failNextLaunches ?? 0).toBe(0);
    },
  );

  it('refuses a wrong token and a relayed Forwarded header too', async () => {
    expect(
      (
        await fetch(`${h.url}/_sim/vms`, {
          headers: { ...relayed, Authorization: 'Bearer not-the-token' },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await fetch(`${h.url}/_sim/vms`, {
          headers: { Forwarded: 'for=203.0.113.7' },
        })
      ).status,
    ).toBe(403);
  });

  it('answers with the simulator token', async () => {
    const res = await fetch(`${h.url}/_sim/faults`, {
      method: 'POST',
      headers: { ...relayed, Authorization: `Bearer ${TEST_TOKEN}` },
      body: JSON.stringify({ failNextLaunches: 1 }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).failNextLaunches).toBe(1);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.5', false],
    ['::ffff:192.0.2.2', false],
    ['fd00::2', false],
    [undefined, false],
  ])('treats %p as loopback: %p', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});
