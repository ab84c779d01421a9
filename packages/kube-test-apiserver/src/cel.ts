import { canonicalJson, isPlainObject } from './types';

/*
 * The subset of CEL that x-kubernetes-validations rules in our CRDs use: `self`, `oldSelf`, field
 * selection, `has()`, `size()`, `matches()`, `startsWith()`, `endsWith()`, `contains()`, `in`,
 * the `all(x, p)` and `exists(x, p)` macros over lists, comparison, arithmetic, `!`, `&&`, `||`
 * and `?:`. A rule outside the subset fails when the CRD is
 * loaded, never silently at request time, so a test can never pass because a rule was skipped.
 */

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'id'; name: string }
  | { k: 'macro'; fn: 'all' | 'exists'; target: Node; v: string; body: Node }
  | { k: 'sel'; obj: Node; field: string }
  | { k: 'idx'; obj: Node; index: Node }
  | { k: 'call'; fn: string; target?: Node; args: Node[] }
  | { k: 'un'; op: '!' | '-'; x: Node }
  | { k: 'bin'; op: string; l: Node; r: Node }
  | { k: 'cond'; c: Node; t: Node; f: Node }
  | { k: 'list'; items: Node[] };

export class CelError extends Error {}

const FUNCTIONS = new Set([
  'has',
  'size',
  'matches',
  'startsWith',
  'endsWith',
  'contains',
]);

const ESCAPES: Record<string, string> = { n: '\n', t: '\t' };

interface Token {
  t: 'num' | 'str' | 'id' | 'op';
  v: string;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const num = /^\d+(\.\d+)?/.exec(rest);
    if (num) {
      tokens.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (id) {
      tokens.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1];
          text += ESCAPES[e] ?? e;
          j += 2;
        } else {
          text += src[j++];
        }
      }
      if (j >= src.length) throw new CelError(`unterminated string in ${src}`);
      tokens.push({ t: 'str', v: text });
      i = j + 1;
      continue;
    }
    const op = /^(==|!=|<=|>=|&&|\|\||[<>!+\-*/%?:.,()[\]])/.exec(rest);
    if (!op) throw new CelError(`unexpected character '${c}' in ${src}`);
    tokens.push({ t: 'op', v: op[0] });
    i += op[0].length;
  }
  return tokens;
}

const MACROS = new Set(['all', 'exists']);

