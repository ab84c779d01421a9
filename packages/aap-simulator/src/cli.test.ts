import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

const BIN = resolve(__dirname, '../bin/aap-simulator');

/** Starts the real CLI (TypeScript sources through the Backstage node transform) and waits for its URL. */
async function startCli(
  args: string[],
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`CLI did not start: ${output}`)),
      15_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', code => {
      clearTimeout(timer);
      reject(new Error(`CLI exited with ${code}: ${output}`));
    });
  });
  return { child, url };
}

describe('bin/aap-simulator', () => {
  it('starts from the source tree and serves the AWX API with the given token', async () => {
    const { child, url } = await startCli([
      '--port',
      '0',
      '--token',
      'cli-token',
      '--provision-seconds',
      '0.2',
      '--workflow',
      '--quiet',
    ]);
    try {
      const lookup = await fetch(
        `${url}/api/v2/workflow_job_templates/?name=osac-create-compute-instance`,
        {
          headers: { Authorization: 'Bearer cli-token' },
        },
      );
      expect(lookup.status).toBe(200);
      expect((await lookup.json()).count).toBe(1);
      const denied = await fetch(
        `${url}/api/v2/job_templates/?name=osac-create-compute-instance`,
      );
      expect(denied.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    }
  }, 20_000);

  it('refuses unknown options with exit code 2', async () => {
    const child = spawn(process.execPath, [BIN, '--bogus'], {
      stdio: 'ignore',
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
  });
});
