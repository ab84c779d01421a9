import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { startFakeServer } from './testing/fakeCallbackServers';

const BIN = resolve(__dirname, '../bin/aap-simulator');
const STREAM = '1c1c1c1c-0000-4000-8000-000000000001';

describe('bin/aap-simulator EDA playbook target', () => {
  it('makes EDA-launched jobs call the callback route given on the command line', async () => {
    const callback = await startFakeServer(() => ({ status: 200 }));
    const child = spawn(
      process.execPath,
      [
        BIN,
        '--port=0',
        '--quiet',
        '--provision-seconds=0.3',
        `--eda-stream=${STREAM}=provision`,
        '--eda-token=stream-token',
        `--eda-callback-url=${callback.url}/api/vm-lifecycle`,
        '--eda-callback-token=cb-token',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let output = '';
      const url = await new Promise<string>((resolveUrl, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match) resolveUrl(match[1]);
        });
        child.once('exit', code =>
          reject(new Error(`CLI exited with ${code}: ${output}`)),
        );
      });
      const res = await fetch(
        `${url}/eda-event-streams/api/eda/v1/external_event_stream/${STREAM}/post/`,
        {
          method: 'POST',
          headers: {
            Authorization: 'Bearer stream-token',
            'Content-Type': 'application/json',
          },
          body: JSON.stringify({
            metadata: { namespace: 'default', name: 'cli-vm', uid: 'u' },
            status: { desiredConfigVersion: 'abc' },
          }),
        },
      );
      expect(res.status).toBe(200);
      const deadline = Date.now() + 5000;
      while (callback.calls.length < 2 && Date.now() < deadline) {
        await new Promise(r => setTimeout(r, 20));
      }
      expect(callback.calls.map(c => [c.path, c.body])).toEqual([
        [
          '/api/vm-lifecycle/eda/callback/default/cli-vm/aap-finalizer',
          { action: 'add', uid: 'u' },
        ],
        [
          '/api/vm-lifecycle/eda/callback/default/cli-vm/reconciled',
          { configVersion: 'abc', uid: 'u' },
        ],
      ]);
      expect(callback.calls[0].headers.authorization).toBe('Bearer cb-token');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
      await callback.close();
    }
  }, 20_000);

  it('refuses a callback URL without its token', async () => {
    const child = spawn(
      process.execPath,
      [BIN, '--eda-callback-url=http://127.0.0.1:1/x'],
      { stdio: 'ignore' },
    );
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
  });
});
