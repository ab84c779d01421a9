import type { IncomingMessage, ServerResponse } from 'node:http';

/** Enough for a ComputeInstance with generous annotations; anything bigger is a client bug. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(
      typeof body === 'object' && body && 'detail' in body
        ? String(body.detail)
        : `HTTP ${status}`,
    );
  }
}

/** AWX (Django REST framework) reports most errors as `{"detail": "..."}`. */
export function detail(message: string): { detail: string } {
  return { detail: message };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(
  res: ServerResponse,
  status: number,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Length': 0, ...headers });
  res.end();
}

/**
 * The raw request body. When an express app mounted us behind a body parser the stream is already
 * consumed; fall back to what the parser kept (`rawBody` if it was configured to keep it), because
 * HMAC verification needs the exact bytes.
 */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parsed = req as IncomingMessage & { rawBody?: unknown; body?: unknown };
  if (req.readableEnded) {
    if (Buffer.isBuffer(parsed.rawBody)) return parsed.rawBody;
    if (typeof parsed.rawBody === 'string') return Buffer.from(parsed.rawBody);
    if (Buffer.isBuffer(parsed.body)) return parsed.body;
    if (typeof parsed.body === 'string') return Buffer.from(parsed.body);
    if (parsed.body !== undefined)
      return Buffer.from(JSON.stringify(parsed.body));
    return Buffer.alloc(0);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, detail('Request body too large.'));
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON request body the way DRF does: empty means `{}`, malformed is a 400. */
export async function readJsonObject(
  req: IncomingMessage,
): Promise<Record<string, unknown>> {
  const raw = (await readBody(req)).toString('utf8');
  if (raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new HttpError(
      400,
      detail(`JSON parse error - ${(error as Error).message}`),
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(
      400,
      detail('Invalid data. Expected a dictionary, but got a different type.'),
    );
  }
  return value as Record<string, unknown>;
}
