import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from './discovery';
import { ApiError, badRequest, methodNotAllowed, notFound } from './errors';
import { ObjectStore } from './objectStore';
import { Operations } from './operations';
import {
  ResourceType,
  apiVersionOf,
  selectableFields,
  storageKey,
} from './resources';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { toTable, wantsTable } from './table';
import { KubeObject } from './types';
import { serveWatch } from './watch';

/** What a write is about to do, handed to `onBeforeWrite` hooks before the server acts on it. */
export interface PendingWrite {
  verb: 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
  group: string;
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: 'status';
}

export type BeforeWriteHook = (write: PendingWrite) => void | Promise<void>;

export interface ApiContext {
  registry: Registry;
  store: ObjectStore;
  operations: Operations;
  token?: string;
  watchTimeoutMs: number;
  bookmarkIntervalMs: number;
  hooks: BeforeWriteHook[];
  openWatches: Set<() => void>;
  /** While set, new watch requests wait for it (see KubeTestApiServer.holdWatches). */
  watchGate?: Promise<void>;
  log: (entry: {
    method: string;
    path: string;
    query: string;
    status: number;
  }) => void;
}

interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Splits a resource URL: /api/v1/... or /apis/{group}/{version}/..., namespaced or not. */
function parseResourcePath(
  registry: Registry,
  segments: string[],
): Route | undefined {
  let group: string;
  let rest: string[];
  if (segments[0] === 'api' && segments[1] === 'v1') {
    group = '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1];
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  const version = segments[0] === 'api' ? 'v1' : segments[2];
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const type = registry.find(group, version, rest[0]);
  if (!type || rest.length > 3) return undefined;
  if (!type.namespaced && namespace !== undefined) return undefined;
  return { type, namespace, name: rest[1], subresource: rest[2] };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(
      `the request body is not valid JSON: ${(e as Error).message}`,
    );
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  warnings: string[] = [],
) {
  const headers: Record<string, string | string[]> = {
    'Content-Type': 'application/json',
  };
  if (warnings.length)
    headers.Warning = warnings.map(w => `299 - ${JSON.stringify(w)}`);
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

function list(ctx: ApiContext, route: Route, query: URLSearchParams) {
  const { type, namespace } = route;
  const labels = parseLabelSelector(query.get('labelSelector'));
  const fields = parseFieldSelector(
    query.get('fieldSelector'),
    Object.keys(selectableFields(type, { metadata: {} })),
    type.plural,
  );
  const items = ctx.store
    .list(storageKey(type), namespace)
    .filter(
      o => labels(o.metadata.labels ?? {}) && fields(selectableFields(type, o)),
    )
    .sort((a, b) => {
      // Code-unit order (etcd's key order), not a locale collation that would ignore '-'.
      const x = `${a.metadata.namespace}/${a.metadata.name}`;
      const y = `${b.metadata.namespace}/${b.metadata.name}`;
      if (x === y) return 0;
      return x < y ? -1 : 1;
    })
    .map(o => ({ ...o, apiVersion: apiVersionOf(type), kind: type.kind }));
  return { items, resourceVersion: String(ctx.store.resourceVersion) };
}

function discovery(ctx: ApiContext, segments: string[], host: string): unknown {
  const path = segments.join('/');
  if (path === 'version') {
    return {
      major: '1',
      minor: '30',
      gitVersion: 'v1.30.0-kube-test-apiserver',
      platform: 'linux/amd64',
    };
  }
  if (path === 'api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [
        { clientCIDR: '0.0.0.0/0', serverAddress: host },
      ],
    };
  }
  if (path === 'api/v1') return ctx.registry.apiResourceList('', 'v1');
  if (path === 'apis') return ctx.registry.apiGroupList();
  if (segments[0] === 'apis' && segments.length === 2)
    return ctx.registry.apiGroup(segments[1]);
  if (segments[0] === 'apis' && segments.length === 3) {
    return ctx.registry.apiResourceList(segments[1], segments[2]);
  }
  return undefined;
}

async function runHooks(ctx: ApiContext, write: PendingWrite) {
  for (const hook of [...ctx.hooks]) await hook(write);
}

function strictOf(query: URLSearchParams): boolean {
  return query.get('fieldValidation') === 'Strict';
}

