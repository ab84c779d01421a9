/**
 * TLS option wiring against a real HTTPS server with a throw-away self-signed certificate.
 * Needs the openssl CLI to mint the certificate; skipped where it is missing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AapClient } from './AapClient';
import { ConfigurationError } from './errors';
import { classifyFetchFailure } from './transport';

function mintCertificate(dir: string): boolean {
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'aap-tls-'));
const haveOpenssl = mintCertificate(dir);
const describeTls = haveOpenssl ? describe : describe.skip;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeTls('AapClient TLS options', () => {
  let server: https.Server;
  let baseUrl: string;
  const seenAuth: Array<string | undefined> = [];

  beforeAll(async () => {
    server = https.createServer(
      {
        key: readFileSync(join(dir, 'key.pem')),
        cert: readFileSync(join(dir, 'cert.pem')),
      },
      (req, res) => {
        seenAuth.push(req.headers.authorization);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 1, status: 'running' }));
      },
    );
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2`;
  });

  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
  });

  it('verifies certificates by default and says how to fix a private CA', async () => {
    const client = new AapClient({ baseUrl, token: 't', maxRetries: 0 });
    const err = await client.getJob(1).catch(e => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toMatch(/TLS verification.*caFile/);
  });

  it('trusts the CA from caFile', async () => {
    const client = new AapClient({
      baseUrl,
      token: 'tls-token',
      caFile: join(dir, 'cert.pem'),
    });
    await expect(client.getJob(1)).resolves.toMatchObject({
      status: 'running',
    });
    expect(seenAuth.at(-1)).toBe('Bearer tls-token');
  });

  it('skips verification only when insecureSkipTlsVerify is true, and warns', async () => {
    const warnings: string[] = [];
    const client = new AapClient({
      baseUrl,
      token: 't',
      insecureSkipTlsVerify: true,
      logger: { warn: m => warnings.push(m) },
    });
    await expect(client.getJob(1)).resolves.toMatchObject({
      status: 'running',
    });
    expect(warnings.join()).toMatch(/verification is disabled/);
  });

  it('fails clearly when the CA file cannot be read', () => {
    expect(
      () =>
        new AapClient({
          baseUrl,
          token: 't',
          caFile: join(dir, 'missing.pem'),
        }),
    ).toThrow(/Cannot read the AAP CA file.*ENOENT/);
  });

  it('times out through the node transport too', async () => {
    const slow = https.createServer(
      {
        key: readFileSync(join(dir, 'key.pem')),
        cert: readFileSync(join(dir, 'cert.pem')),
      },
      () => {
        /* never answers */
      },
    );
    await new Promise<void>(resolve => slow.listen(0, '127.0.0.1', resolve));
    try {
      const client = new AapClient({
        baseUrl: `https://127.0.0.1:${(slow.address() as AddressInfo).port}/api/v2`,
        token: 't',
        caFile: join(dir, 'cert.pem'),
        timeoutMs: 100,
        maxRetries: 1,
        retryBaseDelayMs: 1,
      });
      await expect(client.getJob(1)).rejects.toThrow(
        /failed after 2 attempts: timed out after 100 ms/,
      );
    } finally {
      slow.closeAllConnections();
      await new Promise(resolve => slow.close(resolve));
    }
  });
});

describe('classifyFetchFailure', () => {
  const wrap = (code: string) =>
    new TypeError('fetch failed', {
      cause: Object.assign(new Error(code), { code }),
    });

  it.each([
    [wrap('ECONNREFUSED'), 'notSent'],
    [wrap('ENOTFOUND'), 'notSent'],
    [
      new TypeError('fetch failed', {
        cause: new AggregateError([
          Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
        ]),
      }),
      'notSent',
    ],
    [wrap('ECONNRESET'), 'maybeSent'],
    [wrap('UND_ERR_SOCKET'), 'maybeSent'],
    [new TypeError('fetch failed'), 'maybeSent'],
    [
      new DOMException(
        'The operation was aborted due to timeout',
        'TimeoutError',
      ),
      'timeout',
    ],
    [wrap('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls'],
    [wrap('CERT_HAS_EXPIRED'), 'tls'],
  ])('classifies %p as %p', (err, kind) => {
    expect(classifyFetchFailure(err, 1000).kind).toBe(kind);
  });
});
