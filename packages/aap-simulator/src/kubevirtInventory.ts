import { createHash } from 'node:crypto';
import type { InstanceRef, VmInventory } from './inventory';

export interface KubeVirtInventoryOptions {
  /** Base URL of the Kubernetes API server, e.g. http://127.0.0.1:6443. */
  apiServerUrl: string;
  /** Bearer token for the API server, if it wants one. */
  token?: string;
  /** Prefix of the instance label, as the controller's API group. Default osac.openshift.io. */
  apiGroup?: string;
  log?: (message: string) => void;
}

const KUBEVIRT = '/apis/kubevirt.io/v1';

/**
 * The simulated playbooks' VMs as KubeVirt objects in a Kubernetes API server, as OSAC's playbooks
 * create them: a VirtualMachine labelled `<group>/computeinstance=<name>` (and `-uid=<uid>`), and its
 * running VirtualMachineInstance with an IP. "No orphaned VMs" is then checked the way OSAC's e2e
 * checks it: the count of virtualmachines carrying the instance label.
 */
export class KubeVirtInventory implements VmInventory {
  private readonly label: string;

  constructor(private readonly o: KubeVirtInventoryOptions) {
    this.label = `${o.apiGroup ?? 'osac.openshift.io'}/computeinstance`;
  }

  async create(
    instance: InstanceRef,
    jobId: number,
    createdAt: string,
  ): Promise<boolean> {
    const name = vmName(instance);
    const labels = {
      [this.label]: instance.name,
      [`${this.label}-uid`]: instance.uid,
    };
    const vm = await this.request(
      'POST',
      `${KUBEVIRT}/namespaces/${instance.namespace}/virtualmachines`,
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: {
          name,
          namespace: instance.namespace,
          labels,
          annotations: {
            'aap-simulator/created-by-job': String(jobId),
            'aap-simulator/created-at': createdAt,
          },
        },
        spec: {
          runStrategy: 'Always',
          template: { metadata: { labels }, spec: { domain: { devices: {} } } },
        },
      },
    );
    if (vm.status === 409) {
      await vm.text();
      return false;
    }
    await this.expectOk(vm, 'create VirtualMachine');
    await this.setStatus('virtualmachines', instance.namespace, name, {
      printableStatus: 'Running',
      ready: true,
      created: true,
    });
    const vmi = await this.request(
      'POST',
      `${KUBEVIRT}/namespaces/${instance.namespace}/virtualmachineinstances`,
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        metadata: { name, namespace: instance.namespace, labels },
        spec: { domain: { devices: {} } },
      },
    );
    if (vmi.status === 409) await vmi.text();
    else await this.expectOk(vmi, 'create VirtualMachineInstance');
    await this.setStatus('virtualmachineinstances', instance.namespace, name, {
      phase: 'Running',
      interfaces: [{ name: 'default', ipAddress: ipFor(instance.uid) }],
    });
    this.o.log?.(
      `VirtualMachine ${instance.namespace}/${name} created in the API server`,
    );
    return true;
  }

  async remove(instance: {
    namespace: string;
    name: string;
    uid?: string;
  }): Promise<number> {
    const selector = [`${this.label}=${instance.name}`];
    if (instance.uid) selector.push(`${this.label}-uid=${instance.uid}`);
    const list = await this.request(
      'GET',
      `${KUBEVIRT}/namespaces/${instance.namespace}/virtualmachines?labelSelector=${encodeURIComponent(selector.join(','))}`,
    );
    const { items } = (await this.expectOk(list, 'list VirtualMachines')) as {
      items: Array<{ metadata: { name: string } }>;
    };
    for (const item of items) {
      for (const plural of ['virtualmachineinstances', 'virtualmachines']) {
        const res = await this.request(
          'DELETE',
          `${KUBEVIRT}/namespaces/${instance.namespace}/${plural}/${item.metadata.name}`,
        );
        if (res.status === 404) await res.text();
        else await this.expectOk(res, `delete ${plural}`);
      }
    }
    return items.length;
  }

  private async setStatus(
    plural: string,
    namespace: string,
    name: string,
    status: Record<string, unknown>,
  ) {
    const res = await this.request(
      'PATCH',
      `${KUBEVIRT}/namespaces/${namespace}/${plural}/${name}/status`,
      { status },
      'application/merge-patch+json',
    );
    await this.expectOk(res, `set ${plural} status`);
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ) {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = contentType;
    if (this.o.token) headers.Authorization = `Bearer ${this.o.token}`;
    return fetch(`${this.o.apiServerUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** The parsed answer; throws with the API server's message unless it is a 2xx. */
  private async expectOk(res: Response, what: string): Promise<unknown> {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text for the message
    }
    if (res.ok) return body;
    const message = (body as { message?: string })?.message ?? text;
    throw new Error(`Failed to ${what}: ${res.status} ${message}`);
  }
}

/** Unique per instance uid, so a VM orphaned by an earlier instance of the same name stays visible. */
function vmName(instance: InstanceRef): string {
  return `${instance.name.slice(0, 57)}-${instance.uid.replace(/[^a-z0-9]/g, '').slice(0, 5) || 'vm'}`;
}

function ipFor(uid: string): string {
  const bytes = createHash('sha256').update(uid).digest();
  return `10.128.${bytes[0]}.${(bytes[1] % 253) + 1}`;
}
