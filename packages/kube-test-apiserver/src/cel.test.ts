import { compileRule } from './cel';

describe('CEL subset', () => {
  it.each([
    ['self == oldSelf', 3, 3, true],
    ['self == oldSelf', { a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] }, true],
    ['self == oldSelf', { a: 1, b: 2 }, { b: 2, a: 1 }, true],
    ['self == oldSelf', 'a', 'b', false],
    ['self != oldSelf', 'a', 'b', true],
    ['has(self.x) == has(oldSelf.x)', { x: 1 }, { x: 2 }, true],
    ['has(self.x) == has(oldSelf.x)', { x: 1 }, {}, false],
    ['self.size() <= 3 && size(self) > 0', 'abc', undefined, true],
    ["self.matches('^[a-z]+$')", 'abc', undefined, true],
    ["self.startsWith('ab') || self.endsWith('zz')", 'xyz', undefined, false],
    [
      'self.a > 1 ? self.b == "big" : self.b == "small"',
      { a: 2, b: 'big' },
      undefined,
      true,
    ],
    [
      'self.n % 2 == 0 && self.n / 2 == 2 && -self.n < 0',
      { n: 4 },
      undefined,
      true,
    ],
    [
      "'x' in self.tags && !('y' in self.tags)",
      { tags: ['x'] },
      undefined,
      true,
    ],
    [
      'self.items[1].v + 1 == 3',
      { items: [{ v: 0 }, { v: 2 }] },
      undefined,
      true,
    ],
    ['self.all(x, x > 0)', [1, 2], undefined, true],
    ['self.all(x, x > 1)', [1, 2], undefined, false],
    ['self.exists(x, x > 1)', [1, 2], undefined, true],
    ['self.exists(x, x > 2)', [1, 2], undefined, false],
    ['self.all(x, x > 5)', [], undefined, true],
    [
      // OSAC's networkAttachments rule: the same subnets, in any order.
      'size(oldSelf) == 0 || (size(self) == size(oldSelf) && self.all(na, oldSelf.exists(old, old.subnetRef == na.subnetRef)))',
      [{ subnetRef: 'b' }, { subnetRef: 'a' }],
      [{ subnetRef: 'a' }, { subnetRef: 'b' }],
      true,
    ],
    [
      'size(oldSelf) == 0 || (size(self) == size(oldSelf) && self.all(na, oldSelf.exists(old, old.subnetRef == na.subnetRef)))',
      [{ subnetRef: 'c' }, { subnetRef: 'a' }],
      [{ subnetRef: 'a' }, { subnetRef: 'b' }],
      false,
    ],
  ])('%s on %j (old %j) is %s', (rule, self, oldSelf, expected) => {
    expect(compileRule(rule).evaluate(self, oldSelf)).toBe(expected);
  });

  it('knows which rules are transition rules', () => {
    expect(compileRule('self == oldSelf').usesOldSelf).toBe(true);
    expect(compileRule('has(self.a) == has(oldSelf.a)').usesOldSelf).toBe(true);
    expect(compileRule('self > 0').usesOldSelf).toBe(false);
    expect(
      compileRule('self.all(x, oldSelf.exists(o, o == x))').usesOldSelf,
    ).toBe(true);
  });

  it('absorbs an error on the other side of && and ||, as CEL does', () => {
    expect(
      compileRule('has(self.a) && self.a > 1').evaluate({}, undefined),
    ).toBe(false);
    expect(
      compileRule('!has(self.a) || self.a > 1').evaluate({}, undefined),
    ).toBe(true);
    expect(() => compileRule('self.a > 1').evaluate({}, undefined)).toThrow(
      /no such key: a/,
    );
  });

  it.each([
    ['self.map(x, x + 1)', /unsupported function map/],
    ['self.all(self, self > 0)', /all\(\) needs a variable name/],
    ['self.all(x, y > 0)', /unknown identifier y/],
    ['request.name == "x"', /unknown identifier request/],
    ['self ==', /unexpected end/],
    ["self == 'open", /unterminated string/],
    ['has(self)', /has\(\) takes one field selection/],
  ])('refuses %s when the CRD is loaded', (rule, message) => {
    expect(() => compileRule(rule)).toThrow(message);
  });
});
