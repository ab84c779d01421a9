import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { detail, HttpError, readBody, sendEmpty, sendJson } from './http';
import { edaPlaybookHooks } from './edaPlaybooks';
import type { PlaybookTargetClient } from './edaPlaybookTarget';
import type { JobEngine } from './jobs';
import type { TemplateCatalog } from './templates';
import type { EdaStreamOptions } from './types';

export const EDA_PATH =
  /^\/eda-event-streams\/api\/eda\/v1\/external_event_stream\/([^/]+)\/post\/?$/;

export interface EdaDeps {
  streams: EdaStreamOptions[];
  templates: TemplateCatalog;
  engine: JobEngine;
  log: (message: string) => void;
  /** Where the playbooks of EDA-launched jobs report back, if anywhere. */
  playbookTarget?: () => PlaybookTargetClient | undefined;
  /** Event ids (`Idempotency-Key`) each stream's rulebook has already acted on. */
  seenEventIds: Map<string, Set<string>>;
}

/** The header a sender puts its event id in; a repeat of the same intent carries the same id. */
export const EVENT_ID_HEADER = 'idempotency-key';

/**
 * An EDA event stream plus the rulebook behind it: a POST that passes the stream's credential check
 * launches the template mapped to the stream's action with the event as `ansible_eda.event`, exactly
 * the extra_vars shape AAP Direct sends, so the same simulated playbooks serve both providers.
 */
export async function handleEdaPost(
  deps: EdaDeps,
  req: IncomingMessage,
  res: ServerResponse,
  uuid: string,
  endpoint: string,
): Promise<void> {
  const stream = deps.streams.find(s => s.uuid === uuid);
  if (!stream) {
    // Real EDA answers 400 "bad uuid specified"; 404 reads more clearly in client logs.
    throw new HttpError(404, detail('bad uuid specified'));
  }
  if (req.method !== 'POST') {
    sendJson(res, 405, detail(`Method "${req.method}" not allowed.`), {
      Allow: 'POST',
    });
    return;
  }
  const raw = await readBody(req);
  verifyCredential(stream, req, raw);

  const data = parseEventBody(raw);
  const event = {
    payload: data,
    meta: {
      endpoint,
      eda_event_stream_name: `sim-${stream.action}-stream`,
      headers: eventHeaders(req, stream),
    },
  };
  const eventId = headerValue(req, EVENT_ID_HEADER);
  const seen = deps.seenEventIds.get(uuid) ?? new Set<string>();
  deps.seenEventIds.set(uuid, seen);
  const template = deps.templates.forAction(stream.action);
  if (eventId !== undefined && seen.has(eventId)) {
    // The rulebook's guard (a real one would keep the ids it handled in a fact or a database):
    // a repeat of an event it already acted on launches nothing, and EDA still answers 200.
    deps.log(
      `EDA stream ${uuid}: event ${eventId} was already handled; repeat dropped`,
    );
  } else if (template) {
    if (eventId !== undefined) seen.add(eventId);
    const target = deps.playbookTarget?.();
    const hooks = target
      ? edaPlaybookHooks(stream.action, data, target)
      : undefined;
    const job = deps.engine.launch(template, { ansible_eda: { event } }, hooks);
    deps.log(
      `EDA stream ${uuid}: rulebook launched ${job.type} ${job.id} (${template.name})`,
    );
  } else {
    deps.log(
      `EDA stream ${uuid}: no template for action ${stream.action}; event dropped`,
    );
  }
  // EDA answers an accepted event with an empty 200: no job id ever reaches the sender.
  sendEmpty(res, 200);
}

function verifyCredential(
  stream: EdaStreamOptions,
  req: IncomingMessage,
  raw: Buffer,
): void {
  if (stream.hmacSecret !== undefined) {
    const header = (stream.hmacHeader ?? 'X-Hub-Signature-256').toLowerCase();
    const presented = headerValue(req, header);
    if (presented === undefined)
      throw new HttpError(
        401,
        detail(
          `${stream.hmacHeader ?? 'X-Hub-Signature-256'} header is missing`,
        ),
      );
    const expected = createHmac('sha256', stream.hmacSecret)
      .update(raw)
      .digest('hex');
    const signature = presented.replace(/^sha256=/i, '').toLowerCase();
    if (!safeEqual(signature, expected))
      throw new HttpError(
        403,
        detail('Signature mismatch, check your payload and secret'),
      );
  }
  if (stream.token !== undefined) {
    const header = (stream.tokenHeader ?? 'Authorization').toLowerCase();
    const presented = headerValue(req, header);
    if (presented === undefined)
      throw new HttpError(
        401,
        detail(`${stream.tokenHeader ?? 'Authorization'} header is missing`),
      );
    // EDA strips a leading "Bearer " before comparing; a token configured with the scheme word
    // included still matches the whole header value.
    if (
      !safeEqual(presented, stream.token) &&
      !safeEqual(presented.replace(/^Bearer /, ''), stream.token)
    )
      throw new HttpError(403, detail('Token mismatch'));
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** EDA wraps anything that is not an object (arrays, scalars) as `{ body: ... }`. */
function parseEventBody(raw: Buffer): Record<string, unknown> {
  const text = raw.toString('utf8');
  if (text.trim() === '')
    throw new HttpError(400, detail('Invalid content. Empty body.'));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, detail('Invalid content. Type: application/json'));
  }
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { body: value };
}

/** The credential header never reaches the rulebook, as in EDA. */
function eventHeaders(
  req: IncomingMessage,
  stream: EdaStreamOptions,
): Record<string, string> {
  const secretHeaders = new Set(
    [
      stream.tokenHeader ??
        (stream.token !== undefined ? 'Authorization' : undefined),
      stream.hmacHeader ??
        (stream.hmacSecret !== undefined ? 'X-Hub-Signature-256' : undefined),
    ]
      .filter((h): h is string => h !== undefined)
      .map(h => h.toLowerCase()),
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (secretHeaders.has(name) || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
