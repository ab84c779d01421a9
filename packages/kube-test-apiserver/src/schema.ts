import { CelError, CompiledRule, compileRule } from './cel';
import { FieldError } from './errors';
import { isPlainObject } from './types';

/*
 * A structural OpenAPI v3 schema as a CRD carries it, and the two things the apiserver does with it:
 * pruning (unknown fields dropped, or refused under fieldValidation=Strict; nulls dropped from
 * non-nullable fields) and validation (type, required, enum, bounds, lengths, pattern, date-time,
 * items, and x-kubernetes-validations CEL rules, transition rules against the stored object).
 */

export interface ValidationRule {
  rule: string;
  message?: string;
  fieldPath?: string;
}

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

/** A schema whose rules are compiled once, when the CRD is loaded. */
export class CompiledSchema {
  private readonly rules = new Map<Schema, CompiledRule[]>();

  constructor(readonly root: Schema) {
    this.compile(root, 'openAPIV3Schema');
  }

  private compile(schema: Schema, path: string): void {
    const rules = schema['x-kubernetes-validations'];
    if (rules?.length) {
      this.rules.set(
        schema,
        rules.map(r => {
          try {
            return compileRule(r.rule);
          } catch (e) {
            throw new Error(
              `${path}: x-kubernetes-validations rule not supported by the test API server: ${(e as Error).message}`,
            );
          }
        }),
      );
    }
    for (const [name, child] of Object.entries(schema.properties ?? {})) {
      this.compile(child, `${path}.properties.${name}`);
    }
    if (schema.items) this.compile(schema.items, `${path}.items`);
    if (isPlainObject(schema.additionalProperties)) {
      this.compile(
        schema.additionalProperties as Schema,
        `${path}.additionalProperties`,
      );
    }
  }

  /** Drops unknown fields and nulls in place; returns the paths of the unknown fields. */
  prune(object: Record<string, unknown>): string[] {
    const unknown: string[] = [];
    for (const [key, value] of Object.entries(object)) {
      if (key === 'apiVersion' || key === 'kind' || key === 'metadata')
        continue;
      const child = this.root.properties?.[key];
      if (!child) {
        if (!this.root['x-kubernetes-preserve-unknown-fields']) {
          delete object[key];
          unknown.push(key);
        }
        continue;
      }
      if (value === null && !child.nullable) {
        delete object[key];
        continue;
      }
      pruneValue(value, child, key, unknown);
    }
    return unknown;
  }

  /** Every violation in the object; `old` turns on transition rules (an update). */
  validate(object: Record<string, unknown>, old?: Record<string, unknown>) {
    const errors: FieldError[] = [];
    const meta = this.root.properties?.metadata;
    if (meta?.properties && isPlainObject(object.metadata)) {
      // Only name and generateName may be restricted in a CRD's metadata schema.
      for (const key of ['name', 'generateName']) {
        const s = meta.properties[key];
        const v = (object.metadata as Record<string, unknown>)[key];
        if (s && v !== undefined) this.check(v, s, `metadata.${key}`, errors);
      }
    }
    this.check(object, this.root, '', errors, old, true);
    return errors;
  }

