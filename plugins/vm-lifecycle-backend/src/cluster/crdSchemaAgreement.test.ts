import {
  CompiledSchema,
  Schema,
  computeInstanceCrd,
} from '@internal/kube-test-apiserver';
import {
  CONDITION_STATUSES,
  IMAGE_SOURCE_TYPES,
  JOB_STATES,
  JOB_TYPES,
  PHASES,
  RUN_STRATEGIES,
  SPEC_LIMITS,
  computeInstanceSpecSchema,
  computeInstanceSpecShape,
  computeInstanceStatusSchema,
  computeInstanceStatusShape,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/*
 * The CRD in deploy/ and the portal's zod schemas describe the same resource twice (the API server
 * cannot run zod, the browser cannot run CEL). This test keeps them in agreement: the same specs and
 * statuses go through both, and both must accept or both refuse. The few rules only one side can
 * express are listed as known differences, so a new drift fails here.
 */

const crd = computeInstanceCrd();
const root = crd.spec.versions[0].schema!.openAPIV3Schema!;
const specSchema = root.properties!.spec;
const statusSchema = root.properties!.status;
const crdSchema = new CompiledSchema(root);

const baseSpec = {
  templateID: 'osac.templates.ocp_virt_vm',
  image: {
    sourceType: 'registry',
    sourceRef: 'quay.io/containerdisks/fedora:latest',
  },
  cores: 2,
  memoryGiB: 4,
  bootDisk: { sizeGiB: 20 },
  runStrategy: 'Always',
};

/** What the API server says about an object with this spec/status, in Strict field validation. */
function crdAccepts(part: 'spec' | 'status', value: unknown): boolean {
  const object: Record<string, unknown> = JSON.parse(
    JSON.stringify({
      apiVersion: 'osac.openshift.io/v1alpha1',
      kind: 'ComputeInstance',
      metadata: { name: 'vm-1', namespace: 'team-a' },
      spec: part === 'spec' ? value : baseSpec,
      ...(part === 'status' ? { status: value } : {}),
    }),
  );
  const unknownFields = crdSchema.prune(object);
  return unknownFields.length === 0 && crdSchema.validate(object).length === 0;
}

const fullSpec = {
  ...baseSpec,
  templateParameters: '{"env":"dev"}',
  guestOSFamily: 'windows',
  additionalDisks: [{ sizeGiB: 10 }],
  sshKey: 'ssh-ed25519 AAAA user@host',
  userDataSecretRef: { name: 'cloud-init' },
  restartRequestedAt: '2024-05-01T12:00:00.123+02:00',
  networkAttachments: [
    { subnetRef: 'subnet-a', securityGroupRefs: ['sg-web', 'sg-ssh'] },
    { subnetRef: 'subnet-b' },
  ],
};

const nics = (networkAttachments: unknown) => ({
  ...baseSpec,
  networkAttachments,
});

const without = (key: string) => {
  const { [key]: _gone, ...rest } = baseSpec as Record<string, unknown>;
  return rest;
};

const specCases: Array<[string, unknown]> = [
  ['the required fields only', baseSpec],
  ['every field', fullSpec],
  ['cores 1 and memory 1', { ...baseSpec, cores: 1, memoryGiB: 1 }],
  ['cores 128', { ...baseSpec, cores: 128 }],
  ['templateID _x', { ...baseSpec, templateID: '_x' }],
  ['templateID A.b_9', { ...baseSpec, templateID: 'A.b_9' }],
  ['no additional disks', { ...baseSpec, additionalDisks: [] }],
  ['runStrategy Halted', { ...baseSpec, runStrategy: 'Halted' }],
  [
    'restartRequestedAt in lower case Z',
    { ...baseSpec, restartRequestedAt: '2024-05-01t12:00:00z' },
  ],
  ...[
    'templateID',
    'image',
    'cores',
    'memoryGiB',
    'bootDisk',
    'runStrategy',
  ].map((key): [string, unknown] => [`no ${key}`, without(key)]),
  ['cores 0', { ...baseSpec, cores: 0 }],
  ['cores 129', { ...baseSpec, cores: 129 }],
  ['cores 1.5', { ...baseSpec, cores: 1.5 }],
  ['cores "2"', { ...baseSpec, cores: '2' }],
  ['memoryGiB 0', { ...baseSpec, memoryGiB: 0 }],
  ['bootDisk size 0', { ...baseSpec, bootDisk: { sizeGiB: 0 } }],
  ['bootDisk without size', { ...baseSpec, bootDisk: {} }],
  [
    'an additional disk of size 0',
    { ...baseSpec, additionalDisks: [{ sizeGiB: 0 }] },
  ],
  ['an additional disk without size', { ...baseSpec, additionalDisks: [{}] }],
  ['templateID 9lives', { ...baseSpec, templateID: '9lives' }],
  ['templateID has-dash', { ...baseSpec, templateID: 'has-dash' }],
  ['templateID empty', { ...baseSpec, templateID: '' }],
  [
    'image.sourceType docker',
    { ...baseSpec, image: { ...baseSpec.image, sourceType: 'docker' } },
  ],
  [
    'image.sourceRef empty',
    { ...baseSpec, image: { ...baseSpec.image, sourceRef: '' } },
  ],
  [
    'image without sourceRef',
    { ...baseSpec, image: { sourceType: 'registry' } },
  ],
  ['runStrategy Sometimes', { ...baseSpec, runStrategy: 'Sometimes' }],
  ['runStrategy always (case)', { ...baseSpec, runStrategy: 'always' }],
  [
    'restartRequestedAt yesterday',
    { ...baseSpec, restartRequestedAt: 'yesterday' },
  ],
  [
    'restartRequestedAt in month 13',
    { ...baseSpec, restartRequestedAt: '2024-13-01T00:00:00Z' },
  ],
  [
    'restartRequestedAt on 2023-02-29',
    { ...baseSpec, restartRequestedAt: '2023-02-29T00:00:00Z' },
  ],
  ...sizeCases(),
  ['no network attachments', nics([])],
  ['a network attachment without security groups', nics([{ subnetRef: 's' }])],
  [
    'a network attachment with no security groups',
    nics([{ subnetRef: 's', securityGroupRefs: [] }]),
  ],
  ['a network attachment without subnetRef', nics([{}])],
  ['a network attachment with an empty subnetRef', nics([{ subnetRef: '' }])],
  ['a numeric subnetRef', nics([{ subnetRef: 7 }])],
  [
    'the same subnet twice',
    nics([{ subnetRef: 's' }, { subnetRef: 's', securityGroupRefs: ['x'] }]),
  ],
  [
    'an empty security group name',
    nics([{ subnetRef: 's', securityGroupRefs: [''] }]),
  ],
  [
    'a numeric security group name',
    nics([{ subnetRef: 's', securityGroupRefs: [1] }]),
  ],
  [
    'securityGroupRefs a string',
    nics([{ subnetRef: 's', securityGroupRefs: 'sg' }]),
  ],
  ['networkAttachments an object', nics({ subnetRef: 's' })],
  ['a network attachment a string', nics(['subnet-a'])],
  ['an unknown network attachment field', nics([{ subnetRef: 's', vlan: 3 }])],
  ['an unknown field', { ...baseSpec, colour: 'blue' }],
  [
    'an unknown image field',
    { ...baseSpec, image: { ...baseSpec.image, tag: 'x' } },
  ],
  [
    'userDataSecretRef with an empty name',
    { ...baseSpec, userDataSecretRef: { name: '' } },
  ],
  ['userDataSecretRef without name', { ...baseSpec, userDataSecretRef: {} }],
  ['sshKey a number', { ...baseSpec, sshKey: 5 }],
  ['templateParameters a number', { ...baseSpec, templateParameters: 5 }],
  [
    'guestOSFamily an object',
    { ...baseSpec, guestOSFamily: { name: 'linux' } },
  ],
];

/** Every upper bound of SPEC_LIMITS, at the limit (both accept) and one past it (both refuse). */
function sizeCases(): Array<[string, unknown]> {
  const L = SPEC_LIMITS;
  const disks = (n: number, sizeGiB = 1) =>
    Array.from({ length: n }, () => ({ sizeGiB }));
  const image = (sourceRef: string) => ({ ...baseSpec.image, sourceRef });
  const atAndPast = (
    what: string,
    at: Record<string, unknown>,
    past: Record<string, unknown>,
  ): Array<[string, unknown]> => [
    [`${what} at its maximum`, { ...baseSpec, ...at }],
    [`${what} past its maximum`, { ...baseSpec, ...past }],
  ];
  return [
    ...atAndPast('cores', { cores: L.cores }, { cores: L.cores + 1 }),
    ...atAndPast(
      'memoryGiB',
      { memoryGiB: L.memoryGiB },
      { memoryGiB: L.memoryGiB + 1 },
    ),
    ['memoryGiB 1e308', { ...baseSpec, memoryGiB: 1e308 }],
    ...atAndPast(
      'bootDisk.sizeGiB',
      { bootDisk: { sizeGiB: L.diskSizeGiB } },
      { bootDisk: { sizeGiB: L.diskSizeGiB + 1 } },
    ),
    ...atAndPast(
      'additionalDisks[].sizeGiB',
      { additionalDisks: disks(1, L.diskSizeGiB) },
      { additionalDisks: disks(1, L.diskSizeGiB + 1) },
    ),
    ...atAndPast(
      'the number of additionalDisks',
      { additionalDisks: disks(L.additionalDisks) },
      { additionalDisks: disks(L.additionalDisks + 1) },
    ),
    ...atAndPast(
      'templateParameters length',
      {
        templateParameters: JSON.stringify({
          a: 'x'.repeat(L.templateParameters - 8),
        }),
      },
      {
        templateParameters: JSON.stringify({
          a: 'x'.repeat(L.templateParameters - 7),
        }),
      },
    ),
    ...atAndPast(
      'templateID length',
      { templateID: 't'.repeat(L.templateID) },
      { templateID: 't'.repeat(L.templateID + 1) },
    ),
    ...atAndPast(
      'image.sourceRef length',
      { image: image('i'.repeat(L.imageSourceRef)) },
      { image: image('i'.repeat(L.imageSourceRef + 1)) },
    ),
    ...atAndPast(
      'guestOSFamily length',
      { guestOSFamily: 'g'.repeat(L.guestOSFamily) },
      { guestOSFamily: 'g'.repeat(L.guestOSFamily + 1) },
    ),
    ...atAndPast(
      'sshKey length',
      { sshKey: 'k'.repeat(L.sshKey) },
      { sshKey: 'k'.repeat(L.sshKey + 1) },
    ),
    ...atAndPast(
      'the number of networkAttachments',
      {
        networkAttachments: Array.from(
          { length: L.networkAttachments },
          (_, i) => ({ subnetRef: `s${i}` }),
        ),
      },
      {
        networkAttachments: Array.from(
          { length: L.networkAttachments + 1 },
          (_, i) => ({ subnetRef: `s${i}` }),
        ),
      },
    ),
    ...atAndPast(
      'subnetRef length',
      { networkAttachments: [{ subnetRef: 's'.repeat(L.networkObjectName) }] },
      {
        networkAttachments: [
          { subnetRef: 's'.repeat(L.networkObjectName + 1) },
        ],
      },
    ),
    ...atAndPast(
      'the number of securityGroupRefs',
      {
        networkAttachments: [
          {
            subnetRef: 's',
            securityGroupRefs: Array.from(
              { length: L.securityGroupRefs },
              (_, i) => `sg${i}`,
            ),
          },
        ],
      },
      {
        networkAttachments: [
          {
            subnetRef: 's',
            securityGroupRefs: Array.from(
              { length: L.securityGroupRefs + 1 },
              (_, i) => `sg${i}`,
            ),
          },
        ],
      },
    ),
    ...atAndPast(
      'a security group name length',
      {
        networkAttachments: [
          {
            subnetRef: 's',
            securityGroupRefs: ['g'.repeat(L.networkObjectName)],
          },
        ],
      },
      {
        networkAttachments: [
          {
            subnetRef: 's',
            securityGroupRefs: ['g'.repeat(L.networkObjectName + 1)],
          },
        ],
      },
    ),
    ...atAndPast(
      'userDataSecretRef.name length',
      { userDataSecretRef: { name: 's'.repeat(L.userDataSecretName) } },
      { userDataSecretRef: { name: 's'.repeat(L.userDataSecretName + 1) } },
    ),
  ];
}

/**
 * Rules zod enforces and the CRD cannot: CEL in the apiserver has no JSON parser (so neither the
 * object nor its nesting depth can be checked), and Kubernetes'
 * `date-time` format also accepts a time without zone. The portal refuses these before they reach
 * the cluster; a client writing the custom resource directly can store them.
 */
const zodOnlySpecCases: Array<[string, unknown]> = [
  [
    'templateParameters not holding a JSON object',
    { ...baseSpec, templateParameters: '[1]' },
  ],
  [
    'templateParameters not JSON',
    { ...baseSpec, templateParameters: 'not json' },
  ],
  [
    'templateParameters nested too deep',
    {
      ...baseSpec,
      templateParameters: `${'{"a":'.repeat(SPEC_LIMITS.templateParametersDepth + 1)}1${'}'.repeat(SPEC_LIMITS.templateParametersDepth + 1)}`,
    },
  ],
  [
    'restartRequestedAt without a zone',
    { ...baseSpec, restartRequestedAt: '2024-05-01T12:00:00' },
  ],
];

const job = (overrides: Record<string, unknown> = {}) => ({
  jobID: '42',
  type: 'provision',
  timestamp: '2025-06-01T10:00:00Z',
  state: 'Running',
  message: 'running',
  configVersion: 'abc123',
  blockDeletionOnFailure: false,
  ...overrides,
});

const condition = (overrides: Record<string, unknown> = {}) => ({
  type: 'Ready',
  status: 'True',
  reason: 'Running',
  message: 'ok',
  lastTransitionTime: '2025-06-01T10:00:00.123Z',
  ...overrides,
});

const statusCases: Array<[string, unknown]> = [
  ['an empty status', {}],
  ...PHASES.map((phase): [string, unknown] => [`phase ${phase}`, { phase }]),
  ...JOB_STATES.map((state): [string, unknown] => [
    `a ${state} job`,
    { provisioningJobs: [job({ state })] },
  ]),
  [
    'every job state at once',
    {
      provisioningJobs: JOB_STATES.map((state, i) =>
        job({ state, jobID: String(i) }),
      ),
    },
  ],
  [
    'a deprovision job that blocks deletion',
    {
      provisioningJobs: [
        job({ type: 'deprovision', blockDeletionOnFailure: true }),
      ],
    },
  ],
  [
    'everything',
    {
      phase: 'Running',
      conditions: [
        condition({ observedGeneration: 3 }),
        condition({ type: 'Provisioned', reason: '', message: '' }),
      ],
      desiredConfigVersion: 'abc123',
      lastRestartedAt: '2025-06-01T10:00:00+02:00',
      ipAddress: '10.0.0.7',
      provisioningJobs: [job()],
      externalIPAddress: '203.0.113.7',
      virtualMachineReference: {
        namespace: 'tenant-a-vms',
        kubeVirtVirtualMachineName: 'vm-1',
      },
      tenantReference: { name: 'tenant-a', namespace: 'osac-tenants' },
    },
  ],
  ['an external IP only', { externalIPAddress: '203.0.113.7' }],
  ['externalIPAddress a number', { externalIPAddress: 7 }],
  [
    'a virtualMachineReference without its name',
    { virtualMachineReference: { namespace: 'ns' } },
  ],
  [
    'a virtualMachineReference without its namespace',
    { virtualMachineReference: { kubeVirtVirtualMachineName: 'vm' } },
  ],
  ['virtualMachineReference a string', { virtualMachineReference: 'ns/vm' }],
  [
    'an unknown virtualMachineReference field',
    {
      virtualMachineReference: {
        namespace: 'ns',
        kubeVirtVirtualMachineName: 'vm',
        uid: 'x',
      },
    },
  ],
  ['a tenantReference without namespace', { tenantReference: { name: 't' } }],
  ['a tenantReference without name', { tenantReference: { namespace: 'n' } }],
  [
    'a numeric tenantReference name',
    { tenantReference: { name: 1, namespace: 'n' } },
  ],
  [
    'a condition type of another controller',
    { conditions: [condition({ type: 'SomethingElse' })] },
  ],
  ['phase Exploding', { phase: 'Exploding' }],
  ['job state Exploded', { provisioningJobs: [job({ state: 'Exploded' })] }],
  [
    'job state in lower case',
    { provisioningJobs: [job({ state: 'canceled' })] },
  ],
  ['job type restart', { provisioningJobs: [job({ type: 'restart' })] }],
  [
    'a launch intent (no AAP job yet) and the job it became',
    {
      provisioningJobs: [
        job({ jobID: 'intent:u1-provision-1', launchID: 'u1-provision-1' }),
        job({ jobID: '43', launchID: 'u1-provision-2' }),
      ],
    },
  ],
  ['an empty launchID', { provisioningJobs: [job({ launchID: '' })] }],
  ['a numeric launchID', { provisioningJobs: [job({ launchID: 7 })] }],
  ['an empty jobID', { provisioningJobs: [job({ jobID: '' })] }],
  ['a numeric jobID', { provisioningJobs: [job({ jobID: 42 })] }],
  [
    'a job without blockDeletionOnFailure',
    { provisioningJobs: [job({ blockDeletionOnFailure: undefined })] },
  ],
  [
    'a job without message',
    { provisioningJobs: [job({ message: undefined })] },
  ],
  [
    'a job timestamp yesterday',
    { provisioningJobs: [job({ timestamp: 'yesterday' })] },
  ],
  ['an unknown job field', { provisioningJobs: [job({ extra: 1 })] }],
  ['provisioningJobs an object', { provisioningJobs: {} }],
  ['condition status Maybe', { conditions: [condition({ status: 'Maybe' })] }],
  ['an empty condition type', { conditions: [condition({ type: '' })] }],
  [
    'a condition without lastTransitionTime',
    { conditions: [condition({ lastTransitionTime: undefined })] },
  ],
  [
    'a negative observedGeneration',
    { conditions: [condition({ observedGeneration: -1 })] },
  ],
  ['ipAddress a number', { ipAddress: 10 }],
  ['lastRestartedAt not a time', { lastRestartedAt: 'later' }],
];

/**
 * Status fields neither side knows: the CRD installed decides (ours prunes them, or refuses them
 * under Strict field validation; a newer CRD stores them), and zod keeps them, so a status written
 * by another writer under a newer CRD is not refused when we write it back.
 */
const zodOnlyStatusCases: Array<[string, unknown]> = [
  ['an unknown status field', { colour: 'blue' }],
  [
    'an unknown status object next to known fields',
    { phase: 'Running', futureField: { a: 1 } },
  ],
];

describe('CRD schema (deploy/crd.yaml) and zod schemas (vm-lifecycle-common) agree', () => {
  it.each(specCases)('spec with %s', (_what, spec) => {
    const zod = computeInstanceSpecSchema.safeParse(spec).success;
    expect({ crd: crdAccepts('spec', spec), zod }).toEqual({ crd: zod, zod });
  });

  it.each(statusCases)('status with %s', (_what, status) => {
    const zod = computeInstanceStatusSchema.safeParse(status).success;
    expect({ crd: crdAccepts('status', status), zod }).toEqual({
      crd: zod,
      zod,
    });
  });

  it.each(zodOnlySpecCases)(
    'known difference: only zod refuses a spec with %s',
    (_what, spec) => {
      expect(computeInstanceSpecSchema.safeParse(spec).success).toBe(false);
      expect(crdAccepts('spec', spec)).toBe(true);
    },
  );

  it.each(zodOnlyStatusCases)(
    'known difference: only zod keeps a status with %s',
    (_what, status) => {
      const parsed = computeInstanceStatusSchema.safeParse(status);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toEqual(status);
      expect(crdAccepts('status', status)).toBe(false);
    },
  );

  it('uses the same enums', () => {
    const props = (s: Schema | undefined) => s!.properties!;
    const jobItem = props(statusSchema).provisioningJobs.items!;
    expect(props(jobItem).state.enum).toEqual([...JOB_STATES]);
    expect(props(jobItem).type.enum).toEqual([...JOB_TYPES]);
    expect(props(statusSchema).phase.enum).toEqual([...PHASES]);
    expect(props(props(statusSchema).conditions.items).status.enum).toEqual([
      ...CONDITION_STATUSES,
    ]);
    expect(props(specSchema).runStrategy.enum).toEqual([...RUN_STRATEGIES]);
    expect(props(props(specSchema).image).sourceType.enum).toEqual([
      ...IMAGE_SOURCE_TYPES,
    ]);
  });

  it('declares the maxima of SPEC_LIMITS', () => {
    const props = (s: Schema | undefined) => s!.properties!;
    const spec = props(specSchema);
    expect({
      cores: spec.cores.maximum,
      memoryGiB: spec.memoryGiB.maximum,
      diskSizeGiB: [
        props(spec.bootDisk).sizeGiB.maximum,
        props(spec.additionalDisks.items).sizeGiB.maximum,
      ],
      additionalDisks: spec.additionalDisks.maxItems,
      templateParameters: spec.templateParameters.maxLength,
      templateID: spec.templateID.maxLength,
      imageSourceRef: props(spec.image).sourceRef.maxLength,
      guestOSFamily: spec.guestOSFamily.maxLength,
      sshKey: spec.sshKey.maxLength,
      userDataSecretName: props(spec.userDataSecretRef).name.maxLength,
      networkAttachments: spec.networkAttachments.maxItems,
      networkObjectName: [
        props(spec.networkAttachments.items).subnetRef.maxLength,
        props(spec.networkAttachments.items).securityGroupRefs.items!.maxLength,
      ],
      securityGroupRefs: props(spec.networkAttachments.items).securityGroupRefs
        .maxItems,
    }).toEqual({
      cores: SPEC_LIMITS.cores,
      memoryGiB: SPEC_LIMITS.memoryGiB,
      diskSizeGiB: [SPEC_LIMITS.diskSizeGiB, SPEC_LIMITS.diskSizeGiB],
      additionalDisks: SPEC_LIMITS.additionalDisks,
      templateParameters: SPEC_LIMITS.templateParameters,
      templateID: SPEC_LIMITS.templateID,
      imageSourceRef: SPEC_LIMITS.imageSourceRef,
      guestOSFamily: SPEC_LIMITS.guestOSFamily,
      sshKey: SPEC_LIMITS.sshKey,
      userDataSecretName: SPEC_LIMITS.userDataSecretName,
      networkAttachments: SPEC_LIMITS.networkAttachments,
      networkObjectName: [
        SPEC_LIMITS.networkObjectName,
        SPEC_LIMITS.networkObjectName,
      ],
      securityGroupRefs: SPEC_LIMITS.securityGroupRefs,
    });
  });

  it('has the same fields, and requires the same ones', () => {
    const shape = computeInstanceSpecShape as Record<
      string,
      { isOptional(): boolean }
    >;
    expect(Object.keys(specSchema.properties!).sort()).toEqual(
      Object.keys(shape).sort(),
    );
    expect([...specSchema.required!].sort()).toEqual(
      Object.keys(shape)
        .filter(k => !shape[k].isOptional())
        .sort(),
    );
    expect(Object.keys(statusSchema.properties!).sort()).toEqual(
      Object.keys(computeInstanceStatusShape).sort(),
    );
  });
});
