import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export interface FakeServer {
  url: string;
  calls: RecordedCall[];
  close(): Promise<void>;
}

type Handler = (
  call: RecordedCall,
) =>
  | { status: number; body?: unknown }
  | Promise<{ status: number; body?: unknown }>;

/** A throwaway HTTP server that records JSON requests and answers through `handler`. */
export async function startFakeServer(handler: Handler): Promise<FakeServer> {
  const calls: RecordedCall[] = [];
  const server: Server = createServer(
    async (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const call: RecordedCall = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      calls.push(call);
      const answer = await handler(call);
      const payload = JSON.stringify(answer.body ?? {});
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(payload);
    },
  );
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface KubeCr {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    deletionTimestamp?: string;
    finalizers: string[];
    annotations: Record<string, string>;
  };
}

/**
 * The slice of a Kubernetes API server the EDA playbooks use on ComputeInstances: GET and JSON merge
 * patch, with resourceVersion preconditions and finalizer-driven removal.
 */
export async function startFakeKubeApi(group = 'osac.openshift.io') {
  const objects = new Map<string, KubeCr>();
  let version = 100;
  /** The next PATCHes answer 409, as if the controller had written in between. */
  let conflicts = 0;
  const prefix = `/apis/${group}/v1alpha1/namespaces/`;
  const server = await startFakeServer(call => {
    if (!call.path.startsWith(prefix))
      return { status: 404, body: { kind: 'Status', code: 404 } };
    const [namespace, , name] = call.path.slice(prefix.length).split('/');
    const key = `${namespace}/${name}`;
    const obj = objects.get(key);
    if (!obj) return { status: 404, body: { kind: 'Status', code: 404 } };
    if (call.method === 'GET') return { status: 200, body: obj };
    if (call.method !== 'PATCH') return { status: 405 };
    if (call.headers['content-type'] !== 'application/merge-patch+json')
      return { status: 415 };
    const patch = call.body.metadata ?? {};
    if (
      conflicts > 0 ||
      (patch.resourceVersion &&
        patch.resourceVersion !== obj.metadata.resourceVersion)
    ) {
      conflicts = Math.max(0, conflicts - 1);
      return { status: 409, body: { kind: 'Status', reason: 'Conflict' } };
    }
    if (patch.finalizers) obj.metadata.finalizers = patch.finalizers;
    if (patch.annotations) {
      obj.metadata.annotations = {
        ...obj.metadata.annotations,
        ...patch.annotations,
      };
    }
    obj.metadata.resourceVersion = String(++version);
    if (obj.metadata.deletionTimestamp && obj.metadata.finalizers.length === 0)
      objects.delete(key);
    return { status: 200, body: obj };
  });
  return {
    ...server,
    objects,
    add(namespace: string, name: string, uid: string, finalizers: string[]) {
      objects.set(`${namespace}/${name}`, {
        metadata: {
          name,
          namespace,
          uid,
          resourceVersion: String(++version),
          finalizers,
          annotations: {},
        },
      });
    },
    markDeleted(namespace: string, name: string) {
      objects.get(`${namespace}/${name}`)!.metadata.deletionTimestamp =
        new Date().toISOString();
    },
    conflictNextPatches(n: number) {
      conflicts = n;
    },
  };
}
