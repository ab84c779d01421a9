import {
  ComputeInstance,
  ComputeInstanceList,
  LifecycleEvent,
  ProvisioningJob,
  TEMPLATE_FIELD_PATHS,
  VmTemplate,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { VmLifecycleApi } from '../api';

export const GROUP = 'osac.openshift.io';

export const TEMPLATES: VmTemplate[] = [
  {
    id: 'small',
    title: 'Small Fedora VM',
    description: '2 vCPU, 4 GiB: for trying things out',
    defaults: {
      image: {
        sourceType: 'registry',
        sourceRef: 'quay.io/containerdisks/fedora:latest',
      },
      cores: 2,
      memoryGiB: 4,
      bootDisk: { sizeGiB: 20 },
      runStrategy: 'Always',
    },
    // Templates declare what requesters may change; nothing is editable by default.
    editableFields: TEMPLATE_FIELD_PATHS.filter(
      path => path !== 'image.sourceType' && path !== 'templateParameters',
    ),
  },
  {
    id: 'db',
    title: 'Database VM',
    description: 'Fixed image, sized for databases',
    defaults: {
      image: {
        sourceType: 'registry',
        sourceRef: 'quay.io/containerdisks/centos-stream:9',
      },
      cores: 4,
      memoryGiB: 16,
      bootDisk: { sizeGiB: 100 },
      runStrategy: 'Always',
    },
    editableFields: ['cores', 'memoryGiB', 'templateParameters'],
    parameters: [
      {
        name: 'engine',
        title: 'Database engine',
        type: 'string',
        required: true,
      },
      { name: 'replicas', title: 'Replicas', type: 'number', default: 1 },
      {
        name: 'backups',
        title: 'Nightly backups',
        type: 'boolean',
        default: true,
      },
    ],
  },
];

export function job(
  partial: Partial<ProvisioningJob> & Pick<ProvisioningJob, 'jobID'>,
): ProvisioningJob {
  return {
    type: 'provision',
    timestamp: '2026-01-01T10:00:05Z',
    state: 'Running',
    message: '',
    configVersion: 'abc',
    blockDeletionOnFailure: false,
    ...partial,
  };
}

export function makeInstance(
  name: string,
  overrides: {
    namespace?: string;
    phase?: ComputeInstance['status']['phase'];
    jobs?: ProvisioningJob[];
    ipAddress?: string;
    owner?: string;
    requestedBy?: string;
    deletionTimestamp?: string;
    runStrategy?: 'Always' | 'Halted';
    creationTimestamp?: string;
  } = {},
): ComputeInstance {
  const annotations: Record<string, string> = {
    [`${GROUP}/requested-by`]: overrides.requestedBy ?? 'user:default/guest',
  };
  if (overrides.owner) annotations[`${GROUP}/owner`] = overrides.owner;
  return {
    apiVersion: `${GROUP}/v1alpha1`,
    kind: 'ComputeInstance',
    metadata: {
      name,
      namespace: overrides.namespace ?? 'default',
      uid: `uid-${name}`,
      resourceVersion: '1',
      creationTimestamp: overrides.creationTimestamp ?? '2026-01-01T10:00:00Z',
      deletionTimestamp: overrides.deletionTimestamp,
      finalizers: [`${GROUP}/computeinstance`],
      labels: {},
      annotations,
    },
    spec: {
      templateID: 'small',
      image: {
        sourceType: 'registry',
        sourceRef: 'quay.io/containerdisks/fedora:latest',
      },
      cores: 2,
      memoryGiB: 4,
      bootDisk: { sizeGiB: 20 },
      runStrategy: overrides.runStrategy ?? 'Always',
    },
    status: {
      phase: overrides.phase,
      ipAddress: overrides.ipAddress,
      provisioningJobs: overrides.jobs ?? [],
      conditions: [],
    },
  };
}

export const EVENTS_PROVISIONING: LifecycleEvent[] = [
  {
    timestamp: '2026-01-01T10:00:05Z',
    type: 'Normal',
    reason: 'ProvisionJobLaunched',
    message: 'Launched provision job 12',
    jobID: '12',
  },
];

/** A VmLifecycleApi whose every method is a jest mock with a harmless default. */
export function mockVmApi(
  overrides: Partial<VmLifecycleApi> = {},
): jest.Mocked<VmLifecycleApi> {
  return {
    getSettings: jest.fn(async () => ({
      provider: 'aap' as const,
      store: 'database' as const,
      pollIntervalMs: 2000,
      controllerEnabled: true,
    })),
    listTemplates: jest.fn(async () => TEMPLATES),
    listInstancePage: jest.fn(async () => pageOf([])),
    getInstance: jest.fn(async (_ns: string, name: string) =>
      makeInstance(name),
    ),
    createInstance: jest.fn(async request =>
      makeInstance(request.metadata.name, {
        namespace: request.metadata.namespace,
      }),
    ),
    setRunStrategy: jest.fn(async (_ns: string, name: string) =>
      makeInstance(name),
    ),
    restartInstance: jest.fn(async () => undefined),
    retryDeletion: jest.fn(async () => undefined),
    releaseDeletion: jest.fn(async () => undefined),
    deleteInstance: jest.fn(async () => undefined),
    listEvents: jest.fn(async () => []),
    listQuotas: jest.fn(async () => []),
    extendExpiry: jest.fn(async (_ns: string, name: string) =>
      makeInstance(name),
    ),
    getJobOutput: jest.fn(async () => ({
      text: '',
      totalChars: 0,
      truncated: false,
    })),
    getFullJobOutput: jest.fn(async () => ''),
    ...overrides,
  } as jest.Mocked<VmLifecycleApi>;
}

/** A ResponseError as the client throws it for a Backstage error body. */
export async function responseError(
  status: number,
  name: string,
  message: string,
) {
  const { ResponseError } = await import('@backstage/errors');
  const response = {
    status,
    statusText: name,
    ok: false,
    url: 'http://localhost/api/vm-lifecycle/instances',
    headers: new Map([['content-type', 'application/json']]),
    text: async () =>
      JSON.stringify({
        error: { name, message },
        response: { statusCode: status },
      }),
  };
  return ResponseError.fromResponse(response as any);
}

/** An answer of GET /instances: the items, and a continue token when more follow. */
export function pageOf(
  items: ComputeInstance[],
  more?: { continue: string; remainingItemCount: number },
): ComputeInstanceList {
  return {
    kind: 'ComputeInstanceList',
    metadata: more ?? { remainingItemCount: 0 },
    items,
  };
}
