// node --test .ci/ : the CI audit report step (run by .ci/run before it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { auditOutcome, lockfileReview } from './audit-report.mjs';

const script = fileURLToPath(new URL('./audit-report.mjs', import.meta.url));

test('an advisory service that refuses the bulk request counts as unreachable', () => {
  const refused = JSON.stringify({
    message:
      '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    statusCode: 405,
  });
  assert.deepEqual(auditOutcome(refused), {
    kind: 'unreachable',
    reason:
      '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  });
  assert.equal(auditOutcome('').kind, 'unreachable');
});

test('a real audit answer is reported with its fixes', () => {
  const outcome = auditOutcome(
    JSON.stringify({
      vulnerabilities: {
        qs: {
          name: 'qs',
          severity: 'high',
          range: '<6.14.1',
          fixAvailable: {
            name: 'express',
            version: '4.22.1',
            isSemVerMajor: false,
          },
        },
        tar: {
          name: 'tar',
          severity: 'moderate',
          range: '<7.5.4',
          fixAvailable: true,
        },
        x: { name: 'x', severity: 'low', range: '*', fixAvailable: false },
      },
      metadata: {
        vulnerabilities: { low: 1, moderate: 1, high: 1, critical: 0 },
      },
    }),
  );
  assert.equal(outcome.kind, 'report');
  assert.deepEqual(
    outcome.findings.map(f => `${f.name}: ${f.fix}`),
    ['qs: express@4.22.1', 'tar: npm audit fix', 'x: none yet'],
  );
});

test('the lockfile review looks at production packages only and names what is off', () => {
  const review = lockfileReview({
    packages: {
      '': { name: 'root' },
      'node_modules/a': {
        version: '1.0.0',
        resolved: 'https://registry.npmjs.org/a/-/a-1.0.0.tgz',
        integrity: 'sha512-x',
      },
      'node_modules/b/node_modules/a': {
        version: '2.0.0',
        resolved: 'https://registry.npmjs.org/a/-/a-2.0.0.tgz',
        integrity: 'sha512-y',
      },
      'node_modules/git-dep': {
        version: '0.1.0',
        resolved: 'git+ssh://git@example.com/git-dep.git#abc',
      },
      'node_modules/dev-only': { version: '1.0.0', dev: true },
      'plugins/p': { version: '0.1.0' },
      'node_modules/@scope/p': { link: true, resolved: 'plugins/p' },
    },
  });
  assert.deepEqual(review, {
    packages: 3,
    outsideRegistry: ['git-dep (git+ssh://git@example.com/git-dep.git#abc)'],
    withoutIntegrity: ['git-dep'],
    duplicated: ['a 1.0.0, 2.0.0'],
  });
});

test('with the advisory service unreachable the step reviews the lockfile and does not fail', () => {
  const run = spawnSync(process.execPath, [script], {
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_fetch_retries: '0',
      AUDIT_FAIL_LEVEL: 'low',
    },
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /the advisory service is unreachable/);
  assert.match(
    run.stdout,
    /Lockfile review: \d+ production packages; 0 from outside/,
  );
});
