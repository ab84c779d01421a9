import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { DEPLOY_DIR, computeInstanceCrd, parseCrds } from './crd';
import {
  CI,
  Harness,
  rejection,
  sampleInstance,
  sampleSpec,
  startHarness,
} from './__testUtils__/harness';

/* The ComputeInstance CRD in deploy/, served by the test API server and exercised over HTTP. */

const JOB_STATES = [
  'Pending',
  'Waiting',
  'Running',
  'Succeeded',
  'Failed',
  'Canceled',
  'Unknown',
];

function job(state: string, i = 0) {
  return {
    jobID: String(i + 1),
    type: 'provision',
    timestamp: `2025-06-01T10:0${i}:00Z`,
    state,
    message: `job is ${state}`,
    configVersion: 'abc123',
    blockDeletionOnFailure: false,
  };
}

describe('the ComputeInstance CRD (deploy/crd.yaml)', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.close();
  });

  async function create(spec: Record<string, unknown> = sampleSpec()) {
    return h.api.createNamespacedCustomObject({
      ...CI,
      namespace: 'team-a',
      body: { ...sampleInstance('vm-1'), spec },
    });
  }

  it('is wire-compatible with OSAC: group, version, kind, short name, status subresource, printer columns', () => {
    const crd = computeInstanceCrd();
    expect(crd.metadata.name).toBe('computeinstances.osac.openshift.io');
    expect(crd.spec).toMatchObject({
      group: 'osac.openshift.io',
      scope: 'Namespaced',
      names: {
        plural: 'computeinstances',
        singular: 'computeinstance',
        kind: 'ComputeInstance',
        shortNames: ['ci'],
      },
    });
    const [version] = crd.spec.versions;
    expect(version).toMatchObject({
      name: 'v1alpha1',
      served: true,
      storage: true,
      subresources: { status: {} },
    });
    expect(version.additionalPrinterColumns!.map(c => c.jsonPath)).toEqual([
      '.spec.templateID',
      '.spec.cores',
      '.spec.memoryGiB',
      '.spec.guestOSFamily',
      '.spec.runStrategy',
      '.status.phase',
      '.status.ipAddress',
      '.status.externalIPAddress',
      '.metadata.creationTimestamp',
    ]);
  });

  it('accepts a status with each of the seven job states, and all of them at once', async () => {
    let current = await create();
    for (const [i, state] of JOB_STATES.entries()) {
      current = await h.api.replaceNamespacedCustomObjectStatus({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
        body: {
          ...current,
          status: { phase: 'Deleting', provisioningJobs: [job(state, i)] },
        },
      });
      expect(current.status.provisioningJobs[0].state).toBe(state);
    }
    current = await h.api.replaceNamespacedCustomObjectStatus({
      ...CI,
      namespace: 'team-a',
      name: 'vm-1',
      body: { ...current, status: { provisioningJobs: JOB_STATES.map(job) } },
    });
    expect(
      current.status.provisioningJobs.map((j: { state: string }) => j.state),
    ).toEqual(JOB_STATES);
  });

  it('rejects a status with an unknown job state with 422, naming the field, and keeps the old status', async () => {
    const created = await create();
    const refused = await rejection(
      h.api.replaceNamespacedCustomObjectStatus({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
        body: {
          ...created,
          status: { provisioningJobs: [job('Running'), job('Exploded', 1)] },
        },
      }),
    );
    expect(refused.code).toBe(422);
    expect(refused.status.message).toBe(
      'ComputeInstance.osac.openshift.io "vm-1" is invalid: status.provisioningJobs[1].state: Unsupported value: "Exploded": supported values: "Pending", "Waiting", "Running", "Succeeded", "Failed", "Canceled", "Unknown"',
    );
    const stored = await h.api.getNamespacedCustomObject({
      ...CI,
      namespace: 'team-a',
      name: 'vm-1',
    });
    expect(stored.metadata.resourceVersion).toBe(
      created.metadata.resourceVersion,
    );
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'cores',
      { cores: 4 },
      'spec.cores: Invalid value: "integer": cores is immutable',
    ],
    [
      'templateID',
      { templateID: 'other' },
      'spec.templateID: Invalid value: "string": templateID is immutable',
    ],
    [
      'image',
      { image: { sourceType: 'registry', sourceRef: 'quay.io/x:1' } },
      'spec.image: Invalid value: "object": image is immutable',
    ],
    ['bootDisk', { bootDisk: { sizeGiB: 40 } }, 'bootDisk is immutable'],
    ['memoryGiB', { memoryGiB: 8 }, 'memoryGiB is immutable'],
    [
      'sshKey, when added',
      { sshKey: 'ssh-ed25519 AAAA' },
      'spec.sshKey: Invalid value: "object": sshKey is immutable',
    ],
    [
      'additionalDisks, when added',
      { additionalDisks: [{ sizeGiB: 1 }] },
      'additionalDisks is immutable',
    ],
  ])(
    'rejects a change of %s (CEL self == oldSelf) with 422',
    async (_field, change, message) => {
      const created = await create();
      const refused = await rejection(
        h.api.replaceNamespacedCustomObject({
          ...CI,
          namespace: 'team-a',
          name: 'vm-1',
          body: { ...created, spec: { ...created.spec, ...change } },
        }),
      );
      expect(refused.code).toBe(422);
      expect(refused.status.message).toContain(message);
    },
  );

  it('rejects removing an optional immutable field, and changing one that is set', async () => {
    const created = await create(
      sampleSpec({ sshKey: 'ssh-ed25519 AAAA', templateParameters: '{"a":1}' }),
    );
    const { sshKey: _removed, ...withoutKey } = created.spec;
    const removed = await rejection(
      h.api.replaceNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
        body: { ...created, spec: withoutKey },
      }),
    );
    expect(removed.status.message).toContain('sshKey is immutable');
    const changed = await rejection(
      h.api.replaceNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
        body: {
          ...created,
          spec: { ...created.spec, templateParameters: '{"a":2}' },
        },
      }),
    );
    expect(changed.status.message).toContain(
      'spec.templateParameters: Invalid value: "string": templateParameters is immutable',
    );
  });

  it('accepts changes of the mutable fields: runStrategy and restartRequestedAt', async () => {
    const created = await create();
    const updated = await h.api.replaceNamespacedCustomObject({
      ...CI,
      namespace: 'team-a',
      name: 'vm-1',
      body: {
        ...created,
        spec: {
          ...created.spec,
          runStrategy: 'Halted',
          restartRequestedAt: '2025-06-01T10:00:00Z',
        },
      },
    });
    expect(updated.spec).toMatchObject({
      runStrategy: 'Halted',
      restartRequestedAt: '2025-06-01T10:00:00Z',
    });
    expect(updated.metadata.generation).toBe(2);
  });

  describe('networkAttachments (OSAC: subnets fixed once assigned, security groups mutable)', () => {
    const nics = [
      { subnetRef: 'subnet-a', securityGroupRefs: ['sg-web'] },
      { subnetRef: 'subnet-b' },
    ];
    const replaceSpec = (
      created: { spec: Record<string, unknown> },
      spec: Record<string, unknown>,
    ) =>
      h.api.replaceNamespacedCustomObject({
        ...CI,
        namespace: 'team-a',
        name: 'vm-1',
        body: { ...created, spec },
      });

    it('lets security groups change, and the attachments be reordered', async () => {
      const created = await create(sampleSpec({ networkAttachments: nics }));
      const updated = await replaceSpec(created, {
        ...created.spec,
        networkAttachments: [
          { subnetRef: 'subnet-b', securityGroupRefs: ['sg-db'] },
          { subnetRef: 'subnet-a' },
        ],
      });
      expect(updated.spec.networkAttachments).toEqual([
        { subnetRef: 'subnet-b', securityGroupRefs: ['sg-db'] },
        { subnetRef: 'subnet-a' },
      ]);
    });

    it('lets them be assigned once if the VM was created without', async () => {
      const created = await create();
      const updated = await replaceSpec(created, {
        ...created.spec,
        networkAttachments: nics,
      });
      expect(updated.spec.networkAttachments).toEqual(nics);
    });

    it.each<[string, unknown, string]>([
      [
        'a changed subnet',
        [{ subnetRef: 'subnet-c' }, { subnetRef: 'subnet-b' }],
        'cannot change or add/remove network attachments after initial assignment',
      ],
      [
        'an added attachment',
        [...nics, { subnetRef: 'subnet-c' }],
        'cannot change or add/remove network attachments after initial assignment',
      ],
      [
        'a removed attachment',
        [nics[0]],
        'cannot change or add/remove network attachments after initial assignment',
      ],
      [
        'all of them removed',
        undefined,
        'spec.networkAttachments: Invalid value: "object": cannot change or add/remove network attachments after initial assignment',
      ],
    ])('refuses %s with 422', async (_what, networkAttachments, message) => {
      const created = await create(sampleSpec({ networkAttachments: nics }));
      const refused = await rejection(
        replaceSpec(created, { ...created.spec, networkAttachments }),
      );
      expect(refused.code).toBe(422);
      expect(refused.status.message).toContain(message);
    });

    it('refuses the same subnet twice (a map-type list keyed by subnetRef)', async () => {
      const refused = await rejection(
        create(
          sampleSpec({
            networkAttachments: [{ subnetRef: 's' }, { subnetRef: 's' }],
          }),
        ),
      );
      expect(refused.code).toBe(422);
      expect(refused.status.message).toContain(
        'spec.networkAttachments[1]: Duplicate value: {"subnetRef":"s"}',
      );
    });
  });

  it('renders for another API group with deploy/render.sh', () => {
    const rendered = execFileSync(
      'sh',
      [resolve(DEPLOY_DIR, 'render.sh'), 'cloudkit.openshift.io'],
      {
        encoding: 'utf8',
      },
    );
    const [crd] = parseCrds(rendered);
    expect(crd.metadata.name).toBe('computeinstances.cloudkit.openshift.io');
    expect(crd.spec.group).toBe('cloudkit.openshift.io');
    expect(rendered).not.toContain('osac.openshift.io');
    expect(rendered).toContain('resources: [computeinstances/status]');
  });
});
