import { ApiError } from './errors';
import { clone, canonicalJson, isPlainObject } from './types';

/** RFC 7386 JSON merge patch: objects merge key by key, `null` removes, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const result: Record<string, unknown> = isPlainObject(target)
    ? clone(target)
    : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

function patchError(message: string): ApiError {
  // The apiserver answers a patch that cannot be applied with 422.
  return new ApiError(422, 'Invalid', message);
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw patchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

/** The parent container of a pointer and the last token, or throws when the parent is missing. */
function locate(doc: unknown, tokens: string[], pointer: string) {
  let parent: unknown = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(parent)) parent = parent[Number(token)];
    else if (isPlainObject(parent)) parent = parent[token];
    else parent = undefined;
    if (parent === undefined)
      throw patchError(`doc is missing path: ${pointer}`);
  }
  if (!Array.isArray(parent) && !isPlainObject(parent)) {
    throw patchError(`doc is missing path: ${pointer}`);
  }
  return { parent: parent as Container, key: tokens[tokens.length - 1] };
}

function arrayIndex(arr: unknown[], key: string, forAdd: boolean): number {
  if (forAdd && key === '-') return arr.length;
  const index = Number(key);
  const max = forAdd ? arr.length : arr.length - 1;
  if (!/^\d+$/.test(key) || index > max)
    throw patchError(`index out of range: ${key}`);
  return index;
}

function get(doc: unknown, pointer: string): unknown {
  let current = doc;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isPlainObject(current)) current = current[token];
    else current = undefined;
    if (current === undefined)
      throw patchError(`doc is missing path: ${pointer}`);
  }
  return current;
}

function add(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return clone(value);
  const { parent, key } = locate(doc, tokens, pointer);
  if (Array.isArray(parent))
    parent.splice(arrayIndex(parent, key, true), 0, clone(value));
  else parent[key] = clone(value);
  return doc;
}

function remove(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  const { parent, key } = locate(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false), 1);
  else {
    if (!(key in parent))
      throw patchError(
        `remove operation does not apply: doc is missing path: ${pointer}`,
      );
    delete parent[key];
  }
  return doc;
}

/** RFC 6902 JSON patch, applied to a copy; throws 422 when an operation does not apply. */
export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations))
    throw patchError('a JSON patch must be an array of operations');
  let doc = clone(target);
  for (const raw of operations as JsonPatchOperation[]) {
    if (!isPlainObject(raw) || typeof raw.path !== 'string')
      throw patchError(`invalid JSON patch operation ${JSON.stringify(raw)}`);
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, raw.value);
        break;
      case 'remove':
        doc = remove(doc, raw.path);
        break;
      case 'replace':
        get(doc, raw.path);
        doc = add(remove(doc, raw.path), raw.path, raw.value);
        break;
      case 'move': {
        const value = get(doc, raw.from ?? '');
        doc = add(remove(doc, raw.from ?? ''), raw.path, value);
        break;
      }
      case 'copy':
        doc = add(doc, raw.path, get(doc, raw.from ?? ''));
        break;
      case 'test':
        if (canonicalJson(get(doc, raw.path)) !== canonicalJson(raw.value)) {
          throw patchError(
            `testing value ${raw.path} failed: the value does not equal ${JSON.stringify(raw.value)}`,
          );
        }
        break;
      default:
        throw patchError(
          `unsupported JSON patch operation ${JSON.stringify(raw.op)}`,
        );
    }
  }
  return doc;
}
