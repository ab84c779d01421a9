import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  ComputeInstance,
  CreateInstanceRequest,
  VmTemplate,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

const PLUGIN_ID = 'vm-lifecycle';

/**
 * The vm-lifecycle REST API, called on behalf of a user: every request carries a token the auth
 * service issues for the task's initiator, so the plugin's permission policy and owner check judge
 * the user, not the scaffolder.
 */
export class VmLifecycleRestClient {
  constructor(
    private readonly o: {
      discovery: DiscoveryService;
      auth: AuthService;
      fetch?: typeof fetch;
    },
  ) {}

  async listTemplates(
    credentials: BackstageCredentials,
  ): Promise<VmTemplate[]> {
    const res = await this.call(credentials, 'GET', '/templates');
    return ((await res.json()) as { items: VmTemplate[] }).items;
  }

  async create(
    body: CreateInstanceRequest,
    credentials: BackstageCredentials,
  ): Promise<ComputeInstance> {
    const res = await this.call(credentials, 'POST', '/instances', body);
    return (await res.json()) as ComputeInstance;
  }

  /** The instance, or undefined once it is gone (404). */
  async get(
    namespace: string,
    name: string,
    credentials: BackstageCredentials,
  ): Promise<ComputeInstance | undefined> {
    const res = await this.call(
      credentials,
      'GET',
      instancePath(namespace, name),
      undefined,
      [404],
    );
    if (res.status === 404) return undefined;
    return (await res.json()) as ComputeInstance;
  }

  /** Starts the deletion; false when there was nothing to delete (404). */
  async delete(
    namespace: string,
    name: string,
    credentials: BackstageCredentials,
  ): Promise<boolean> {
    const res = await this.call(
      credentials,
      'DELETE',
      instancePath(namespace, name),
      undefined,
      [404],
    );
    return res.status !== 404;
  }

  private async call(
    credentials: BackstageCredentials,
    method: string,
    path: string,
    body?: unknown,
    accepted: number[] = [],
  ): Promise<Response> {
    const [baseUrl, { token }] = await Promise.all([
      this.o.discovery.getBaseUrl(PLUGIN_ID),
      this.o.auth.getPluginRequestToken({
        onBehalfOf: credentials,
        targetPluginId: PLUGIN_ID,
      }),
    ]);
    const res = await (this.o.fetch ?? fetch)(`${baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok && !accepted.includes(res.status)) {
      const error = await ResponseError.fromResponse(res);
      // The API's message says which field and why (e.g. the owner check's 422); keep it.
      const reason = error.body?.error?.message;
      if (reason) {
        error.message = `vm-lifecycle answered ${res.status} to ${method} ${path}: ${reason}`;
      }
      throw error;
    }
    return res;
  }
}

function instancePath(namespace: string, name: string) {
  return `/instances/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}
