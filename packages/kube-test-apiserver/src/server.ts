import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import {
  ApiContext,
  BeforeWriteHook,
  PendingWrite,
  handleRequest,
} from './api';
import {
  CustomResourceDefinition,
  computeInstanceCrd,
  resourceTypesOf,
} from './crd';
import { Registry } from './discovery';
import { ObjectStore } from './objectStore';
import { Operations, wireTime } from './operations';
import {
  ResourceType,
  eventType,
  kubeVirtTypes,
  leaseType,
  storageKey,
} from './resources';
import { KubeObject } from './types';

export interface KubeTestApiServerOptions {
  /** CustomResourceDefinitions to serve; default: the repository's ComputeInstance CRD (deploy/crd.yaml). */
  crds?: CustomResourceDefinition[];
  /** API group for the default ComputeInstance CRD; default osac.openshift.io. */
  group?: string;
  /** Serve KubeVirt's virtualmachines and virtualmachineinstances (kubevirt.io/v1). Default false. */
  kubevirt?: boolean;
  /** Require `Authorization: Bearer <token>` (401 without). Default: no authentication. */
  token?: string;
  /** Changes kept for watches to resume from; older resumes get 410 Gone. Default 1000. */
  historySize?: number;
  /** Server-side end of a watch without timeoutSeconds. Default 5 minutes. */
  watchTimeout?: number;
  /** Interval of BOOKMARK events for watches that allow them. Default 60 s, as the apiserver's. */
  bookmarkInterval?: number;
  now?: () => Date;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: string;
  status: number;
}

/** Where a concurrent write should land, and how many times. */
export interface ConcurrentWriteMatch {
  plural: string;
  name?: string;
  namespace?: string;
  subresource?: 'status';
  verbs?: PendingWrite['verb'][];
  times?: number;
}

export interface KubeTestApiServer {
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Ends open watches and connections. */
  close(): Promise<void>;
  readonly url: string;
  /** A kubeconfig (as an object, the shape `KubeConfig.loadFromOptions` and kubectl's YAML share). */
  kubeconfig(options?: { namespace?: string }): Record<string, unknown>;
  kubeconfigYaml(options?: { namespace?: string }): string;
  /** The stored objects of a resource (by plural and group), for assertions. */
  objects(
    plural: string,
    options?: { group?: string; namespace?: string },
  ): KubeObject[];
  /** Current cluster-wide resourceVersion. */
  readonly resourceVersion: number;
  /** Forgets the change history: watches resuming from before now get 410 Gone. */
  compact(): void;
  /** Ends every open watch stream (as an apiserver restart would); clients resume or re-list. */
  dropWatches(): void;
  /**
   * Holds new watch requests until the returned function is called (an unreachable apiserver):
   * with `dropWatches` and `compact`, makes clients resume from a version that has expired.
   */
  holdWatches(): () => void;
  /** Runs before every write, after the request was read; a write the hook makes lands first. */
  onBeforeWrite(hook: BeforeWriteHook): () => void;
  /**
   * Makes the next matching write(s) lose a race: just before the server handles it, another
   * writer changes the object (an annotation), so a write carrying the old resourceVersion gets 409.
   */
  injectConcurrentWrite(match: ConcurrentWriteMatch): void;
  /** Every request served, in order. */
  readonly requests: RequestLogEntry[];
}

export const CONCURRENT_WRITE_ANNOTATION =
  'kube-test-apiserver/concurrent-write';

/**
 * For tests only: a Kubernetes API server for the resources the vm-lifecycle controller uses, with
 * the registry's real semantics (index.ts lists what is and is not served).
 */
