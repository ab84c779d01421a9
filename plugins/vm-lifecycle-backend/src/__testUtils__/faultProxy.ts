import {
  createServer,
  request as httpRequest,
  Server,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';

/** What the proxy does with a request whose path matches. */
export type ProxyFault =
  /** Keep the connection open and never answer (an overloaded or partitioned server). */
  | { kind: 'stall' }
  /** Close the connection without a status line (a crashed proxy, a killed pod). */
  | { kind: 'reset' }
  /** Answer this instead of the upstream (a gateway's error page, say). */
  | { kind: 'respond'; status: number; body: string; contentType?: string }
  /**
   * Hold the request this long, then forward it, unless the client gave up meanwhile (a slow
   * network or an overloaded gateway in front of AAP): an abandoned request never reaches upstream.
   */
  | { kind: 'delay'; ms: number };

export interface FaultProxy {
  url: string;
  /** Requests forwarded or faulted, by path and query. */
  readonly requests: string[];
  /** `METHOD path` of the requests that reached the upstream. */
  readonly forwarded: string[];
  /** Applies `fault` to requests whose path and query match; undefined forwards everything again. */
  inject(pattern: RegExp | undefined, fault?: ProxyFault): void;
  close(): Promise<void>;
}

/**
 * A forwarding HTTP proxy in front of a real server (the AAP simulator, the kube test API server)
 * that injects the network faults no server of ours produces on its own.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  let pattern: RegExp | undefined;
  let fault: ProxyFault | undefined;
  const held = new Set<ServerResponse>();
  const requests: string[] = [];
  const forwarded: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    if (fault?.kind === 'delay' && pattern?.test(path)) {
      let gone = false;
      res.on('close', () => {
        gone = true;
      });
      const timer = setTimeout(() => {
        held.delete(res);
        if (!gone) forward();
      }, fault.ms);
      held.add(res);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    if (fault && fault.kind !== 'delay' && pattern?.test(path)) {
      if (fault.kind === 'stall') {
        held.add(res);
        return;
      }
      if (fault.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(fault.status, {
        'Content-Type': fault.contentType ?? 'text/html',
      });
      res.end(fault.body);
      return;
    }
    forward();

    function forward() {
      forwarded.push(`${req.method} ${path}`);
      const upstream = httpRequest(
        `${target}${path}`,
        { method: req.method, headers: req.headers },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          // A watch answers its headers long before its first event; clients wait for them.
          res.flushHeaders();
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    forwarded,
    inject(nextPattern, nextFault) {
      pattern = nextPattern;
      fault = nextPattern ? nextFault : undefined;
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    },
  };
}
