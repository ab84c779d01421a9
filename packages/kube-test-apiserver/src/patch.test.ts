import { ApiError } from './errors';
import { applyJsonPatch, applyMergePatch } from './patch';
import { parseFieldSelector, parseLabelSelector } from './selectors';

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, removes with null and replaces arrays and scalars', () => {
    const target = { a: { b: 1, c: 2 }, list: [1, 2], keep: 'x', drop: true };
    expect(
      applyMergePatch(target, { a: { c: null, d: 4 }, list: [3], drop: null }),
    ).toEqual({
      a: { b: 1, d: 4 },
      list: [3],
      keep: 'x',
    });
    expect(target.a).toEqual({ b: 1, c: 2 });
  });
});

describe('JSON patch (RFC 6902)', () => {
  const doc = { metadata: { labels: { a: 'b' }, 'x/y': 1 }, list: [1, 2, 3] };

  it('applies add, remove, replace, move, copy and test', () => {
    expect(
      applyJsonPatch(doc, [
        { op: 'test', path: '/metadata/labels/a', value: 'b' },
        { op: 'add', path: '/metadata/labels/c', value: 'd' },
        { op: 'remove', path: '/metadata/x~1y' },
        { op: 'replace', path: '/list/0', value: 9 },
        { op: 'add', path: '/list/-', value: 4 },
        { op: 'copy', from: '/list/0', path: '/first' },
        { op: 'move', from: '/metadata/labels/a', path: '/moved' },
      ]),
    ).toEqual({
      metadata: { labels: { c: 'd' } },
      list: [9, 2, 3, 4],
      first: 9,
      moved: 'b',
    });
    expect(doc.list).toEqual([1, 2, 3]);
  });

  it.each([
    [[{ op: 'test', path: '/metadata/labels/a', value: 'z' }], /testing value/],
    [[{ op: 'replace', path: '/nope', value: 1 }], /missing path/],
    [[{ op: 'remove', path: '/metadata/labels/zz' }], /missing path/],
    [[{ op: 'add', path: '/list/7', value: 1 }], /index out of range/],
    [{ op: 'add' }, /must be an array/],
  ])('refuses %j with 422', (ops, message) => {
    let error: unknown;
    try {
      applyJsonPatch(doc, ops);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(422);
    expect((error as ApiError).message).toMatch(message);
  });
});

describe('selectors', () => {
  it.each([
    ['app=web', { app: 'web' }, true],
    ['app==web,env!=prod', { app: 'web', env: 'dev' }, true],
    ['app=web,env!=prod', { app: 'web', env: 'prod' }, false],
    ['env in (dev, test)', { env: 'test' }, true],
    ['env notin (dev,test)', { env: 'test' }, false],
    ['env notin (dev,test)', {}, true],
    [
      'osac.openshift.io/computeinstance',
      { 'osac.openshift.io/computeinstance': 'x' },
      true,
    ],
    [
      '!osac.openshift.io/computeinstance',
      { 'osac.openshift.io/computeinstance': 'x' },
      false,
    ],
    ['', {}, true],
  ])('label selector %j on %j is %s', (selector, labels, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  it('refuses what it cannot parse with 400', () => {
    expect(() => parseLabelSelector('a in b')).toThrow(/unable to parse/);
  });

  it('supports only the declared field selectors', () => {
    const sel = parseFieldSelector(
      'metadata.name=vm-1',
      ['metadata.name'],
      'computeinstances',
    );
    expect(sel({ 'metadata.name': 'vm-1' })).toBe(true);
    expect(sel({ 'metadata.name': 'vm-2' })).toBe(false);
    expect(() =>
      parseFieldSelector('spec.cores=1', ['metadata.name'], 'computeinstances'),
    ).toThrow(/field label not supported: spec.cores/);
  });
});