class Parser {
  private pos = 0;
  /** Variables bound by the macros being parsed (`na` in `self.all(na, ...)`). */
  private readonly bound: string[] = [];
  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
  ) {}

  parse(): Node {
    const node = this.expr();
    if (this.pos < this.tokens.length) {
      throw new CelError(
        `unexpected '${this.tokens[this.pos].v}' in ${this.src}`,
      );
    }
    return node;
  }

  private peek(v?: string): boolean {
    const tok = this.tokens[this.pos];
    return !!tok && (v === undefined || (tok.t === 'op' && tok.v === v));
  }

  private take(v: string): void {
    if (!this.peek(v)) throw new CelError(`expected '${v}' in ${this.src}`);
    this.pos++;
  }

  private expr(): Node {
    const c = this.or();
    if (this.peek('?')) {
      this.pos++;
      const t = this.expr();
      this.take(':');
      return { k: 'cond', c, t, f: this.expr() };
    }
    return c;
  }

  private binary(next: () => Node, ops: string[]): Node {
    let l = next();
    for (;;) {
      const tok = this.tokens[this.pos];
      const isOp =
        tok &&
        ((tok.t === 'op' && ops.includes(tok.v)) ||
          (tok.t === 'id' && tok.v === 'in' && ops.includes('in')));
      if (!isOp) return l;
      this.pos++;
      l = { k: 'bin', op: tok.v, l, r: next() };
    }
  }

  private or = (): Node => this.binary(this.and, ['||']);
  private and = (): Node => this.binary(this.rel, ['&&']);
  private rel = (): Node =>
    this.binary(this.add, ['<', '<=', '>', '>=', '==', '!=', 'in']);
  private add = (): Node => this.binary(this.mul, ['+', '-']);
  private mul = (): Node => this.binary(this.unary, ['*', '/', '%']);

  private unary = (): Node => {
    if (this.peek('!') || this.peek('-')) {
      const op = this.tokens[this.pos++].v as '!' | '-';
      return { k: 'un', op, x: this.unary() };
    }
    return this.member();
  };

  private member(): Node {
    let node = this.primary();
    for (;;) {
      if (this.peek('.')) {
        this.pos++;
        const name = this.tokens[this.pos++];
        if (!name || name.t !== 'id')
          throw new CelError(`expected a field name in ${this.src}`);
        if (this.peek('(') && MACROS.has(name.v)) {
          node = this.macro(name.v as 'all' | 'exists', node);
        } else if (this.peek('(')) {
          node = this.call(name.v, node);
        } else {
          node = { k: 'sel', obj: node, field: name.v };
        }
      } else if (this.peek('[')) {
        this.pos++;
        const index = this.expr();
        this.take(']');
        node = { k: 'idx', obj: node, index };
      } else {
        return node;
      }
    }
  }

  private macro(fn: 'all' | 'exists', target: Node): Node {
    this.take('(');
    const v = this.tokens[this.pos++];
    if (!v || v.t !== 'id' || v.v === 'self' || v.v === 'oldSelf')
      throw new CelError(`${fn}() needs a variable name in ${this.src}`);
    this.take(',');
    this.bound.push(v.v);
    const body = this.expr();
    this.bound.pop();
    this.take(')');
    return { k: 'macro', fn, target, v: v.v, body };
  }

  private call(fn: string, target?: Node): Node {
    if (!FUNCTIONS.has(fn))
      throw new CelError(`unsupported function ${fn}() in ${this.src}`);
    this.take('(');
    const args: Node[] = [];
    while (!this.peek(')')) {
      args.push(this.expr());
      if (!this.peek(')')) this.take(',');
    }
    this.take(')');
    if (fn === 'has' && (target || args.length !== 1 || args[0].k !== 'sel')) {
      throw new CelError(`has() takes one field selection in ${this.src}`);
    }
    return { k: 'call', fn, target, args };
  }

  private primary(): Node {
    const tok = this.tokens[this.pos++];
    if (!tok) throw new CelError(`unexpected end of ${this.src}`);
    if (tok.t === 'num') return { k: 'lit', v: Number(tok.v) };
    if (tok.t === 'str') return { k: 'lit', v: tok.v };
    if (tok.t === 'id') {
      if (tok.v === 'true') return { k: 'lit', v: true };
      if (tok.v === 'false') return { k: 'lit', v: false };
      if (tok.v === 'null') return { k: 'lit', v: null };
      if (this.peek('(')) return this.call(tok.v);
      if (
        tok.v !== 'self' &&
        tok.v !== 'oldSelf' &&
        !this.bound.includes(tok.v)
      ) {
        throw new CelError(`unknown identifier ${tok.v} in ${this.src}`);
      }
      return { k: 'id', name: tok.v };
    }
    if (tok.v === '(') {
      const inner = this.expr();
      this.take(')');
      return inner;
    }
    if (tok.v === '[') {
      const items: Node[] = [];
      while (!this.peek(']')) {
        items.push(this.expr());
        if (!this.peek(']')) this.take(',');
      }
      this.take(']');
      return { k: 'list', items };
    }
    throw new CelError(`unexpected '${tok.v}' in ${this.src}`);
  }
}

export interface CompiledRule {
  source: string;
  /** Transition rules compare with the stored object and only run on update. */
  usesOldSelf: boolean;
  evaluate(self: unknown, oldSelf?: unknown): boolean;
}

function mentionsOldSelf(node: Node): boolean {
  switch (node.k) {
    case 'id':
      return node.name === 'oldSelf';
    case 'sel':
      return mentionsOldSelf(node.obj);
    case 'idx':
      return mentionsOldSelf(node.obj) || mentionsOldSelf(node.index);
    case 'call':
      return (
        (node.target ? mentionsOldSelf(node.target) : false) ||
        node.args.some(mentionsOldSelf)
      );
    case 'un':
      return mentionsOldSelf(node.x);
    case 'bin':
      return mentionsOldSelf(node.l) || mentionsOldSelf(node.r);
    case 'cond':
      return [node.c, node.t, node.f].some(mentionsOldSelf);
    case 'list':
      return node.items.some(mentionsOldSelf);
    case 'macro':
      return mentionsOldSelf(node.target) || mentionsOldSelf(node.body);
    default:
      return false;
  }
}

export function compileRule(source: string): CompiledRule {
  const ast = new Parser(tokenize(source), source).parse();
  return {
    source,
    usesOldSelf: mentionsOldSelf(ast),
    evaluate(self, oldSelf) {
      const result = evaluate(ast, { self, oldSelf });
      if (typeof result !== 'boolean') {
        throw new CelError(`rule ${source} did not evaluate to a bool`);
      }
      return result;
    },
  };
}

interface Scope {
  self: unknown;
  oldSelf: unknown;
  vars?: Record<string, unknown>;
}

function field(obj: unknown, name: string): unknown {
  if (!isPlainObject(obj) || !(name in obj)) {
    throw new CelError(`no such key: ${name}`);
  }
  return obj[name];
}

