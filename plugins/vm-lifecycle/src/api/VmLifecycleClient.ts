import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  ComputeInstance,
  ComputeInstanceList,
  CreateInstanceRequest,
  DeletionReleaseRequest,
  InstanceListQuery,
  JobOutput,
  LifecycleEvent,
  QuotaStatus,
  quotasResponseSchema,
  RunStrategy,
  VmTemplate,
  formatInstanceListQuery,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { PortalSettings, VmLifecycleApi } from './VmLifecycleApi';

/** Talks to the backend plugin through discovery; fetchApi adds the user's Backstage token. */
export class VmLifecycleClient implements VmLifecycleApi {
  constructor(
    private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  getSettings(): Promise<PortalSettings> {
    return this.json('GET', '/settings');
  }

  async listTemplates(): Promise<VmTemplate[]> {
    const body = await this.json<{ items: VmTemplate[] }>('GET', '/templates');
    return body.items;
  }

  listInstancePage(
    query: InstanceListQuery = {},
  ): Promise<ComputeInstanceList> {
    const search = formatInstanceListQuery(query);
    return this.json('GET', `/instances${search ? `?${search}` : ''}`);
  }

  getInstance(namespace: string, name: string): Promise<ComputeInstance> {
    return this.json('GET', instancePath(namespace, name));
  }

  createInstance(request: CreateInstanceRequest): Promise<ComputeInstance> {
    return this.json('POST', '/instances', request);
  }

  setRunStrategy(
    namespace: string,
    name: string,
    runStrategy: RunStrategy,
  ): Promise<ComputeInstance> {
    return this.json('PATCH', instancePath(namespace, name), {
      spec: { runStrategy },
    });
  }

  async restartInstance(namespace: string, name: string): Promise<void> {
    await this.request('POST', `${instancePath(namespace, name)}/restart`, {});
  }

  async deleteInstance(namespace: string, name: string): Promise<void> {
    await this.request('DELETE', instancePath(namespace, name));
  }

  async retryDeletion(namespace: string, name: string): Promise<void> {
    await this.request(
      'POST',
      `${instancePath(namespace, name)}/deletion/retry`,
      {},
    );
  }

  async releaseDeletion(
    namespace: string,
    name: string,
    request: DeletionReleaseRequest,
  ): Promise<void> {
    await this.request(
      'POST',
      `${instancePath(namespace, name)}/deletion/release`,
      request,
    );
  }

  async listQuotas(options: { all?: boolean } = {}): Promise<QuotaStatus[]> {
    const body = await this.json<unknown>(
      'GET',
      options.all ? '/quotas?all=true' : '/quotas',
    );
    return quotasResponseSchema.parse(body).items;
  }

  extendExpiry(
    namespace: string,
    name: string,
    expiresAt: string,
  ): Promise<ComputeInstance> {
    return this.json('POST', `${instancePath(namespace, name)}/expiry`, {
      expiresAt,
    });
  }

  async listEvents(namespace: string, name: string): Promise<LifecycleEvent[]> {
    const body = await this.json<{ items: LifecycleEvent[] }>(
      'GET',
      `${instancePath(namespace, name)}/events`,
    );
    return body.items;
  }

  async listDeletedInstances(
    namespace: string,
    name: string,
  ): Promise<Array<{ uid: string; deletedAt: string }>> {
    const body = await this.json<{
      items: Array<{ uid: string; deletedAt: string }>;
    }>('GET', `${instancePath(namespace, name)}/history`);
    return body.items;
  }

  getDeletedInstance(
    uid: string,
  ): Promise<{ uid: string; deletedAt: string; instance: ComputeInstance }> {
    return this.json('GET', `/instances/by-uid/${encodeURIComponent(uid)}`);
  }

  async listDeletedInstanceEvents(uid: string): Promise<LifecycleEvent[]> {
    const body = await this.json<{ items: LifecycleEvent[] }>(
      'GET',
      `/instances/by-uid/${encodeURIComponent(uid)}/events`,
    );
    return body.items;
  }

  async getJobOutput(
    namespace: string,
    name: string,
    jobID: string,
  ): Promise<JobOutput> {
    const response = await this.request(
      'GET',
      jobOutputPath(namespace, name, jobID),
      undefined,
      { Accept: 'application/json' },
    );
    return (await response.json()) as JobOutput;
  }

  async getFullJobOutput(
    namespace: string,
    name: string,
    jobID: string,
  ): Promise<string> {
    const response = await this.request(
      'GET',
      `${jobOutputPath(namespace, name, jobID)}?full=true`,
    );
    return response.text();
  }

  private async json<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const response = await this.request(method, path, body);
    return (await response.json()) as T;
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    const baseUrl = await this.deps.discoveryApi.getBaseUrl('vm-lifecycle');
    const headers: Record<string, string> = { ...extraHeaders };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await this.deps.fetchApi.fetch(`${baseUrl}${path}`, {
      method,
      headers: Object.keys(headers).length > 0 ? headers : undefined,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response;
  }
}

function jobOutputPath(namespace: string, name: string, jobID: string) {
  return `${instancePath(namespace, name)}/jobs/${encodeURIComponent(jobID)}/stdout`;
}

function instancePath(namespace: string, name: string): string {
  return `/instances/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}
