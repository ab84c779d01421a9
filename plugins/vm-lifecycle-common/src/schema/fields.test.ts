import { z } from 'zod';
import {
  instanceNameSchema,
  namespaceSchema,
  rfc3339TimestampSchema,
  templateIdSchema,
  templateParametersSchema,
  annotationsSchema,
} from './fields';
import { describeZodIssues } from './errors';
import { jsonNestingDepth } from './rules';
import { MESSAGES } from './messages';

function messagesOf(result: z.ZodSafeParseResult<unknown>): string[] {
  return result.success
    ? []
    : describeZodIssues(result.error).map(i => i.message);
}

describe('instanceNameSchema / namespaceSchema', () => {
  it.each(['a', 'web-1', '0abc', 'a'.repeat(63), 'a-b-c-9'])(
    'accepts %p',
    name => {
      expect(instanceNameSchema.safeParse(name).success).toBe(true);
      expect(namespaceSchema.safeParse(name).success).toBe(true);
    },
  );

  it.each([
    ['uppercase', 'Web-1'],
    ['too long', 'a'.repeat(64)],
    ['leading dash', '-web'],
    ['trailing dash', 'web-'],
    ['underscore', 'web_1'],
    ['dot', 'web.1'],
    ['empty', ''],
    ['space', 'web 1'],
  ])('refuses %s with one RFC 1123 message', (_case, name) => {
    expect(messagesOf(instanceNameSchema.safeParse(name))).toEqual([
      MESSAGES.rfc1123Label,
    ]);
  });

  it('says a missing name is required and a number is not a label', () => {
    expect(messagesOf(instanceNameSchema.safeParse(undefined))).toEqual([
      MESSAGES.required,
    ]);
    expect(messagesOf(instanceNameSchema.safeParse(7))).toEqual([
      MESSAGES.rfc1123Label,
    ]);
  });
});

describe('templateIdSchema', () => {
  it.each(['fedora_small', '_x', 'A.b_9', 'osac.templates.ocp_virt_vm'])(
    'accepts %p',
    id => {
      expect(templateIdSchema.safeParse(id).success).toBe(true);
    },
  );
  it.each(['', '9lives', '.hidden', 'has-dash', 'has space', 'a/b'])(
    'refuses %p',
    id => {
      expect(messagesOf(templateIdSchema.safeParse(id))).toEqual([
        MESSAGES.templateId,
      ]);
    },
  );
});

describe('rfc3339TimestampSchema', () => {
  it.each([
    '2024-05-01T12:00:00Z',
    '2024-05-01t12:00:00z',
    '2024-05-01T12:00:00.123456Z',
    '2024-05-01T12:00:00+02:00',
    '2024-02-29T23:59:59-05:30',
  ])('accepts %p', value => {
    expect(rfc3339TimestampSchema.safeParse(value).success).toBe(true);
  });
  it.each([
    '2024-05-01',
    '2024-05-01 12:00:00Z',
    '2024-05-01T12:00:00',
    '2023-02-29T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-05-01T24:00:00Z',
    '2024-05-01T12:60:00Z',
    '2024-05-01T12:00:00+24:00',
    'yesterday',
  ])('refuses %p', value => {
    expect(messagesOf(rfc3339TimestampSchema.safeParse(value))).toEqual([
      MESSAGES.rfc3339,
    ]);
  });
});

describe('templateParametersSchema', () => {
  it.each(['{}', '{"a":1,"b":{"c":[1]}}', ' { "x": "y" } '])(
    'accepts %p',
    value => {
      expect(templateParametersSchema.safeParse(value).success).toBe(true);
    },
  );
  it.each(['[1]', '1', '"text"', 'null', 'true', 'not json', '', '{"a":'])(
    'refuses %p',
    value => {
      expect(messagesOf(templateParametersSchema.safeParse(value))).toEqual([
        MESSAGES.templateParameters,
      ]);
    },
  );
  it('counts nesting without parsing, ignoring brackets inside strings', () => {
    expect(jsonNestingDepth('{"a":[1,{"b":2}]}')).toBe(3);
    expect(jsonNestingDepth('{"a":"[[[[{{{{","b":"\\"[[["}')).toBe(1);
    expect(jsonNestingDepth('not json')).toBe(0);
    const ten = `${'{"a":'.repeat(10)}1${'}'.repeat(10)}`;
    expect(templateParametersSchema.safeParse(ten).success).toBe(true);
    expect(messagesOf(templateParametersSchema.safeParse(`[${ten}]`))).toEqual([
      MESSAGES.templateParametersDepth,
    ]);
  });

  it('refuses an object that is not a string', () => {
    expect(messagesOf(templateParametersSchema.safeParse({ a: 1 }))).toEqual([
      MESSAGES.templateParameters,
    ]);
  });
});

describe('annotationsSchema', () => {
  it('accepts Kubernetes annotation keys', () => {
    expect(
      annotationsSchema.safeParse({
        'osac.openshift.io/owner': 'group:default/team-a',
        note: 'x',
        'example.com/Some_Key.v2': '',
      }).success,
    ).toBe(true);
  });
  it('names the offending key and value', () => {
    const result = annotationsSchema.safeParse({ 'Bad Key/x': 'v', ok: 3 });
    expect(result.success).toBe(false);
    expect(describeZodIssues(result.error!)).toEqual([
      expect.objectContaining({
        field: '["Bad Key/x"]',
        message: MESSAGES.annotationKey,
      }),
      expect.objectContaining({ field: 'ok', message: MESSAGES.string }),
    ]);
  });
});
