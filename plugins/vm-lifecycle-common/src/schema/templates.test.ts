import { z } from 'zod';
import {
  applyTemplateDefaults,
  DEFAULT_EDITABLE_FIELDS,
  editableFieldsOf,
  lockedFieldChanges,
  TEMPLATE_FIELD_PATHS,
  safeApplyTemplateDefaults,
  VmTemplate,
  vmTemplateSchema,
  vmTemplatesSchema,
} from './templates';
import { createInstanceRequestSchema } from './requests';
import { computeInstanceSpecSchema } from './spec';
import { describeZodIssues } from './errors';
import { MESSAGES } from './messages';
import { fedoraSmall } from './__testUtils__/fixtures';

/** fedoraSmall with every field open to requesters. */
const openFedora: VmTemplate = {
  ...fedoraSmall,
  editableFields: [...TEMPLATE_FIELD_PATHS],
};

function fieldsOf(result: { success: boolean; error?: z.ZodError }) {
  return result.success ? [] : describeZodIssues(result.error!);
}

describe('vmTemplateSchema', () => {
  it('accepts a template from config', () => {
    expect(vmTemplateSchema.parse(fedoraSmall)).toEqual(fedoraSmall);
  });

  it('accepts parameters and editable fields', () => {
    const template = {
      ...fedoraSmall,
      editableFields: ['cores', 'runStrategy'],
      parameters: [
        {
          name: 'env',
          title: 'Environment',
          type: 'string',
          default: 'dev',
          required: true,
        },
        { name: 'replicas', title: 'Replicas', type: 'number' },
      ],
    };
    expect(vmTemplateSchema.parse(template)).toEqual(template);
  });

  it.each([
    [
      'an invalid id',
      { ...fedoraSmall, id: 'fedora-small' },
      'id',
      MESSAGES.templateId,
    ],
    [
      'a missing title',
      { ...fedoraSmall, title: undefined },
      'title',
      MESSAGES.required,
    ],
    [
      'defaults without cores',
      {
        ...fedoraSmall,
        defaults: { ...fedoraSmall.defaults, cores: undefined },
      },
      'defaults.cores',
      MESSAGES.required,
    ],
    [
      'defaults without image',
      {
        ...fedoraSmall,
        defaults: { ...fedoraSmall.defaults, image: undefined },
      },
      'defaults.image',
      MESSAGES.required,
    ],
    [
      'defaults with a templateID',
      {
        ...fedoraSmall,
        defaults: { ...fedoraSmall.defaults, templateID: 'x' },
      },
      'defaults.templateID',
      MESSAGES.unknownField,
    ],
    [
      'defaults with cores 200',
      { ...fedoraSmall, defaults: { ...fedoraSmall.defaults, cores: 200 } },
      'defaults.cores',
      MESSAGES.cores,
    ],
    [
      'an unknown editable field',
      { ...fedoraSmall, editableFields: ['cpu'] },
      'editableFields[0]',
      expect.stringMatching(/^must be one of templateParameters, /),
    ],
    [
      'an unknown template field',
      { ...fedoraSmall, owner: 'team-a' },
      'owner',
      MESSAGES.unknownField,
    ],
    [
      'a parameter of unknown type',
      { ...fedoraSmall, parameters: [{ name: 'a', title: 'A', type: 'date' }] },
      'parameters[0].type',
      'must be one of string, number, boolean',
    ],
    [
      'a parameter default of the wrong type',
      {
        ...fedoraSmall,
        parameters: [{ name: 'a', title: 'A', type: 'number', default: '3' }],
      },
      'parameters[0].default',
      "must be a number (the parameter's type)",
    ],
    [
      'a parameter that is also fixed in defaults.templateParameters',
      {
        ...fedoraSmall,
        defaults: { ...fedoraSmall.defaults, templateParameters: '{"a":"x"}' },
        parameters: [{ name: 'a', title: 'A', type: 'string' }],
      },
      'parameters[0].name',
      '"a" is fixed in defaults.templateParameters; a parameter is either fixed or requestable',
    ],
    [
      'defaults.templateParameters nested too deep',
      {
        ...fedoraSmall,
        defaults: {
          ...fedoraSmall.defaults,
          templateParameters: `${'{"a":'.repeat(11)}1${'}'.repeat(11)}`,
        },
      },
      'defaults.templateParameters',
      MESSAGES.templateParametersDepth,
    ],
    [
      'a duplicated parameter',
      {
        ...fedoraSmall,
        parameters: [
          { name: 'a', title: 'A', type: 'string' },
          { name: 'a', title: 'B', type: 'string' },
        ],
      },
      'parameters[1].name',
      'duplicates parameter "a"',
    ],
  ])('refuses %s', (_case, template, field, message) => {
    expect(fieldsOf(vmTemplateSchema.safeParse(template))).toContainEqual(
      expect.objectContaining({ field, message }),
    );
  });

  it('refuses two templates with the same id', () => {
    expect(
      fieldsOf(vmTemplatesSchema.safeParse([fedoraSmall, fedoraSmall])),
    ).toEqual([
      expect.objectContaining({
        field: '[1].id',
        message: 'duplicates template id "fedora_small"',
      }),
    ]);
  });
});

