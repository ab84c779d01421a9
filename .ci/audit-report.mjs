#!/usr/bin/env node
// Report step of CI: `npm audit --omit=dev` on what a portal installs with our packages. When the
// advisory service cannot be reached (some registries and proxies answer its bulk POST with 405),
// it says so and reviews the lockfile instead: that every production package comes from the
// registry with an integrity hash, and which packages are installed in several versions.
// A report: it exits 0 unless AUDIT_FAIL_LEVEL (low|moderate|high|critical) is set and the audit
// ran and found something at or above that level.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'];
const REGISTRY = 'https://registry.npmjs.org/';

/** What `npm audit --json` printed: findings, or why there are none. */
export function auditOutcome(stdout) {
  let parsed;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return { kind: 'unreachable', reason: 'npm audit printed no JSON' };
  }
  const counts = parsed?.metadata?.vulnerabilities;
  if (!counts || typeof parsed.vulnerabilities !== 'object') {
    const reason =
      parsed?.message ?? parsed?.error?.summary ?? 'no audit report';
    return { kind: 'unreachable', reason: String(reason) };
  }
  const findings = Object.values(parsed.vulnerabilities).map(v => ({
    name: v.name,
    severity: v.severity,
    range: v.range,
    fix:
      v.fixAvailable === true
        ? 'npm audit fix'
        : v.fixAvailable
          ? `${v.fixAvailable.name}@${v.fixAvailable.version}${v.fixAvailable.isSemVerMajor ? ' (major)' : ''}`
          : 'none yet',
  }));
  return { kind: 'report', counts, findings };
}

/** The lockfile's production packages: where they come from and how many versions of each. */
export function lockfileReview(lock) {
  const production = Object.entries(lock.packages ?? {}).filter(
    ([path, entry]) =>
      path.includes('node_modules/') &&
      !entry.link &&
      !entry.dev &&
      !entry.devOptional,
  );
  const outsideRegistry = [];
  const withoutIntegrity = [];
  const versions = new Map();
  for (const [path, entry] of production) {
    const name = path.slice(path.lastIndexOf('node_modules/') + 13);
    if (entry.resolved && !entry.resolved.startsWith(REGISTRY))
      outsideRegistry.push(`${name} (${entry.resolved})`);
    if (!entry.integrity?.startsWith('sha512-')) withoutIntegrity.push(name);
    if (!versions.has(name)) versions.set(name, new Set());
    versions.get(name).add(entry.version);
  }
  const duplicated = [...versions]
    .filter(([, v]) => v.size > 1)
    .map(([name, v]) => `${name} ${[...v].sort().join(', ')}`)
    .sort();
  return {
    packages: production.length,
    outsideRegistry,
    withoutIntegrity,
    duplicated,
  };
}

function printReview(review) {
  console.log(
    `Lockfile review: ${review.packages} production packages; ` +
      `${review.outsideRegistry.length} from outside ${REGISTRY}, ` +
      `${review.withoutIntegrity.length} without a sha512 integrity hash, ` +
      `${review.duplicated.length} installed in more than one version.`,
  );
  for (const line of review.outsideRegistry)
    console.log(`  outside the registry: ${line}`);
  for (const line of review.withoutIntegrity)
    console.log(`  no integrity hash: ${line}`);
  const shown = review.duplicated.slice(0, 15);
  for (const line of shown) console.log(`  several versions: ${line}`);
  if (review.duplicated.length > shown.length)
    console.log(`  … and ${review.duplicated.length - shown.length} more`);
  console.log(
    'No advisory data was consulted: re-run `npm audit --omit=dev` where the advisory service answers.',
  );
}

function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const audit = spawnSync('npm', ['audit', '--omit=dev', '--json'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const outcome = auditOutcome(audit.stdout ?? '');
  if (outcome.kind === 'unreachable') {
    console.log(
      `npm audit --omit=dev could not run: the advisory service is unreachable (${outcome.reason}).`,
    );
    printReview(
      lockfileReview(
        JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')),
      ),
    );
    return 0;
  }
  const { counts, findings } = outcome;
  console.log(
    `npm audit --omit=dev: ${SEVERITIES.map(s => `${counts[s] ?? 0} ${s}`).join(', ')}`,
  );
  for (const f of findings.sort(
    (a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity),
  )) {
    console.log(`  ${f.severity}: ${f.name} ${f.range}; fix: ${f.fix}`);
  }
  const failLevel = process.env.AUDIT_FAIL_LEVEL;
  if (!failLevel) return 0;
  const at = SEVERITIES.indexOf(failLevel);
  if (at === -1) {
    console.error(
      `AUDIT_FAIL_LEVEL must be one of ${SEVERITIES.slice(1).join(', ')}`,
    );
    return 2;
  }
  return SEVERITIES.slice(at).some(s => (counts[s] ?? 0) > 0) ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exit(main());
}
