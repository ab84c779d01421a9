import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerWithFault } from './answerFaults';
import type { AwxApi } from './awxRouter';
import { EDA_PATH, EdaDeps, handleEdaPost } from './eda';
import type { FaultState } from './faults';
import { detail, HttpError, sendJson } from './http';
import type { RequestCounter } from './requestCounter';
import type { Scheduler } from './scheduler';
import { maySteerSimulator } from './simAccess';
import { handleSimRequest, SimControl } from './simRouter';
import type { RequestKind } from './types';

/** AAP 2.5+ serves the controller API behind the gateway at the longer path; both must work. */
const API_BASES = ['/api/controller/v2', '/api/v2'];

export interface ServerDeps {
  awx: AwxApi;
  eda: EdaDeps;
  sim: SimControl;
  faults: FaultState;
  scheduler: Scheduler;
  counter: RequestCounter;
  log: (message: string) => void;
  /** Opens the /_sim controls to callers that are not on this machine. */
  simToken: string;
}

export function createRequestHandler(deps: ServerDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    dispatch(deps, req, res).catch(error => answerError(deps, req, res, error));
  };
}

async function dispatch(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator.invalid');
  const path = url.pathname;
  const mountPrefix = mountPrefixOf(req);

  if (path === '/_sim' || path.startsWith('/_sim/')) {
    if (!maySteerSimulator(req, deps.simToken)) {
      throw new HttpError(
        403,
        detail(
          'Simulator controls answer only on loopback or with "Authorization: Bearer <simulator token>"',
        ),
      );
    }
    await handleSimRequest(deps.sim, req, res, path);
    return;
  }

  const edaMatch = EDA_PATH.exec(path);
  const api = splitApiPath(path);
  const method = req.method ?? 'GET';
  let kind: RequestKind = 'other';
  if (edaMatch) kind = 'eda_post';
  else if (api?.subpath !== undefined)
    kind = deps.awx.classify(method, api.subpath);
  deps.counter.add(kind);

  if (deps.faults.takeDroppedConnection()) {
    // What a crashed proxy or a killed pod looks like to the client: no status line at all.
    req.socket.destroy();
    return;
  }
  if (deps.faults.latencyMs > 0)
    await deps.scheduler.delay(deps.faults.latencyMs);

  const answerFault =
    kind === 'other' ? undefined : deps.faults.takeAnswerFault(kind);
  if (answerFault) {
    await answerWithFault(
      req,
      res,
      answerFault,
      deps.scheduler,
      () => handleApi(deps, req, res, url, mountPrefix, edaMatch, api),
      error => answerError(deps, req, res, error),
    );
    return;
  }
  await handleApi(deps, req, res, url, mountPrefix, edaMatch, api);
}

async function handleApi(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  mountPrefix: string,
  edaMatch: RegExpExecArray | null,
  api: ReturnType<typeof splitApiPath>,
): Promise<void> {
  const path = url.pathname;
  if (edaMatch) {
    await handleEdaPost(
      deps.eda,
      req,
      res,
      decodeURIComponent(edaMatch[1]),
      `${mountPrefix}${path}`,
    );
    return;
  }
  if (api) {
    if (api.subpath === undefined) {
      res.writeHead(301, {
        Location: `${mountPrefix}${api.base}/${url.search}`,
      });
      res.end();
      return;
    }
    await deps.awx.handle({
      req,
      res,
      subpath: api.subpath,
      query: url.searchParams,
      apiBase: `${mountPrefix}${api.base}`,
    });
    return;
  }
  if (path === '/api/' || path === '/api') {
    sendJson(res, 200, {
      description: 'AWX REST API (simulated)',
      current_version: `${mountPrefix}/api/v2/`,
      available_versions: { v2: `${mountPrefix}/api/v2/` },
    });
    return;
  }
  throw new HttpError(
    404,
    detail('The requested resource could not be found.'),
  );
}

/** `subpath` undefined means the base itself without its trailing slash. */
function splitApiPath(
  path: string,
): { base: string; subpath: string | undefined } | undefined {
  for (const base of API_BASES) {
    if (path === base) return { base, subpath: undefined };
    if (path.startsWith(`${base}/`))
      return { base, subpath: path.slice(base.length + 1) };
  }
  return undefined;
}

/**
 * When express mounts `handle` under a path it strips that path from `req.url` but keeps it in
 * `originalUrl`; links in our answers (url, next, Location) must include it to be followable.
 */
function mountPrefixOf(req: IncomingMessage): string {
  const originalUrl = (req as IncomingMessage & { originalUrl?: unknown })
    .originalUrl;
  if (typeof originalUrl !== 'string' || !req.url) return '';
  const originalPath = originalUrl.split('?')[0];
  const path = req.url.split('?')[0];
  if (path === '/' && !originalPath.endsWith('/')) return originalPath;
  return originalPath.endsWith(path)
    ? originalPath.slice(0, originalPath.length - path.length)
    : '';
}

function answerError(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    sendJson(res, error.status, error.body, error.headers);
    return;
  }
  deps.log(
    `internal error answering ${req.method} ${req.url}: ${(error as Error)?.stack ?? String(error)}`,
  );
  sendJson(res, 500, detail('A server error has occurred.'));
}
