import { TEMPLATES } from '../__testUtils__/fixtures';
import {
  buildCreateRequest,
  editableFields,
  initialFormValues,
  validateRequest,
} from './requestForm';

const [small, db] = TEMPLATES;

describe('request form', () => {
  it("starts from the template's defaults", () => {
    const values = initialFormValues(small);
    expect(values).toMatchObject({
      templateID: 'small',
      cores: '2',
      memoryGiB: '4',
      bootDiskGiB: '20',
      imageSourceRef: 'quay.io/containerdisks/fedora:latest',
      runStrategy: 'Always',
    });
    expect(initialFormValues(db).parameters).toEqual({
      engine: '',
      replicas: '1',
      backups: true,
    });
  });

  it('sends only what differs from the defaults', () => {
    const values = {
      ...initialFormValues(small),
      name: 'web-1',
      memoryGiB: '8',
      runStrategy: 'Halted' as const,
    };
    expect(buildCreateRequest(values, small)).toEqual({
      metadata: { name: 'web-1' },
      spec: { templateID: 'small', memoryGiB: 8, runStrategy: 'Halted' },
    });
  });

  it('accepts a valid request and returns the parsed body', () => {
    const result = validateRequest(
      { ...initialFormValues(small), name: 'web-1' },
      small,
    );
    expect(result).toMatchObject({
      valid: true,
      request: { metadata: { name: 'web-1' } },
    });
  });

  it('reports each problem under its field, in the shared wording', () => {
    const result = validateRequest(
      {
        ...initialFormValues(small),
        name: 'Bad Name',
        cores: 'four',
        bootDiskGiB: '-1',
      },
      small,
    );
    expect(result.valid).toBe(false);
    expect(result.errors.fields.name).toMatch(
      /^Name must be an RFC 1123 label/,
    );
    expect(result.errors.fields.cores).toBe(
      'CPU cores must be an integer between 1 and 128',
    );
    expect(result.errors.fields.bootDiskGiB).toBe(
      'Boot disk (GiB) must be an integer between 1 and 65536',
    );
  });

  it('lets nothing be changed on a template that declares no editable fields', () => {
    const locked = { ...small, editableFields: undefined };
    expect([...editableFields(locked)]).toEqual([]);
    const result = validateRequest(
      { ...initialFormValues(locked), name: 'web-1', cores: '8' },
      locked,
    );
    expect(result.errors.fields.cores).toBe(
      'CPU cores is fixed by template "small"',
    );
  });

  it('refuses a change to a field the template fixes', () => {
    const values = { ...initialFormValues(db), name: 'db-1', bootDiskGiB: '5' };
    values.parameters = { ...values.parameters, engine: 'pg' };
    const result = validateRequest(values, db);
    expect(result.errors.fields.bootDiskGiB).toBe(
      'Boot disk (GiB) is fixed by template "db"',
    );
  });

  it('puts parameter issues under the parameter', () => {
    const result = validateRequest(
      { ...initialFormValues(db), name: 'db-1' },
      db,
    );
    expect(result.errors.fields['parameter:engine']).toBe(
      'Database engine is required',
    );
  });
});

describe('network attachments in the request form', () => {
  const withNics = {
    ...small,
    defaults: {
      ...small.defaults,
      networkAttachments: [
        { subnetRef: 'subnet-a', securityGroupRefs: ['sg-web'] },
      ],
    },
    editableFields: [
      ...(small.editableFields ?? []),
      'networkAttachments' as const,
    ],
  };

  it('shows the template default as text, one NIC per line', () => {
    expect(initialFormValues(withNics).networkAttachments).toBe(
      'subnet-a: sg-web',
    );
  });

  it('sends the NICs typed, when the template lets requesters change them', () => {
    const values = {
      ...initialFormValues(withNics),
      name: 'web-1',
      networkAttachments: 'subnet-b: sg-1, sg-2\nsubnet-c',
    };
    const result = validateRequest(values, withNics);
    expect(result.valid).toBe(true);
    expect(buildCreateRequest(values, withNics)).toMatchObject({
      spec: {
        networkAttachments: [
          { subnetRef: 'subnet-b', securityGroupRefs: ['sg-1', 'sg-2'] },
          { subnetRef: 'subnet-c' },
        ],
      },
    });
  });

  it('names the field when a subnet repeats, or when the template keeps them fixed', () => {
    const twice = {
      ...initialFormValues(withNics),
      name: 'web-1',
      networkAttachments: 'subnet-b\nsubnet-b',
    };
    const refused = validateRequest(twice, withNics);
    expect(refused.valid).toBe(false);
    expect(refused.errors.fields.networkAttachments).toMatch(
      /^Network attachments .*subnet/,
    );
    const fixed = { ...withNics, editableFields: ['cores' as const] };
    const locked = validateRequest(
      { ...initialFormValues(fixed), name: 'web-1', networkAttachments: 'x' },
      fixed,
    );
    expect(locked.errors.fields.networkAttachments).toMatch(
      /is fixed by template/,
    );
    expect(editableFields(fixed).has('networkAttachments')).toBe(false);
  });
});
