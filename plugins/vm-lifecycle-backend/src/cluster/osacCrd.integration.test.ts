import { resolve } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import {
  CustomResourceDefinition,
  Schema,
  computeInstanceCrd,
  loadCrdFile,
} from '@internal/kube-test-apiserver';
import { ClusterEnv, NS, createClusterEnv } from './__testUtils__/clusterEnv';

jest.setTimeout(60_000);

/*
 * Our controller on a cluster whose ComputeInstance CRD is OSAC's own (checked in unchanged as
 * __fixtures__/osac/, with its source and commit), on an object whose status other writers filled:
 * OSAC's controllers (external IP, tenant, KubeVirt VM reference, their own conditions) and a field
 * of a newer CRD. Our reconcile must succeed on that CRD, and leave every one of those fields alone.
 */

const FIXTURE = resolve(
  __dirname,
  '__fixtures__',
  'osac',
  'osac.openshift.io_computeinstances.yaml',
);

function osacCrd(): CustomResourceDefinition {
  const [crd] = loadCrdFile(FIXTURE);
  return crd;
}

/** OSAC's CRD plus one status field it does not have yet, as the next OSAC release might add. */
function newerOsacCrd(): CustomResourceDefinition {
  const crd = osacCrd();
  const status = crd.spec.versions[0].schema!.openAPIV3Schema!.properties!
    .status as Schema;
  status.properties!.migrationState = {
    type: 'object',
    properties: { phase: { type: 'string' }, target: { type: 'string' } },
  };
  return crd;
}

const props = (crd: CustomResourceDefinition, part: 'spec' | 'status') =>
  crd.spec.versions[0].schema!.openAPIV3Schema!.properties![part];

/** Every path of an object-typed schema, e.g. spec.networkAttachments[].subnetRef. */
function fieldPaths(schema: Schema, prefix: string): string[] {
  const paths: string[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}.${key}`;
    paths.push(path);
    paths.push(...fieldPaths(child, path));
    if (child.items) paths.push(...fieldPaths(child.items, `${path}[]`));
  }
  return paths;
}

describe("OSAC's ComputeInstance CRD (fixture from osac-project/osac-operator)", () => {
  it('has no spec or status field that deploy/crd.yaml lacks, and no printer column ours lacks', () => {
    const ours = computeInstanceCrd();
    const theirs = osacCrd();
    for (const part of ['spec', 'status'] as const) {
      const ourPaths = new Set(fieldPaths(props(ours, part), part));
      expect(
        fieldPaths(props(theirs, part), part).filter(p => !ourPaths.has(p)),
      ).toEqual([]);
    }
    const columns = (crd: CustomResourceDefinition) =>
      crd.spec.versions[0].additionalPrinterColumns!.map(
        c => `${c.jsonPath} ${c.priority ?? 0}`,
      );
    expect(columns(ours)).toEqual(expect.arrayContaining(columns(theirs)));
  });

  describe('our controller against it', () => {
    let env: ClusterEnv;

    afterEach(async () => {
      await env?.close();
    });

    it('provisions a VM whose status other writers filled, and every field they set survives', async () => {
      env = await createClusterEnv({ kube: { crds: [newerOsacCrd()] } });
      const created = await env.create('osac-vm', {
        networkAttachments: [
          { subnetRef: 'subnet-a', securityGroupRefs: ['sg-web'] },
        ],
      });

      // Other writers, before our controller ever looks at the object.
      const othersStatus = {
        externalIPAddress: '203.0.113.7',
        tenantReference: { name: 'tenant-a', namespace: 'osac-tenants' },
        virtualMachineReference: {
          namespace: 'tenant-a-vms',
          kubeVirtVirtualMachineName: 'osac-vm-x7k2',
        },
        conditions: [
          {
            type: 'osac.openshift.io/SubnetReady',
            status: 'True',
            reason: 'SubnetFound',
            message: 'subnet-a is ready',
            lastTransitionTime: '2026-08-03T08:00:00Z',
          },
        ],
        migrationState: { phase: 'Idle', target: 'none' },
      };
      const api = env.kubeConfig().makeApiClient(CustomObjectsApi);
      const resource = {
        group: env.names.group,
        version: 'v1alpha1',
        plural: 'computeinstances',
        namespace: NS,
        name: 'osac-vm',
      };
      const raw = await api.getNamespacedCustomObject(resource);
      await api.replaceNamespacedCustomObjectStatus({
        ...resource,
        body: { ...raw, status: othersStatus },
        fieldValidation: 'Strict',
      });

      (await env.newReplica()).controller.start();
      const running = await env.waitForPhase('osac-vm', 'Running');
      expect(running.metadata.uid).toBe(created.metadata.uid);
      const withIp = await env.waitFor(
        'the VMI IP on the instance',
        async () => {
          const obj = await env.store.get(NS, 'osac-vm');
          return obj?.status.ipAddress ? obj : undefined;
        },
      );

      // Read as the API server stores it, not through our store's types.
      const stored = (await api.getNamespacedCustomObject(resource)) as {
        spec: Record<string, unknown>;
        status: Record<string, unknown> & {
          conditions: unknown[];
          provisioningJobs: Array<Record<string, unknown>>;
        };
      };
      const { conditions: othersConditions, ...othersFields } = othersStatus;
      expect(stored.status).toMatchObject(othersFields);
      expect(stored.status.conditions).toEqual(
        expect.arrayContaining(othersConditions),
      );
      // Our own fields landed next to them.
      expect(stored.status.phase).toBe('Running');
      expect(stored.status.ipAddress).toBe(withIp.status.ipAddress);
      expect(stored.status.provisioningJobs).toEqual([
        expect.objectContaining({ type: 'provision', state: 'Succeeded' }),
      ]);
      expect(stored.spec.networkAttachments).toEqual([
        { subnetRef: 'subnet-a', securityGroupRefs: ['sg-web'] },
      ]);
    });
  });
});