async function handleResource(
  ctx: ApiContext,
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): Promise<number> {
  const { type, namespace, name } = route;
  const method = req.method ?? 'GET';
  if (
    route.subresource !== undefined &&
    (route.subresource !== 'status' || !type.statusSubresource)
  ) {
    throw notFound(
      type.group,
      `${type.plural}/${route.subresource}`,
      name ?? '',
    );
  }
  const subresource = route.subresource as 'status' | undefined;
  if (
    type.namespaced &&
    namespace === undefined &&
    (method !== 'GET' || name !== undefined)
  ) {
    throw methodNotAllowed(
      `${type.plural} is namespaced: ${method} needs a namespace in the path`,
    );
  }
  const base = {
    group: type.group,
    plural: type.plural,
    namespace,
    name,
    subresource,
  };
  const options = { strict: strictOf(query), subresource };

  if (name === undefined) {
    if (
      method === 'GET' &&
      (query.get('watch') === 'true' || query.get('watch') === '1')
    ) {
      while (ctx.watchGate) await ctx.watchGate;
      const timeoutSeconds = Number(query.get('timeoutSeconds'));
      let stop: () => void = () => {};
      stop = serveWatch(
        ctx.store,
        {
          type,
          namespace,
          labelSelector: parseLabelSelector(query.get('labelSelector')),
          fieldSelector: parseFieldSelector(
            query.get('fieldSelector'),
            Object.keys(selectableFields(type, { metadata: {} })),
            type.plural,
          ),
          resourceVersion: query.get('resourceVersion') ?? undefined,
          allowBookmarks: query.get('allowWatchBookmarks') === 'true',
          timeoutMs:
            timeoutSeconds > 0 ? timeoutSeconds * 1000 : ctx.watchTimeoutMs,
          bookmarkIntervalMs: ctx.bookmarkIntervalMs,
        },
        res,
        () => ctx.openWatches.delete(stop),
      );
      ctx.openWatches.add(stop);
      return 200;
    }
    if (method === 'GET') {
      const { items, resourceVersion } = list(ctx, route, query);
      if (wantsTable(req.headers.accept)) {
        sendJson(res, 200, toTable(type, items, resourceVersion));
      } else {
        sendJson(res, 200, {
          apiVersion: apiVersionOf(type),
          kind: type.listKind,
          metadata: { resourceVersion },
          items,
        });
      }
      return 200;
    }
    if (method === 'POST') {
      const body = await readBody(req);
      await runHooks(ctx, { ...base, verb: 'create' });
      const result = ctx.operations.create(type, namespace, body, options);
      sendJson(res, 201, result.object, result.warnings);
      return 201;
    }
    if (method === 'DELETE') {
      await runHooks(ctx, { ...base, verb: 'deletecollection' });
      const { items } = list(ctx, route, query);
      const results = items.map(o =>
        ctx.operations.deleteObject(type, o as KubeObject),
      );
      sendJson(res, 200, {
        apiVersion: apiVersionOf(type),
        kind: type.listKind,
        metadata: { resourceVersion: String(ctx.store.resourceVersion) },
        items: results,
      });
      return 200;
    }
    throw methodNotAllowed(`${method} is not supported on a collection`);
  }

  switch (method) {
    case 'GET': {
      const object = ctx.operations.get(type, namespace, name);
      if (wantsTable(req.headers.accept)) {
        sendJson(
          res,
          200,
          toTable(type, [object], object.metadata.resourceVersion ?? ''),
        );
      } else {
        sendJson(res, 200, object);
      }
      return 200;
    }
    case 'PUT': {
      const body = await readBody(req);
      await runHooks(ctx, { ...base, verb: 'update' });
      const result = ctx.operations.update(
        type,
        namespace,
        name,
        body,
        options,
      );
      sendJson(res, 200, result.object, result.warnings);
      return 200;
    }
    case 'PATCH': {
      const body = await readBody(req);
      await runHooks(ctx, { ...base, verb: 'patch' });
      const contentType = (req.headers['content-type'] ?? '')
        .split(';')[0]
        .trim();
      const result = ctx.operations.patch(
        type,
        namespace,
        name,
        contentType,
        body,
        options,
      );
      sendJson(res, 200, result.object, result.warnings);
      return 200;
    }
    case 'DELETE': {
      if (subresource)
        throw methodNotAllowed(
          'DELETE is not supported on the status subresource',
        );
      const body = await readBody(req);
      await runHooks(ctx, { ...base, verb: 'delete' });
      sendJson(res, 200, ctx.operations.delete(type, namespace, name, body));
      return 200;
    }
    default:
      throw methodNotAllowed(`${method} is not supported`);
  }
}

/** The request handler: authentication, discovery, then the resource routes. */
export async function handleRequest(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const segments = url.pathname.split('/').filter(Boolean);
  let status = 500;
  try {
    if (ctx.token && req.headers.authorization !== `Bearer ${ctx.token}`) {
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    }
    const route = parseResourcePath(ctx.registry, segments);
    if (route) {
      status = await handleResource(ctx, route, req, res, url.searchParams);
      return;
    }
    const doc =
      req.method === 'GET'
        ? discovery(ctx, segments, req.headers.host ?? '')
        : undefined;
    if (!doc)
      throw new ApiError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    sendJson(res, 200, doc);
    status = 200;
  } catch (e) {
    const error =
      e instanceof ApiError
        ? e
        : new ApiError(
            500,
            'InternalError',
            `Internal error occurred: ${(e as Error)?.message ?? String(e)}`,
          );
    status = error.code;
    if (!res.headersSent) sendJson(res, error.code, error.toStatus());
    else res.end();
  } finally {
    ctx.log({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      status,
    });
  }
}
