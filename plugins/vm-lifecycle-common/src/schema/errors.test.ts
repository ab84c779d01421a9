import { z } from 'zod';
import { describeZodIssues, formatPath, formatValidationError } from './errors';

describe('formatPath', () => {
  it.each([
    [[], ''],
    [['spec', 'cores'], 'spec.cores'],
    [
      ['spec', 'additionalDisks', 0, 'sizeGiB'],
      'spec.additionalDisks[0].sizeGiB',
    ],
    [
      ['metadata', 'annotations', 'example.com/owner'],
      'metadata.annotations["example.com/owner"]',
    ],
    [[2, 'id'], '[2].id'],
  ])('%p -> %p', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe('describeZodIssues', () => {
  const error = new z.ZodError([
    {
      code: 'unrecognized_keys',
      keys: ['foo', 'bar'],
      path: ['spec'],
      message: 'x',
    },
    {
      code: 'invalid_type',
      expected: 'number',
      path: ['spec', 'cores'],
      message: 'is required',
    },
    {
      code: 'custom',
      path: ['spec', 'cores'],
      message: 'must be an integer between 1 and 128',
    },
    {
      code: 'custom',
      path: ['spec', 'cores'],
      message: 'must be an integer between 1 and 128',
    },
  ]);

  it('splits unknown keys into one field each and drops duplicates', () => {
    expect(describeZodIssues(error)).toEqual([
      { field: 'spec.foo', message: 'unknown field', path: ['spec', 'foo'] },
      { field: 'spec.bar', message: 'unknown field', path: ['spec', 'bar'] },
      { field: 'spec.cores', message: 'is required', path: ['spec', 'cores'] },
      {
        field: 'spec.cores',
        message: 'must be an integer between 1 and 128',
        path: ['spec', 'cores'],
      },
    ]);
  });

  it('formats one line, calling the root "body"', () => {
    const root = new z.ZodError([
      { code: 'custom', path: [], message: 'must be an object' },
      {
        code: 'custom',
        path: ['spec', 'templateParameters'],
        message: 'must be a string holding a JSON object',
      },
    ]);
    expect(formatValidationError(root)).toBe(
      'body: must be an object; spec.templateParameters: must be a string holding a JSON object',
    );
  });
});
