import {
  createInstanceRequestSchema,
  immutableFieldsInPatch,
  immutableFieldsMessage,
  patchInstanceRequestSchema,
  restartRequestSchema,
} from './requests';
import { describeZodIssues, formatValidationError } from './errors';
import { SPEC_LIMITS } from './limits';
import { atMostCharacters, MESSAGES } from './messages';
import { validSpec } from './__testUtils__/fixtures';

const minimal = {
  metadata: { name: 'web-1' },
  spec: { templateID: 'fedora_small' },
};

function withSpec(spec: Record<string, unknown>) {
  return {
    metadata: { name: 'web-1' },
    spec: { templateID: 'fedora_small', ...spec },
  };
}

function withName(name: unknown) {
  return { metadata: { name }, spec: { templateID: 'fedora_small' } };
}

function issuesOf(body: unknown) {
  const result = createInstanceRequestSchema.safeParse(body);
  if (result.success)
    throw new Error(`expected ${JSON.stringify(body)} to be refused`);
  return describeZodIssues(result.error);
}

describe('createInstanceRequestSchema', () => {
  it('accepts a request naming only the template', () => {
    expect(createInstanceRequestSchema.parse(minimal)).toEqual(minimal);
  });

  it('accepts a full request with namespace, annotations and every spec field', () => {
    const { restartRequestedAt: _omitted, ...spec } = validSpec();
    const body = {
      metadata: {
        name: 'db-0',
        namespace: 'team-a',
        annotations: { 'osac.openshift.io/owner': 'group:default/team-a' },
      },
      spec,
    };
    expect(createInstanceRequestSchema.parse(body)).toEqual(body);
  });

  it('accepts partial image and bootDisk, to be merged with the template defaults', () => {
    const body = withSpec({
      image: { sourceRef: 'quay.io/x/y:1' },
      bootDisk: {},
    });
    expect(createInstanceRequestSchema.safeParse(body).success).toBe(true);
  });

  it.each([
    // metadata.name
    [
      'uppercase name',
      withName('Web-1'),
      'metadata.name',
      MESSAGES.rfc1123Label,
    ],
    [
      '64-character name',
      withName('a'.repeat(64)),
      'metadata.name',
      MESSAGES.rfc1123Label,
    ],
    [
      'name with leading dash',
      withName('-web'),
      'metadata.name',
      MESSAGES.rfc1123Label,
    ],
    [
      'name with trailing dash',
      withName('web-'),
      'metadata.name',
      MESSAGES.rfc1123Label,
    ],
    [
      'name with underscore',
      withName('web_1'),
      'metadata.name',
      MESSAGES.rfc1123Label,
    ],
    ['empty name', withName(''), 'metadata.name', MESSAGES.rfc1123Label],
    ['numeric name', withName(1), 'metadata.name', MESSAGES.rfc1123Label],
    [
      'missing name',
      { metadata: {}, spec: { templateID: 'fedora_small' } },
      'metadata.name',
      MESSAGES.required,
    ],
    // metadata
    [
      'missing metadata',
      { spec: { templateID: 'fedora_small' } },
      'metadata',
      MESSAGES.required,
    ],
    [
      'metadata not an object',
      { metadata: 'web-1', spec: { templateID: 'fedora_small' } },
      'metadata',
      MESSAGES.object,
    ],
    [
      'bad namespace',
      {
        metadata: { name: 'web-1', namespace: 'Team_A' },
        spec: { templateID: 'fedora_small' },
      },
      'metadata.namespace',
      MESSAGES.rfc1123Label,
    ],
    [
      'labels in metadata',
      {
        metadata: { name: 'web-1', labels: { a: 'b' } },
        spec: { templateID: 'fedora_small' },
      },
      'metadata.labels',
      MESSAGES.unknownField,
    ],
    [
      'uid in metadata',
      {
        metadata: { name: 'web-1', uid: 'x' },
        spec: { templateID: 'fedora_small' },
      },
      'metadata.uid',
      MESSAGES.unknownField,
    ],
    [
      'finalizers in metadata',
      {
        metadata: { name: 'web-1', finalizers: [] },
        spec: { templateID: 'fedora_small' },
      },
      'metadata.finalizers',
      MESSAGES.unknownField,
    ],
    [
      'non-string annotation',
      {
        metadata: { name: 'web-1', annotations: { a: 1 } },
        spec: { templateID: 'fedora_small' },
      },
      'metadata.annotations.a',
      MESSAGES.string,
    ],
    [
      'annotations as array',
      {
        metadata: { name: 'web-1', annotations: ['a'] },
        spec: { templateID: 'fedora_small' },
      },
      'metadata.annotations',
      MESSAGES.object,
    ],
    [
      'bad annotation key',
      {
        metadata: { name: 'web-1', annotations: { '-x': 'v' } },
        spec: { templateID: 'fedora_small' },
      },
      'metadata.annotations["-x"]',
      MESSAGES.annotationKey,
    ],
    // top level
    [
      'unknown top-level field',
      { ...minimal, status: {} },
      'status',
      MESSAGES.unknownField,
    ],
    [
      'apiVersion at top level',
      { ...minimal, apiVersion: 'v1' },
      'apiVersion',
      MESSAGES.unknownField,
    ],
    ['body not an object', 'web-1', '', MESSAGES.object],
    ['body an array', [minimal], '', MESSAGES.object],
    // spec
    [
      'missing spec',
      { metadata: { name: 'web-1' } },
      'spec',
      MESSAGES.required,
    ],
    [
      'missing templateID',
      { metadata: { name: 'web-1' }, spec: {} },
      'spec.templateID',
      MESSAGES.required,
    ],
    [
      'templateID starting with a digit',
      withSpec({ templateID: '1fedora' }),
      'spec.templateID',
      MESSAGES.templateId,
    ],
    [
      'templateID with a dash',
      withSpec({ templateID: 'fedora-small' }),
      'spec.templateID',
      MESSAGES.templateId,
    ],
    [
      'unknown spec field',
      withSpec({ foo: 1 }),
      'spec.foo',
      MESSAGES.unknownField,
    ],
    ['cores 0', withSpec({ cores: 0 }), 'spec.cores', MESSAGES.cores],
    ['cores 129', withSpec({ cores: 129 }), 'spec.cores', MESSAGES.cores],
    ['cores 2.5', withSpec({ cores: 2.5 }), 'spec.cores', MESSAGES.cores],
    ['cores "2"', withSpec({ cores: '2' }), 'spec.cores', MESSAGES.cores],
    ['cores null', withSpec({ cores: null }), 'spec.cores', MESSAGES.cores],
    [
      'memoryGiB 1e308',
      withSpec({ memoryGiB: 1e308 }),
      'spec.memoryGiB',
      MESSAGES.memoryGiB,
    ],
    [
      'memoryGiB above the maximum',
      withSpec({ memoryGiB: SPEC_LIMITS.memoryGiB + 1 }),
      'spec.memoryGiB',
      MESSAGES.memoryGiB,
    ],
    [
      'bootDisk.sizeGiB above the maximum',
      withSpec({ bootDisk: { sizeGiB: SPEC_LIMITS.diskSizeGiB + 1 } }),
      'spec.bootDisk.sizeGiB',
      MESSAGES.diskSizeGiB,
    ],
    [
      'too many additional disks',
      withSpec({
        additionalDisks: Array.from(
          { length: SPEC_LIMITS.additionalDisks + 1 },
          () => ({ sizeGiB: 1 }),
        ),
      }),
      'spec.additionalDisks',
      MESSAGES.additionalDisks,
    ],
    [
      'templateParameters too long',
      withSpec({
        templateParameters: JSON.stringify({
          a: 'x'.repeat(SPEC_LIMITS.templateParameters),
        }),
      }),
      'spec.templateParameters',
      MESSAGES.templateParametersLength,
    ],
    [
      'templateParameters nested too deep',
      withSpec({
        templateParameters: `${'{"a":'.repeat(SPEC_LIMITS.templateParametersDepth + 1)}1${'}'.repeat(SPEC_LIMITS.templateParametersDepth + 1)}`,
      }),
      'spec.templateParameters',
      MESSAGES.templateParametersDepth,
    ],
    [
      'templateParameters nested 5,000 levels deep',
      withSpec({
        templateParameters: `${'['.repeat(5000)}${']'.repeat(5000)}`,
      }),
      'spec.templateParameters',
      MESSAGES.templateParametersDepth,
    ],
    [
      'sshKey too long',
      withSpec({ sshKey: 'k'.repeat(SPEC_LIMITS.sshKey + 1) }),
      'spec.sshKey',
      atMostCharacters(SPEC_LIMITS.sshKey),
    ],
    [
      'memoryGiB 0',
      withSpec({ memoryGiB: 0 }),
      'spec.memoryGiB',
      MESSAGES.memoryGiB,
    ],
    [
      'memoryGiB 1.5',
      withSpec({ memoryGiB: 1.5 }),
      'spec.memoryGiB',
      MESSAGES.memoryGiB,
    ],
    [
      'memoryGiB -4',
      withSpec({ memoryGiB: -4 }),
      'spec.memoryGiB',
      MESSAGES.memoryGiB,
    ],
    [
      'bootDisk.sizeGiB 0',
      withSpec({ bootDisk: { sizeGiB: 0 } }),
      'spec.bootDisk.sizeGiB',
      MESSAGES.diskSizeGiB,
    ],
    [
      'bootDisk.sizeGiB "20"',
      withSpec({ bootDisk: { sizeGiB: '20' } }),
      'spec.bootDisk.sizeGiB',
      MESSAGES.diskSizeGiB,
    ],
    [
      'bootDisk not an object',
      withSpec({ bootDisk: 20 }),
      'spec.bootDisk',
      MESSAGES.object,
    ],
    [
      'unknown bootDisk field',
      withSpec({ bootDisk: { sizeGiB: 20, storageClass: 'fast' } }),
      'spec.bootDisk.storageClass',
      MESSAGES.unknownField,
    ],
    [
      'additional disk of 0 GiB',
      withSpec({ additionalDisks: [{ sizeGiB: 10 }, { sizeGiB: 0 }] }),
      'spec.additionalDisks[1].sizeGiB',
      MESSAGES.diskSizeGiB,
    ],
    [
      'additional disk without size',
      withSpec({ additionalDisks: [{}] }),
      'spec.additionalDisks[0].sizeGiB',
      MESSAGES.required,
    ],
    [
      'unknown additional disk field',
      withSpec({ additionalDisks: [{ sizeGiB: 1, bus: 'virtio' }] }),
      'spec.additionalDisks[0].bus',
      MESSAGES.unknownField,
    ],
    [
      'additionalDisks not an array',
      withSpec({ additionalDisks: { sizeGiB: 1 } }),
      'spec.additionalDisks',
      MESSAGES.array,
    ],
    [
      'image sourceType other than registry',
      withSpec({ image: { sourceType: 'http' } }),
      'spec.image.sourceType',
      MESSAGES.sourceType,
    ],
    [
      'empty image sourceRef',
      withSpec({ image: { sourceRef: '' } }),
      'spec.image.sourceRef',
      MESSAGES.sourceRef,
    ],
    [
      'numeric image sourceRef',
      withSpec({ image: { sourceRef: 5 } }),
      'spec.image.sourceRef',
      MESSAGES.sourceRef,
    ],
    [
      'unknown image field',
      withSpec({ image: { sourceRef: 'a', pullSecret: 'x' } }),
      'spec.image.pullSecret',
      MESSAGES.unknownField,
    ],
    [
      'image as a string',
      withSpec({ image: 'quay.io/x' }),
      'spec.image',
      MESSAGES.object,
    ],
    [
      'runStrategy lowercase',
      withSpec({ runStrategy: 'always' }),
      'spec.runStrategy',
      'must be one of Always, Halted',
    ],
    [
      'runStrategy RerunOnFailure',
      withSpec({ runStrategy: 'RerunOnFailure' }),
      'spec.runStrategy',
      'must be one of Always, Halted',
    ],
    [
      'templateParameters "[1]"',
      withSpec({ templateParameters: '[1]' }),
      'spec.templateParameters',
      MESSAGES.templateParameters,
    ],
    [
      'templateParameters "not json"',
      withSpec({ templateParameters: 'not json' }),
      'spec.templateParameters',
      MESSAGES.templateParameters,
    ],
    [
      'templateParameters "42"',
      withSpec({ templateParameters: '42' }),
      'spec.templateParameters',
      MESSAGES.templateParameters,
    ],
    [
      'templateParameters as an object',
      withSpec({ templateParameters: { a: 1 } }),
      'spec.templateParameters',
      MESSAGES.templateParameters,
    ],
    [
      'guestOSFamily a number',
      withSpec({ guestOSFamily: 1 }),
      'spec.guestOSFamily',
      MESSAGES.string,
    ],
    [
      'sshKey an array',
      withSpec({ sshKey: ['ssh-ed25519 AAAA'] }),
      'spec.sshKey',
      MESSAGES.string,
    ],
    [
      'userDataSecretRef without name',
      withSpec({ userDataSecretRef: {} }),
      'spec.userDataSecretRef.name',
      MESSAGES.required,
    ],
    [
      'userDataSecretRef with empty name',
      withSpec({ userDataSecretRef: { name: '' } }),
      'spec.userDataSecretRef.name',
      MESSAGES.nonEmptyString,
    ],
    [
      'unknown userDataSecretRef field',
      withSpec({ userDataSecretRef: { name: 'a', namespace: 'b' } }),
      'spec.userDataSecretRef.namespace',
      MESSAGES.unknownField,
    ],
    [
      'restartRequestedAt on create',
      withSpec({ restartRequestedAt: '2024-05-01T12:00:00Z' }),
      'spec.restartRequestedAt',
      MESSAGES.restartOnCreate,
    ],
  ])('refuses %s, naming the field', (_case, body, field, message) => {
    expect(issuesOf(body)).toContainEqual(
      expect.objectContaining({ field, message }),
    );
  });

  it('reports every problem at once, each with its own field', () => {
    const issues = issuesOf({
      metadata: { name: 'Bad', labels: {} },
      spec: { templateID: 'x', cores: 0, foo: 1, bar: 2 },
    });
    expect(issues.map(i => i.field).sort()).toEqual(
      [
        'metadata.labels',
        'metadata.name',
        'spec.bar',
        'spec.cores',
        'spec.foo',
      ].sort(),
    );
  });

  it('never leaks zod default messages to the user', () => {
    const bodies = [
      null,
      42,
      { metadata: null, spec: null },
      withSpec({
        image: null,
        bootDisk: [],
        additionalDisks: [null],
        runStrategy: 3,
        userDataSecretRef: 'x',
      }),
      withSpec({ templateID: 3, cores: Infinity, memoryGiB: NaN }),
    ];
    for (const body of bodies) {
      for (const { message } of issuesOf(body)) {
        expect(message).not.toMatch(
          /^(Expected|Required|Invalid|Unrecognized)/,
        );
      }
    }
  });

  it('formats a one-line message for an InputError', () => {
    const result = createInstanceRequestSchema.safeParse(
      withSpec({ cores: 129, foo: true }),
    );
    expect(result.success).toBe(false);
    expect(formatValidationError(result.error!)).toBe(
      'spec.cores: must be an integer between 1 and 128; spec.foo: unknown field',
    );
  });
});

