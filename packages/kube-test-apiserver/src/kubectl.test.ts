import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DEPLOY_DIR } from './crd';
import { KubeTestApiServer, createKubeTestApiServer } from './server';

/*
 * Fidelity check with a real client: kubectl from Debian's kubernetes-client package (v1.20, which
 * .ci/run extracts to /opt/debian-kubernetes-client) drives the test API server through discovery,
 * create, get (JSON and server-side printed table), patch and delete.
 */

const KUBECTL =
  process.env.KUBECTL ?? '/opt/debian-kubernetes-client/usr/bin/kubectl';
const run = promisify(execFile);

it('has kubectl wherever KUBECTL is set (CI), so the fidelity test cannot be skipped there', () => {
  expect({
    KUBECTL: process.env.KUBECTL,
    found: process.env.KUBECTL === undefined || existsSync(KUBECTL),
  }).toEqual({
    KUBECTL: process.env.KUBECTL,
    found: true,
  });
});

// On a laptop without Debian's kubectl the fidelity test does not run; CI always has it.
if (existsSync(KUBECTL)) {
  describe(`kubectl (${KUBECTL}) against the kube test API server`, () => {
    jest.setTimeout(30_000);
    let server: KubeTestApiServer;
    let dir: string;

    beforeAll(async () => {
      server = createKubeTestApiServer();
      await server.listen();
      dir = await mkdtemp(join(tmpdir(), 'kubectl-fidelity-'));
      await writeFile(
        join(dir, 'kubeconfig'),
        server.kubeconfigYaml({ namespace: 'default' }),
      );
    });

    afterAll(async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    });

    /** Runs kubectl; never rejects, so a test can assert on a failing command's stderr. */
    async function kubectl(...args: string[]) {
      try {
        const { stdout, stderr } = await run(
          KUBECTL,
          [
            '--kubeconfig',
            join(dir, 'kubeconfig'),
            '--cache-dir',
            join(dir, 'cache'),
            ...args,
          ],
          { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 20_000 },
        );
        return { code: 0, stdout, stderr };
      } catch (e) {
        const { code, stdout, stderr } = e as {
          code: number;
          stdout: string;
          stderr: string;
        };
        return { code, stdout, stderr };
      }
    }

    it('creates the sample CR, gets it as JSON, patches runStrategy and deletes it', async () => {
      const sample = resolve(DEPLOY_DIR, 'sample-computeinstance.yaml');
      // --validate=false: kubectl 1.20 validates client-side with the protobuf /openapi/v2 document,
      // which this server does not serve; the server validates against the CRD either way.
      const created = await kubectl('create', '-f', sample, '--validate=false');
      expect(created).toMatchObject({
        code: 0,
        stdout: 'computeinstance.osac.openshift.io/sample-vm created\n',
      });

      const got = await kubectl('get', 'ci', 'sample-vm', '-o', 'json');
      expect(got.code).toBe(0);
      const object = JSON.parse(got.stdout);
      expect(object).toMatchObject({
        apiVersion: 'osac.openshift.io/v1alpha1',
        kind: 'ComputeInstance',
        metadata: { name: 'sample-vm', namespace: 'default', generation: 1 },
        spec: {
          templateID: 'osac.templates.ocp_virt_vm',
          cores: 2,
          memoryGiB: 4,
          runStrategy: 'Always',
        },
      });

      const table = await kubectl('get', 'computeinstances');
      expect(table.code).toBe(0);
      const [header, row] = table.stdout.trim().split('\n');
      expect(header.split(/\s+/)).toEqual([
        'NAME',
        'TEMPLATE',
        'CORES',
        'MEMORY(GIB)',
        'OS',
        'RUNSTRATEGY',
        'PHASE',
        'IP',
        'AGE',
      ]);
      expect(row.split(/\s+/).slice(0, 5)).toEqual([
        'sample-vm',
        'osac.templates.ocp_virt_vm',
        '2',
        '4',
        'Always',
      ]);

      const patched = await kubectl(
        'patch',
        'ci',
        'sample-vm',
        '--type',
        'merge',
        '-p',
        '{"spec":{"runStrategy":"Halted"}}',
      );
      expect(patched).toMatchObject({
        code: 0,
        stdout: 'computeinstance.osac.openshift.io/sample-vm patched\n',
      });
      const halted = JSON.parse(
        (await kubectl('get', 'ci', 'sample-vm', '-o', 'json')).stdout,
      );
      expect(halted.spec.runStrategy).toBe('Halted');
      expect(halted.metadata.generation).toBe(2);

      const immutable = await kubectl(
        'patch',
        'ci',
        'sample-vm',
        '--type',
        'merge',
        '-p',
        '{"spec":{"cores":4}}',
      );
      expect(immutable.code).not.toBe(0);
      expect(immutable.stderr).toContain(
        'spec.cores: Invalid value: "integer": cores is immutable',
      );

      const deleted = await kubectl('delete', 'ci', 'sample-vm');
      expect(deleted).toMatchObject({
        code: 0,
        stdout: 'computeinstance.osac.openshift.io "sample-vm" deleted\n',
      });
      const gone = await kubectl('get', 'ci', 'sample-vm', '-o', 'json');
      expect(gone.code).not.toBe(0);
      expect(gone.stderr).toContain(
        'Error from server (NotFound): computeinstances.osac.openshift.io "sample-vm" not found',
      );
      expect(server.objects('computeinstances')).toEqual([]);
    });
  });
}
