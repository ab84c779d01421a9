#!/usr/bin/env node
// Starts the sandbox portal (backend :7007 + frontend dev server :3000), runs the browser tests
// with node's test runner, and stops the portal again. Set E2E_BASE_URL to test a portal that is
// already running instead.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForHttp, assertPortFree } from './lib/wait.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = join(root, 'e2e', 'artifacts');
mkdirSync(artifacts, { recursive: true });

const children = [];
function startProcess(name, args) {
  const log = openSync(join(artifacts, `${name}.log`), 'w');
  const child = spawn('npm', args, {
    cwd: root,
    detached: true, // own process group, so the whole tree can be stopped
    stdio: ['ignore', log, log],
    env: { ...process.env, BROWSER: 'none', FORCE_COLOR: '0' },
  });
  children.push(child);
  return child;
}

function stopAll() {
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}
process.on('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopAll();
    process.exit(130);
  });
}

const baseUrl = process.env.E2E_BASE_URL ?? 'http://localhost:3000';
const backendUrl = process.env.E2E_BACKEND_URL ?? 'http://localhost:7007';

if (!process.env.E2E_BASE_URL) {
  await assertPortFree(7007);
  await assertPortFree(3000);
  const started = Date.now();
  startProcess('backend', ['run', 'start:backend']);
  startProcess('app', ['run', 'start:app']);
  await waitForHttp(`${backendUrl}/api/vm-lifecycle/health`, 180_000);
  await waitForHttp(baseUrl, 180_000);
  console.log(`sandbox portal ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const testDir = join(root, 'e2e', 'tests');
const files = readdirSync(testDir)
  .filter(f => f.endsWith('.test.mjs'))
  // E2E_ONLY=entity-card,vm-request runs only the files whose names contain one of the words.
  .filter(
    f =>
      !process.env.E2E_ONLY ||
      process.env.E2E_ONLY.split(',').some(word => f.includes(word)),
  )
  .sort()
  .map(f => join(testDir, f));

const code = await new Promise(resolve => {
  const runner = spawn(
    process.execPath,
    ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, E2E_BASE_URL: baseUrl, E2E_BACKEND_URL: backendUrl },
    },
  );
  runner.on('exit', c => resolve(c ?? 1));
});
stopAll();
process.exit(code);
