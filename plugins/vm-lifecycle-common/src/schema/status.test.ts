import { JOB_STATES } from '../jobState';
import { ComputeInstanceStatus, ProvisioningJob } from '../types';
import { computeInstanceStatusSchema, PHASES } from './status';
import { describeZodIssues } from './errors';
import { MESSAGES } from './messages';

function job(overrides: Partial<ProvisioningJob> = {}): ProvisioningJob {
  return {
    jobID: '42',
    type: 'provision',
    timestamp: '2024-05-01T12:00:00Z',
    state: 'Running',
    message: '',
    configVersion: 'cbf29ce484222325',
    blockDeletionOnFailure: false,
    ...overrides,
  };
}

const fullStatus: ComputeInstanceStatus = {
  phase: 'Running',
  conditions: [
    {
      type: 'Provisioned',
      status: 'True',
      reason: 'JobSucceeded',
      message: 'job 42 succeeded',
      lastTransitionTime: '2024-05-01T12:05:00Z',
    },
  ],
  desiredConfigVersion: 'cbf29ce484222325',
  lastRestartedAt: '2024-05-01T12:00:00.5+02:00',
  ipAddress: '10.0.0.7',
  provisioningJobs: [
    job({ state: 'Succeeded' }),
    job({ jobID: '43', type: 'deprovision' }),
  ],
};

function fieldsOf(status: unknown) {
  const result = computeInstanceStatusSchema.safeParse(status);
  return result.success ? [] : describeZodIssues(result.error);
}

describe('computeInstanceStatusSchema', () => {
  it('accepts a full status and an empty one', () => {
    expect(computeInstanceStatusSchema.parse(fullStatus)).toEqual(fullStatus);
    expect(computeInstanceStatusSchema.parse({})).toEqual({});
  });

  it('has all seven job states', () => {
    expect(JOB_STATES).toEqual([
      'Pending',
      'Waiting',
      'Running',
      'Succeeded',
      'Failed',
      'Canceled',
      'Unknown',
    ]);
  });

  it.each(JOB_STATES.map(state => [state]))(
    'accepts a job in state %s',
    state => {
      expect(
        computeInstanceStatusSchema.safeParse({
          provisioningJobs: [job({ state })],
        }).success,
      ).toBe(true);
    },
  );

  // The original operator's enum lacked Canceled: every status write failed and it kept relaunching.
  it('accepts Canceled and Unknown explicitly', () => {
    const status = {
      provisioningJobs: [
        job({ state: 'Canceled' }),
        job({ jobID: '2', state: 'Unknown' }),
      ],
    };
    expect(computeInstanceStatusSchema.parse(status)).toEqual(status);
  });

  it.each(['Cancelled', 'canceled', 'Error', ''])(
    'refuses the job state %p, naming the entry',
    state => {
      expect(
        fieldsOf({ provisioningJobs: [job(), { ...job(), state }] }),
      ).toEqual([
        expect.objectContaining({
          field: 'provisioningJobs[1].state',
          message: `must be one of ${JOB_STATES.join(', ')}`,
        }),
      ]);
    },
  );

  it.each(PHASES.map(phase => [phase]))('accepts phase %s', phase => {
    expect(computeInstanceStatusSchema.safeParse({ phase }).success).toBe(true);
  });

  it.each([
    [
      'an unknown phase',
      { phase: 'Provisioning' },
      'phase',
      `must be one of ${PHASES.join(', ')}`,
    ],
    [
      'an unknown job field',
      { provisioningJobs: [{ ...job(), url: 'x' }] },
      'provisioningJobs[0].url',
      MESSAGES.unknownField,
    ],
    [
      'a job without jobID',
      { provisioningJobs: [{ ...job(), jobID: '' }] },
      'provisioningJobs[0].jobID',
      MESSAGES.nonEmptyString,
    ],
    [
      'a job of unknown type',
      { provisioningJobs: [{ ...job(), type: 'restart' }] },
      'provisioningJobs[0].type',
      'must be one of provision, deprovision',
    ],
    [
      'a job with a bad timestamp',
      { provisioningJobs: [{ ...job(), timestamp: '12:00' }] },
      'provisioningJobs[0].timestamp',
      MESSAGES.rfc3339,
    ],
    [
      'a job without blockDeletionOnFailure',
      { provisioningJobs: [{ ...job(), blockDeletionOnFailure: undefined }] },
      'provisioningJobs[0].blockDeletionOnFailure',
      MESSAGES.required,
    ],
    [
      'a condition with an odd status',
      { conditions: [{ ...fullStatus.conditions![0], status: 'Yes' }] },
      'conditions[0].status',
      'must be one of True, False, Unknown',
    ],
    [
      'a condition without type',
      { conditions: [{ ...fullStatus.conditions![0], type: '' }] },
      'conditions[0].type',
      MESSAGES.nonEmptyString,
    ],
    [
      'a negative observedGeneration',
      {
        conditions: [{ ...fullStatus.conditions![0], observedGeneration: -1 }],
      },
      'conditions[0].observedGeneration',
      MESSAGES.nonNegativeInteger,
    ],
    [
      'a bad lastRestartedAt',
      { lastRestartedAt: 'now' },
      'lastRestartedAt',
      MESSAGES.rfc3339,
    ],
  ])('refuses %s', (_case, status, field, message) => {
    expect(fieldsOf(status)).toContainEqual(
      expect.objectContaining({ field, message }),
    );
  });

  it('keeps status fields it does not know (another writer, a newer CRD), as they are', () => {
    const status = {
      ...fullStatus,
      progress: 50,
      futureField: { nested: ['a'] },
    };
    const parsed = computeInstanceStatusSchema.safeParse(status);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual(status);
  });

  it('still checks the fields it knows next to unknown ones', () => {
    expect(fieldsOf({ progress: 50, phase: 'Exploding' })).toContainEqual(
      expect.objectContaining({ field: 'phase' }),
    );
  });

  it('accepts OSAC status fields other writers set', () => {
    expect(
      computeInstanceStatusSchema.safeParse({
        externalIPAddress: '203.0.113.7',
        virtualMachineReference: {
          namespace: 'vms',
          kubeVirtVirtualMachineName: 'vm-1',
        },
        tenantReference: { name: 'tenant-a', namespace: 'tenants' },
      }).success,
    ).toBe(true);
  });

  it('accepts condition types other controllers add', () => {
    expect(
      computeInstanceStatusSchema.safeParse({
        conditions: [
          {
            ...fullStatus.conditions![0],
            type: 'Backup',
            observedGeneration: 3,
          },
        ],
      }).success,
    ).toBe(true);
  });
});