describe('applyTemplateDefaults', () => {
  it('turns a request naming only the template into a full, valid spec', () => {
    const request = createInstanceRequestSchema.parse({
      metadata: { name: 'web-1' },
      spec: { templateID: 'fedora_small' },
    });
    const spec = applyTemplateDefaults(fedoraSmall, request.spec);
    expect(spec).toEqual({
      templateID: 'fedora_small',
      image: {
        sourceType: 'registry',
        sourceRef: 'quay.io/containerdisks/fedora:latest',
      },
      guestOSFamily: 'linux',
      cores: 2,
      memoryGiB: 4,
      bootDisk: { sizeGiB: 20 },
      runStrategy: 'Always',
    });
    expect(computeInstanceSpecSchema.safeParse(spec).success).toBe(true);
    expect(Object.keys(spec)).not.toContain('templateParameters');
  });

  it('lets the request override the fields the template opens and deep-merges image and bootDisk', () => {
    const spec = applyTemplateDefaults(openFedora, {
      templateID: 'fedora_small',
      cores: 8,
      runStrategy: 'Halted',
      image: { sourceRef: 'quay.io/containerdisks/fedora:40' },
      bootDisk: { sizeGiB: 50 },
      additionalDisks: [{ sizeGiB: 100 }],
      sshKey: 'ssh-ed25519 AAAA',
    });
    expect(spec).toMatchObject({
      cores: 8,
      memoryGiB: 4,
      runStrategy: 'Halted',
      image: {
        sourceType: 'registry',
        sourceRef: 'quay.io/containerdisks/fedora:40',
      },
      bootDisk: { sizeGiB: 50 },
      additionalDisks: [{ sizeGiB: 100 }],
      sshKey: 'ssh-ed25519 AAAA',
    });
  });

  it('refuses a request for another template', () => {
    const result = safeApplyTemplateDefaults(fedoraSmall, {
      templateID: 'rhel_large',
    });
    expect(fieldsOf(result)).toEqual([
      expect.objectContaining({
        field: 'spec.templateID',
        message:
          'must be the id of the template being applied ("fedora_small")',
      }),
    ]);
    expect(() =>
      applyTemplateDefaults(fedoraSmall, { templateID: 'rhel_large' }),
    ).toThrow(z.ZodError);
  });

  it('revalidates the merged spec, naming request-rooted fields', () => {
    // Bypasses createInstanceRequestSchema on purpose: the merge is the last line of defence.
    const result = safeApplyTemplateDefaults(openFedora, {
      templateID: 'fedora_small',
      cores: 0,
    });
    expect(fieldsOf(result)).toEqual([
      expect.objectContaining({ field: 'spec.cores', message: MESSAGES.cores }),
    ]);
  });

  describe('template parameters', () => {
    const withParameters: VmTemplate = {
      ...fedoraSmall,
      editableFields: ['templateParameters'],
      defaults: {
        ...fedoraSmall.defaults,
        templateParameters: '{"site":"east"}',
      },
      parameters: [
        { name: 'env', title: 'Environment', type: 'string', default: 'dev' },
        { name: 'replicas', title: 'Replicas', type: 'number', required: true },
        { name: 'debug', title: 'Debug', type: 'boolean' },
      ],
    };

    it('merges fixed parameters, declared defaults and the request', () => {
      const spec = applyTemplateDefaults(withParameters, {
        templateID: 'fedora_small',
        templateParameters: '{"replicas":3,"debug":true}',
      });
      expect(JSON.parse(spec.templateParameters!)).toEqual({
        site: 'east',
        env: 'dev',
        replicas: 3,
        debug: true,
      });
    });

    it('refuses a missing required parameter, a wrong type and an undeclared one', () => {
      const result = safeApplyTemplateDefaults(withParameters, {
        templateID: 'fedora_small',
        templateParameters: '{"debug":"yes","colour":"red"}',
      });
      expect(fieldsOf(result).map(i => `${i.field}: ${i.message}`)).toEqual([
        'spec.templateParameters: has unknown parameter "colour" (template "fedora_small" declares: env, replicas, debug)',
        'spec.templateParameters: parameter "replicas" is required',
        'spec.templateParameters: parameter "debug" must be a boolean',
      ]);
    });

    it('refuses every key when the template declares no parameter', () => {
      const result = safeApplyTemplateDefaults(openFedora, {
        templateID: 'fedora_small',
        templateParameters: '{"anything":[1,2]}',
      });
      expect(fieldsOf(result).map(i => `${i.field}: ${i.message}`)).toEqual([
        'spec.templateParameters: has unknown parameter "anything" (template "fedora_small" declares: none)',
      ]);
    });

    it('never lets the request override a fixed parameter, but lets it repeat one', () => {
      const changed = safeApplyTemplateDefaults(withParameters, {
        templateID: 'fedora_small',
        templateParameters: '{"site":"west","replicas":1}',
      });
      expect(fieldsOf(changed).map(i => `${i.field}: ${i.message}`)).toEqual([
        'spec.templateParameters: parameter "site" is fixed by template "fedora_small"',
      ]);
      const repeated = applyTemplateDefaults(withParameters, {
        templateID: 'fedora_small',
        templateParameters: '{"site":"east","replicas":1}',
      });
      expect(JSON.parse(repeated.templateParameters!)).toMatchObject({
        site: 'east',
        replicas: 1,
      });
    });
  });
});