describe('patchInstanceRequestSchema', () => {
  it.each(['Always', 'Halted'])('accepts runStrategy %s', runStrategy => {
    expect(patchInstanceRequestSchema.parse({ spec: { runStrategy } })).toEqual(
      {
        spec: { runStrategy },
      },
    );
  });

  it.each([
    [
      'an invalid run strategy',
      { spec: { runStrategy: 'Stopped' } },
      'spec.runStrategy',
      'must be one of Always, Halted',
    ],
    [
      'a missing run strategy',
      { spec: {} },
      'spec.runStrategy',
      MESSAGES.required,
    ],
    ['a missing spec', {}, 'spec', MESSAGES.required],
    [
      'an unknown spec field',
      { spec: { runStrategy: 'Always', foo: 1 } },
      'spec.foo',
      MESSAGES.unknownField,
    ],
    [
      'an unknown top-level field',
      { spec: { runStrategy: 'Always' }, status: {} },
      'status',
      MESSAGES.unknownField,
    ],
    ['spec as a string', { spec: 'Halted' }, 'spec', MESSAGES.object],
    [
      'a null run strategy',
      { spec: { runStrategy: null } },
      'spec.runStrategy',
      'must be one of Always, Halted',
    ],
  ])('refuses %s, naming the field', (_case, body, field, message) => {
    const result = patchInstanceRequestSchema.safeParse(body);
    expect(result.success).toBe(false);
    expect(describeZodIssues(result.error!)).toContainEqual(
      expect.objectContaining({ field, message }),
    );
  });
});

