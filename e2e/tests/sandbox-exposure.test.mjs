import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { backendUrl } from '../lib/browser.mjs';

const port = Number(new URL(backendUrl).port || 80);

/** 'connected' or the error code of a TCP connect to host:port. */
function tryConnect(host) {
  return new Promise(resolve => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('error', e => resolve(e.code));
  });
}

// The sandbox signs everyone in as guest and mounts the simulator: nobody else on the network may reach it.
test('the sandbox backend listens on loopback only', async () => {
  assert.equal(await tryConnect('127.0.0.1'), 'connected');
  const external = Object.values(networkInterfaces())
    .flat()
    .filter(a => a && !a.internal && a.family === 'IPv4')
    .map(a => a.address);
  for (const address of external) {
    assert.equal(await tryConnect(address), 'ECONNREFUSED', `${address}:${port}`);
  }
});

test("the simulator's controls refuse a caller relayed from elsewhere", async () => {
  const controls = `${backendUrl}/api/aap-simulator/_sim/vms`;
  assert.equal((await fetch(controls)).status, 200);
  const relayed = await fetch(controls, {
    headers: { 'X-Forwarded-For': '203.0.113.7' },
  });
  assert.equal(relayed.status, 403);
});
