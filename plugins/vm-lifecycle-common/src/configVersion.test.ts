import { canonicalJson, computeConfigVersion, fnv1a64Hex } from './configVersion';
import { ComputeInstanceSpec } from './types';

describe('fnv1a64Hex', () => {
  it('matches the published FNV-1a 64-bit test vectors', () => {
    expect(fnv1a64Hex('')).toBe('cbf29ce484222325');
    expect(fnv1a64Hex('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64Hex('foobar')).toBe('85944171f73967e8');
  });
});

describe('computeConfigVersion', () => {
  const spec: ComputeInstanceSpec = {
    templateID: 'fedora_small',
    image: { sourceType: 'registry', sourceRef: 'quay.io/containerdisks/fedora:latest' },
    cores: 2,
    memoryGiB: 4,
    bootDisk: { sizeGiB: 20 },
    runStrategy: 'Always',
  };

  it('is stable whatever the key order', () => {
    const { runStrategy, ...rest } = spec;
    const reordered: ComputeInstanceSpec = { runStrategy, ...rest };
    expect(computeConfigVersion(reordered)).toBe(computeConfigVersion(spec));
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });

  it('changes with any spec change, and returns for the same spec', () => {
    const a = computeConfigVersion(spec);
    const b = computeConfigVersion({ ...spec, runStrategy: 'Halted' });
    expect(b).not.toBe(a);
    expect(computeConfigVersion({ ...spec, runStrategy: 'Always' })).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });
});
