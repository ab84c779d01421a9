import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import {
  KubeTestApiServer,
  KubeTestApiServerOptions,
  createKubeTestApiServer,
} from '../server';

export const GROUP = 'osac.openshift.io';
export const CI = {
  group: GROUP,
  version: 'v1alpha1',
  plural: 'computeinstances',
};

export function sampleSpec(overrides: Record<string, unknown> = {}) {
  return {
    templateID: 'osac.templates.ocp_virt_vm',
    image: {
      sourceType: 'registry',
      sourceRef: 'quay.io/containerdisks/fedora:latest',
    },
    cores: 2,
    memoryGiB: 4,
    bootDisk: { sizeGiB: 20 },
    runStrategy: 'Always',
    ...overrides,
  };
}

export function sampleInstance(
  name: string,
  extra: Record<string, unknown> = {},
) {
  return {
    apiVersion: `${GROUP}/v1alpha1`,
    kind: 'ComputeInstance',
    metadata: { name, namespace: 'team-a' },
    spec: sampleSpec(),
    ...extra,
  };
}

export interface Harness {
  server: KubeTestApiServer;
  kubeConfig: KubeConfig;
  api: CustomObjectsApi;
  /** A raw request, for status codes, headers and bodies exactly as the server sent them. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function startHarness(
  options: KubeTestApiServerOptions = {},
): Promise<Harness> {
  const server = createKubeTestApiServer(options);
  await server.listen();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(server.kubeconfigYaml());
  return {
    server,
    kubeConfig,
    api: kubeConfig.makeApiClient(CustomObjectsApi),
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...(options.token
            ? { Authorization: `Bearer ${options.token}` }
            : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // a watch stream or plain text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    close: () => server.close(),
  };
}

/** The HTTP status and Status body of a rejected client-node call. */
export async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: number; status: any }> {
  try {
    await promise;
  } catch (e) {
    const { code, body } = e as { code: number; body: unknown };
    return { code, status: typeof body === 'string' ? JSON.parse(body) : body };
  }
  throw new Error('expected the call to fail');
}

export const nsPath = (namespace = 'team-a') =>
  `/apis/${GROUP}/v1alpha1/namespaces/${namespace}/computeinstances`;