export function createKubeTestApiServer(
  options: KubeTestApiServerOptions = {},
): KubeTestApiServer {
  const now = options.now ?? (() => new Date());
  const registry = new Registry();
  const crds = options.crds ?? [computeInstanceCrd({ group: options.group })];
  const builtins: ResourceType[] = [eventType, leaseType];
  if (options.kubevirt) builtins.push(...kubeVirtTypes);
  const allTypes = [...builtins, ...crds.flatMap(resourceTypesOf)];
  for (const type of allTypes) registry.add(type);

  const store = new ObjectStore(options.historySize ?? 1000);
  const operations = new Operations(store, now);
  const requests: RequestLogEntry[] = [];
  const hooks: BeforeWriteHook[] = [];
  const openWatches = new Set<() => void>();
  const ctx: ApiContext = {
    registry,
    store,
    operations,
    token: options.token,
    watchTimeoutMs: options.watchTimeout ?? 5 * 60_000,
    bookmarkIntervalMs: options.bookmarkInterval ?? 60_000,
    hooks,
    openWatches,
    log: entry => requests.push(entry),
  };

  let server: Server | undefined;
  let url = '';

  const typeByPlural = (plural: string, group?: string): ResourceType => {
    const candidates = allTypes.filter(
      t => t.plural === plural && (group === undefined || t.group === group),
    );
    if (!candidates.length) throw new Error(`No resource ${plural} is served`);
    return candidates[0];
  };

  const kubeconfig = ({
    namespace = 'default',
  }: { namespace?: string } = {}) => ({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      // @kubernetes/client-node refuses plain http unless TLS verification is explicitly off.
      {
        name: 'kube-test',
        cluster: { server: url, 'insecure-skip-tls-verify': true },
      },
    ],
    users: [
      {
        name: 'kube-test',
        user: options.token ? { token: options.token } : {},
      },
    ],
    contexts: [
      {
        name: 'kube-test',
        context: { cluster: 'kube-test', user: 'kube-test', namespace },
      },
    ],
    'current-context': 'kube-test',
  });

  const onBeforeWrite = (hook: BeforeWriteHook) => {
    hooks.push(hook);
    return () => {
      const i = hooks.indexOf(hook);
      if (i >= 0) hooks.splice(i, 1);
    };
  };

  return {
    async listen(port = 0, host = '127.0.0.1') {
      if (server) throw new Error('kube test API server is already listening');
      const httpServer = createServer((req, res) => {
        void handleRequest(ctx, req, res);
      });
      server = httpServer;
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve());
      });
      const address = httpServer.address() as AddressInfo;
      url = `http://${host}:${address.port}`;
      return { url, port: address.port };
    },
    async close() {
      ctx.watchGate = undefined;
      for (const stop of [...openWatches]) stop();
      const httpServer = server;
      server = undefined;
      if (!httpServer) return;
      await new Promise<void>(resolve => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
    get url() {
      return url;
    },
    kubeconfig,
    kubeconfigYaml(kubeconfigOptions) {
      return stringify(kubeconfig(kubeconfigOptions));
    },
    objects(plural, { group, namespace } = {}) {
      return store.list(storageKey(typeByPlural(plural, group)), namespace);
    },
    get resourceVersion() {
      return store.resourceVersion;
    },
    compact() {
      store.compact();
    },
    dropWatches() {
      for (const stop of [...openWatches]) stop();
    },
    holdWatches() {
      let release!: () => void;
      const gate = new Promise<void>(resolve => {
        release = resolve;
      });
      ctx.watchGate = gate;
      return () => {
        if (ctx.watchGate === gate) ctx.watchGate = undefined;
        release();
      };
    },
    onBeforeWrite,
    injectConcurrentWrite(match) {
      let remaining = match.times ?? 1;
      const off = onBeforeWrite(write => {
        if (
          remaining <= 0 ||
          write.plural !== match.plural ||
          (match.name !== undefined && write.name !== match.name) ||
          (match.namespace !== undefined &&
            write.namespace !== match.namespace) ||
          (match.subresource !== undefined &&
            write.subresource !== match.subresource) ||
          (match.verbs !== undefined && !match.verbs.includes(write.verb)) ||
          write.name === undefined
        ) {
          return;
        }
        const type = typeByPlural(write.plural, write.group);
        const current = store.get(
          storageKey(type),
          write.namespace,
          write.name,
        );
        if (!current) return;
        remaining -= 1;
        if (remaining <= 0) off();
        const annotations = { ...current.metadata.annotations };
        annotations[CONCURRENT_WRITE_ANNOTATION] =
          `${wireTime(now())}#${store.resourceVersion}`;
        operations.patch(
          type,
          write.namespace,
          write.name,
          'application/merge-patch+json',
          {
            metadata: { annotations },
          },
          { strict: false },
        );
      });
    },
    requests,
  };
}