function evaluate(node: Node, scope: Scope): unknown {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'id':
      if (node.name === 'self') return scope.self;
      if (node.name === 'oldSelf') return scope.oldSelf;
      return scope.vars?.[node.name];
    case 'macro':
      return macro(node, scope);
    case 'sel':
      return field(evaluate(node.obj, scope), node.field);
    case 'idx': {
      const obj = evaluate(node.obj, scope);
      const index = evaluate(node.index, scope);
      if (Array.isArray(obj) && typeof index === 'number') {
        if (index < 0 || index >= obj.length)
          throw new CelError('index out of range');
        return obj[index];
      }
      return field(obj, String(index));
    }
    case 'list':
      return node.items.map(item => evaluate(item, scope));
    case 'un': {
      const x = evaluate(node.x, scope);
      if (node.op === '!') {
        if (typeof x !== 'boolean') throw new CelError('! needs a bool');
        return !x;
      }
      if (typeof x !== 'number') throw new CelError('- needs a number');
      return -x;
    }
    case 'cond': {
      const c = evaluate(node.c, scope);
      if (typeof c !== 'boolean') throw new CelError('?: needs a bool');
      return evaluate(c ? node.t : node.f, scope);
    }
    case 'call':
      return call(node, scope);
    case 'bin':
      return binary(node.op, node.l, node.r, scope);
    default:
      throw new CelError('unknown expression');
  }
}

function logical(op: '&&' | '||', l: Node, r: Node, scope: Scope): boolean {
  // CEL's && and || are commutative over errors: false && error is false, true || error is true.
  const short = op === '||';
  const attempt = (n: Node): boolean | Error => {
    try {
      const v = evaluate(n, scope);
      if (typeof v !== 'boolean') throw new CelError(`${op} needs bools`);
      return v;
    } catch (e) {
      return e as Error;
    }
  };
  const a = attempt(l);
  if (a === short) return short;
  const b = attempt(r);
  if (b === short) return short;
  if (a instanceof Error) throw a;
  if (b instanceof Error) throw b;
  return !short;
}

function binary(op: string, l: Node, r: Node, scope: Scope): unknown {
  if (op === '&&' || op === '||') return logical(op, l, r, scope);
  const a = evaluate(l, scope);
  const b = evaluate(r, scope);
  switch (op) {
    case '==':
      return canonicalJson(a) === canonicalJson(b);
    case '!=':
      return canonicalJson(a) !== canonicalJson(b);
    case 'in':
      if (Array.isArray(b))
        return b.some(x => canonicalJson(x) === canonicalJson(a));
      if (isPlainObject(b)) return String(a) in b;
      throw new CelError('in needs a list or map');
    default:
      break;
  }
  if (op === '+' && typeof a === 'string' && typeof b === 'string')
    return a + b;
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  const comparable =
    (typeof a === 'number' && typeof b === 'number') ||
    (typeof a === 'string' && typeof b === 'string');
  if (!comparable) throw new CelError(`no such overload: ${op}`);
  const x = a as number;
  const y = b as number;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      if (y === 0) throw new CelError('division by zero');
      return Number.isInteger(x) && Number.isInteger(y)
        ? Math.trunc(x / y)
        : x / y;
    case '%':
      if (y === 0) throw new CelError('modulus by zero');
      return x % y;
    default:
      throw new CelError(`unsupported operator ${op}`);
  }
}

function macro(node: Extract<Node, { k: 'macro' }>, scope: Scope): boolean {
  const list = evaluate(node.target, scope);
  if (!Array.isArray(list)) throw new CelError(`${node.fn}() needs a list`);
  const holds = (item: unknown): boolean => {
    const v = evaluate(node.body, {
      ...scope,
      vars: { ...scope.vars, [node.v]: item },
    });
    if (typeof v !== 'boolean')
      throw new CelError(`${node.fn}() needs a bool predicate`);
    return v;
  };
  return node.fn === 'all' ? list.every(holds) : list.some(holds);
}

function call(node: Extract<Node, { k: 'call' }>, scope: Scope): unknown {
  if (node.fn === 'has') {
    const sel = node.args[0] as Extract<Node, { k: 'sel' }>;
    const obj = evaluate(sel.obj, scope);
    return isPlainObject(obj) && sel.field in obj && obj[sel.field] !== null;
  }
  const target =
    node.target !== undefined ? evaluate(node.target, scope) : undefined;
  const args = node.args.map(a => evaluate(a, scope));
  const subject = node.target !== undefined ? target : args.shift();
  switch (node.fn) {
    case 'size':
      if (typeof subject === 'string') return [...subject].length;
      if (Array.isArray(subject)) return subject.length;
      if (isPlainObject(subject)) return Object.keys(subject).length;
      throw new CelError('size() needs a string, list or map');
    case 'matches':
      return new RegExp(String(args[0]), 'u').test(String(subject));
    case 'startsWith':
      return String(subject).startsWith(String(args[0]));
    case 'endsWith':
      return String(subject).endsWith(String(args[0]));
    case 'contains':
      return String(subject).includes(String(args[0]));
    default:
      throw new CelError(`unsupported function ${node.fn}()`);
  }
}