  private check(
    value: unknown,
    schema: Schema,
    path: string,
    errors: FieldError[],
    old?: unknown,
    isRoot = false,
  ): void {
    const field = path || '<nil>';
    if (value === null) {
      if (!schema.nullable && schema.type) {
        errors.push({
          type: 'Invalid',
          field,
          value: 'null',
          detail: `${field} in body must be of type ${schema.type}: "null"`,
        });
      }
      return;
    }
    if (schema.type && !hasType(value, schema.type)) {
      errors.push({
        type: 'Invalid',
        field,
        value: jsonType(value),
        detail: `${field} in body must be of type ${schema.type}: "${jsonType(value)}"`,
      });
      return;
    }
    if (schema.enum && !schema.enum.some(e => e === value)) {
      errors.push({
        type: 'NotSupported',
        field,
        value,
        supported: schema.enum,
      });
    }
    if (typeof value === 'string')
      this.checkString(value, schema, field, errors);
    if (typeof value === 'number') checkNumber(value, schema, field, errors);
    if (Array.isArray(value)) {
      if (schema.minItems !== undefined && value.length < schema.minItems) {
        errors.push({
          type: 'Invalid',
          field,
          value: value.length,
          detail: `${field} in body should have at least ${schema.minItems} items`,
        });
      }
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        errors.push({
          type: 'TooLong',
          field,
          detail: `must have at most ${schema.maxItems} items`,
        });
      }
      const keyOf = listMapKey(schema);
      if (keyOf) {
        const seen = new Set<string>();
        value.forEach((item, i) => {
          const key = keyOf(item);
          if (seen.has(key)) {
            errors.push({
              type: 'Duplicate',
              field: `${path}[${i}]`,
              value: Object.fromEntries(
                (schema['x-kubernetes-list-map-keys'] ?? []).map(k => [
                  k,
                  isPlainObject(item) ? item[k] : undefined,
                ]),
              ),
            });
          }
          seen.add(key);
        });
      }
      if (schema.items) {
        // Items of a map-type list are correlated with the stored ones by key, so their transition
        // rules run; items of other lists are not correlatable and theirs never run (as in Kubernetes).
        const oldItems = new Map<string, unknown>();
        if (keyOf && Array.isArray(old)) {
          for (const item of old) oldItems.set(keyOf(item), item);
        }
        value.forEach((item, i) =>
          this.check(
            item,
            schema.items!,
            `${path}[${i}]`,
            errors,
            keyOf ? oldItems.get(keyOf(item)) : undefined,
          ),
        );
      }
    }
    if (isPlainObject(value)) {
      for (const key of schema.required ?? []) {
        if (isRoot && key === 'metadata') continue;
        if (value[key] === undefined) {
          errors.push({ type: 'Required', field: join(path, key) });
        }
      }
      const oldObj = isPlainObject(old) ? old : undefined;
      for (const [key, child] of Object.entries(value)) {
        // The object's metadata is the apiserver's business (see validateObjectMeta), not the schema's.
        if (isRoot && key === 'metadata') continue;
        const s =
          schema.properties?.[key] ??
          (isPlainObject(schema.additionalProperties)
            ? (schema.additionalProperties as Schema)
            : undefined);
        if (s) this.check(child, s, join(path, key), errors, oldObj?.[key]);
      }
    }
    this.checkRules(value, schema, field, errors, old);
  }

  private checkString(
    value: string,
    schema: Schema,
    field: string,
    errors: FieldError[],
  ): void {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) {
      errors.push({
        type: 'Invalid',
        field,
        value,
        detail: `${field} in body should be at least ${schema.minLength} chars long`,
      });
    }
    if (schema.maxLength !== undefined && length > schema.maxLength) {
      errors.push({
        type: 'TooLong',
        field,
        detail: `may not be more than ${schema.maxLength} bytes`,
      });
    }
    if (
      schema.pattern !== undefined &&
      !new RegExp(schema.pattern, 'u').test(value)
    ) {
      errors.push({
        type: 'Invalid',
        field,
        value,
        detail: `${field} in body should match '${schema.pattern}'`,
      });
    }
    if (schema.format === 'date-time' && !isDateTime(value)) {
      errors.push({
        type: 'Invalid',
        field,
        value,
        detail: `${field} in body must be of type date-time: "${value}"`,
      });
    }
  }

  private checkRules(
    value: unknown,
    schema: Schema,
    field: string,
    errors: FieldError[],
    old: unknown,
  ): void {
    const compiled = this.rules.get(schema);
    if (!compiled) return;
    const specs = schema['x-kubernetes-validations'] ?? [];
    compiled.forEach((rule, i) => {
      // A transition rule only runs when there is a stored value to compare with (an update).
      if (rule.usesOldSelf && (old === undefined || old === null)) return;
      const spec = specs[i];
      const at = spec.fieldPath
        ? join(
            field === '<nil>' ? '' : field,
            spec.fieldPath.replace(/^\./, ''),
          )
        : field;
      let ok: boolean;
      let detail = spec.message ?? `failed rule: ${rule.source}`;
      try {
        ok = rule.evaluate(value, old);
      } catch (e) {
        if (!(e instanceof CelError)) throw e;
        ok = false;
        detail = `${detail} (error evaluating rule: ${e.message})`;
      }
      if (!ok) {
        errors.push({
          type: 'Invalid',
          field: at,
          value: schema.type ?? jsonType(value),
          detail,
        });
      }
    });
  }
}

/** How a map-type list identifies its items (the JSON of the key fields), or undefined for other lists. */
function listMapKey(schema: Schema): ((item: unknown) => string) | undefined {
  const keys = schema['x-kubernetes-list-map-keys'];
  if (schema['x-kubernetes-list-type'] !== 'map' || !keys?.length)
    return undefined;
  return item =>
    JSON.stringify(
      keys.map(k => (isPlainObject(item) ? (item[k] ?? null) : null)),
    );
}

function pruneValue(
  value: unknown,
  schema: Schema,
  path: string,
  unknown: string[],
): void {
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) =>
      pruneValue(item, schema.items!, `${path}[${i}]`, unknown),
    );
    return;
  }
  if (!isPlainObject(value) || schema['x-kubernetes-preserve-unknown-fields'])
    return;
  const additional = isPlainObject(schema.additionalProperties)
    ? (schema.additionalProperties as Schema)
    : undefined;
  for (const [key, child] of Object.entries(value)) {
    const s = schema.properties?.[key] ?? additional;
    if (!s) {
      if (schema.additionalProperties !== true) {
        delete value[key];
        unknown.push(join(path, key));
      }
      continue;
    }
    if (child === null && !s.nullable) {
      delete value[key];
      continue;
    }
    pruneValue(child, s, join(path, key), unknown);
  }
}

function checkNumber(
  value: number,
  schema: Schema,
  field: string,
  errors: FieldError[],
): void {
  if (schema.minimum !== undefined) {
    const below = schema.exclusiveMinimum
      ? value <= schema.minimum
      : value < schema.minimum;
    if (below) {
      errors.push({
        type: 'Invalid',
        field,
        value,
        detail: `${field} in body should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${schema.minimum}`,
      });
    }
  }
  if (schema.maximum !== undefined) {
    const above = schema.exclusiveMaximum
      ? value >= schema.maximum
      : value > schema.maximum;
    if (above) {
      errors.push({
        type: 'Invalid',
        field,
        value,
        detail: `${field} in body should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${schema.maximum}`,
      });
    }
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function hasType(value: unknown, type: NonNullable<Schema['type']>): boolean {
  switch (type) {
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    default:
      return typeof value === type;
  }
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value === 'object' ? 'object' : typeof value;
}

// The layouts the apiserver's `date-time` format accepts: RFC 3339 (T or space, optional fraction,
// Z or an offset) and ISO 8601 local time without a zone.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):?(\d{2}))?$/;

/** `format: date-time`, with the calendar checked as Go's time.Parse does. */
export function isDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1) return false;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59))
    return false;
  return true;
}