describe('immutableFieldsInPatch', () => {
  it('finds nothing in a patch of runStrategy', () => {
    expect(immutableFieldsInPatch({ spec: { runStrategy: 'Halted' } })).toEqual(
      [],
    );
  });

  it('names immutable spec fields', () => {
    expect(
      immutableFieldsInPatch({
        spec: { runStrategy: 'Halted', cores: 4, memoryGiB: 8 },
      }),
    ).toEqual(['spec.cores', 'spec.memoryGiB']);
  });

  it('names known sub-fields of object-valued fields', () => {
    expect(
      immutableFieldsInPatch({ spec: { image: { sourceRef: 'x' } } }),
    ).toEqual(['spec.image.sourceRef']);
    expect(
      immutableFieldsInPatch({ spec: { image: { sourceRef: 'x', odd: 1 } } }),
    ).toEqual(['spec.image']);
    expect(immutableFieldsInPatch({ spec: { additionalDisks: [] } })).toEqual([
      'spec.additionalDisks',
    ]);
  });

  it('counts restartRequestedAt and templateID as not patchable', () => {
    expect(
      immutableFieldsInPatch({
        spec: { restartRequestedAt: 'now', templateID: 'x' },
      }),
    ).toEqual(['spec.restartRequestedAt', 'spec.templateID']);
  });

  it('names every metadata field', () => {
    expect(
      immutableFieldsInPatch({ metadata: { labels: {}, name: 'x' } }),
    ).toEqual(['metadata.labels', 'metadata.name']);
  });

  it('leaves unknown fields to the schema (400, not 422)', () => {
    expect(immutableFieldsInPatch({ spec: { foo: 1 }, status: {} })).toEqual(
      [],
    );
  });

  it.each([undefined, null, 'x', [], { spec: 'x' }])(
    'tolerates the malformed body %p',
    body => {
      expect(immutableFieldsInPatch(body)).toEqual([]);
    },
  );

  it('words the 422 message with the field names', () => {
    expect(immutableFieldsMessage(['spec.cores'])).toMatch(
      /^Immutable field cannot be changed after creation: spec\.cores \(only spec\.runStrategy/,
    );
  });
});

describe('restartRequestSchema', () => {
  it.each([undefined, {}])('accepts %p', body => {
    expect(restartRequestSchema.safeParse(body).success).toBe(true);
  });

  it('refuses options', () => {
    const result = restartRequestSchema.safeParse({ force: true });
    expect(result.success).toBe(false);
    expect(describeZodIssues(result.error!)).toEqual([
      expect.objectContaining({
        field: 'force',
        message: MESSAGES.unknownField,
      }),
    ]);
  });

  it('refuses a non-object body', () => {
    const result = restartRequestSchema.safeParse('now');
    expect(result.success).toBe(false);
    expect(describeZodIssues(result.error!)[0].message).toBe(
      MESSAGES.emptyRestartBody,
    );
  });
});