describe('locked fields', () => {
  it('by default nothing is editable', () => {
    expect(DEFAULT_EDITABLE_FIELDS).toEqual([]);
    expect([...editableFieldsOf(fedoraSmall)]).toEqual([]);
    expect(
      lockedFieldChanges(fedoraSmall, {
        templateID: 'fedora_small',
        cores: 16,
        image: { sourceRef: 'quay.io/evil/miner:latest' },
        userDataSecretRef: { name: 'someone-elses-secret' },
      }),
    ).toEqual(['spec.image.sourceRef', 'spec.cores', 'spec.userDataSecretRef']);
  });

  it('repeating a default is not a change', () => {
    expect(
      lockedFieldChanges(fedoraSmall, {
        templateID: 'fedora_small',
        image: { sourceType: 'registry' },
        cores: 2,
      }),
    ).toEqual([]);
  });

  it('names every locked field the request changes', () => {
    const locked: VmTemplate = {
      ...fedoraSmall,
      defaults: {
        ...fedoraSmall.defaults,
        templateParameters: '{"a":1,"b":2}',
      },
      editableFields: ['runStrategy', 'sshKey'],
    };
    const request = {
      templateID: 'fedora_small',
      cores: 16,
      memoryGiB: 4,
      image: { sourceRef: 'quay.io/other:1' },
      templateParameters: '{ "b": 2, "a": 1 }',
      runStrategy: 'Halted' as const,
    };
    expect(lockedFieldChanges(locked, request)).toEqual([
      'spec.image.sourceRef',
      'spec.cores',
    ]);
    expect(fieldsOf(safeApplyTemplateDefaults(locked, request))).toEqual([
      expect.objectContaining({
        field: 'spec.image.sourceRef',
        message: 'is fixed by template "fedora_small"',
      }),
      expect.objectContaining({
        field: 'spec.cores',
        message: 'is fixed by template "fedora_small"',
      }),
    ]);
  });

  it('treats a field the template leaves unset as changed when the request sets it', () => {
    const locked: VmTemplate = { ...fedoraSmall, editableFields: [] };
    expect(
      lockedFieldChanges(locked, {
        templateID: 'fedora_small',
        additionalDisks: [{ sizeGiB: 1 }],
      }),
    ).toEqual(['spec.additionalDisks']);
  });
});
