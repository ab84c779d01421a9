import * as http from 'node:http';
import * as https from 'node:https';

/** The part of `fetch` the client uses; global fetch and test fakes both fit. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface TlsOptions {
  /** PEM CA bundle trusted in addition to nothing else (replaces the default roots, like curl --cacert). */
  ca?: string | Buffer;
  rejectUnauthorized: boolean;
}

/**
 * A fetch over node:https, used only when a CA file or insecureSkipTlsVerify is configured.
 *
 * Why not global fetch: Node's fetch only takes TLS settings through an undici `dispatcher`, and the
 * undici that Node bundles is not importable. The npm `undici` package that happens to be hoisted in
 * node_modules is a different major version than Node's built-in one (dispatcher internals are not
 * guaranteed compatible) and is not a declared dependency of this plugin.
 *
 * Errors mimic undici so the client classifies them the same way: network failures reject with
 * `TypeError('fetch failed', { cause })`, an aborted signal rejects with `signal.reason`
 * (a `TimeoutError` for AbortSignal.timeout). The whole body is buffered before resolving, which is
 * fine for AWX's JSON answers and job stdout.
 */
export function createNodeFetch(tls: TlsOptions): FetchLike {
  const httpsAgent = new https.Agent({
    keepAlive: true,
    ca: tls.ca,
    rejectUnauthorized: tls.rejectUnauthorized,
  });
  const httpAgent = new http.Agent({ keepAlive: true });

  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const target = new URL(url);
      const isHttps = target.protocol === 'https:';
      const headers = toHeaderRecord(init.headers);
      const body = typeof init.body === 'string' ? init.body : undefined;
      if (body !== undefined)
        headers['content-length'] = String(Buffer.byteLength(body));

      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
      };
      // With `signal`, node destroys the request on abort; report the signal's reason (a
      // TimeoutError for AbortSignal.timeout) rather than the socket error that follows.
      const fail = (err: unknown) =>
        settle(() =>
          reject(
            signal?.aborted
              ? signal.reason
              : new TypeError('fetch failed', { cause: err }),
          ),
        );

      const req = (isHttps ? https : http).request(
        target,
        {
          method: init.method ?? 'GET',
          headers,
          agent: isHttps ? httpsAgent : httpAgent,
          signal,
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          // Closed before the whole body arrived (server died, or our abort): never hang.
          res.on('close', () => {
            if (!res.complete) {
              fail(
                Object.assign(new Error('response aborted'), {
                  code: 'ECONNRESET',
                }),
              );
            }
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const noBody = status === 204 || status === 205 || status === 304;
            settle(() =>
              resolve(
                new Response(noBody ? null : Buffer.concat(chunks), {
                  status,
                  statusText: res.statusMessage,
                  headers: fromIncomingHeaders(res.headers),
                }),
              ),
            );
          });
        },
      );
      req.on('error', fail);
      req.end(body);
    });
}

function toHeaderRecord(init: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init).forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

function fromIncomingHeaders(incoming: http.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/**
 * How a fetch that produced no HTTP answer failed. The distinction matters for launches:
 * `notSent` (the connection was never established) is safe to repeat, `maybeSent` and `timeout`
 * are not, because AAP may already have created the job.
 */
export type FetchFailureKind = 'timeout' | 'notSent' | 'maybeSent' | 'tls';

export interface FetchFailure {
  kind: FetchFailureKind;
  /** A short description without secrets, e.g. "ECONNRESET" or "timed out after 30000 ms". */
  detail: string;
}

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

export function classifyFetchFailure(
  err: unknown,
  timeoutMs: number,
): FetchFailure {
  if (isNamed(err, 'TimeoutError') || isNamed(err, 'AbortError')) {
    return { kind: 'timeout', detail: `timed out after ${timeoutMs} ms` };
  }
  const code = errorCode(err);
  if (code && (TLS_CODES.has(code) || code.startsWith('CERT_'))) {
    return { kind: 'tls', detail: code };
  }
  if (code && NOT_SENT_CODES.has(code)) {
    return { kind: 'notSent', detail: code };
  }
  return { kind: 'maybeSent', detail: code ?? describeError(err) };
}

function isNamed(err: unknown, name: string): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === name
  );
}

/** undici wraps the socket error in `cause`; dual-stack connects wrap several in an AggregateError. */
function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (
    let depth = 0;
    depth < 4 && current && typeof current === 'object';
    depth++
  ) {
    const candidate = current as {
      code?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof candidate.code === 'string') return candidate.code;
    if (Array.isArray(candidate.errors) && candidate.errors.length > 0) {
      current = candidate.errors[0];
    } else {
      current = candidate.cause;
    }
  }
  return undefined;
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
