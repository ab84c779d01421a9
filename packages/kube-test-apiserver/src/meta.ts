import { FieldError } from './errors';
import { ObjectMeta, isPlainObject } from './types';

/*
 * ObjectMeta rules every resource shares (apimachinery's ValidateObjectMeta / ValidateObjectMetaUpdate),
 * with the apiserver's wording so a client sees the message it would see in a cluster.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The ObjectMeta fields the server keeps; anything else in metadata is an unknown field. */
export const OBJECT_META_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'finalizers',
  'ownerReferences',
  'managedFields',
  'selfLink',
];

export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (slash !== -1 && !isDnsSubdomain(key.slice(0, slash))) {
    return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)";
  }
  return undefined;
}

function checkStringMap(
  value: unknown,
  field: string,
  errors: FieldError[],
  checkValue?: (v: string) => string | undefined,
): void {
  if (value === undefined) return;
  if (!isPlainObject(value)) {
    errors.push({
      type: 'Invalid',
      field,
      value,
      detail: 'must be a map of strings',
    });
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const problem = qualifiedNameProblem(k);
    if (problem)
      errors.push({ type: 'Invalid', field, value: k, detail: problem });
    if (typeof v !== 'string') {
      errors.push({
        type: 'Invalid',
        field: `${field}[${k}]`,
        value: v,
        detail: 'must be a string',
      });
    } else {
      const valueProblem = checkValue?.(v);
      if (valueProblem)
        errors.push({ type: 'Invalid', field, value: v, detail: valueProblem });
    }
  }
}

function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!LABEL_VALUE.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** Name, labels, annotations and finalizers of an object about to be created or replaced. */
export function validateObjectMeta(
  meta: ObjectMeta,
  namespaced: boolean,
): FieldError[] {
  const errors: FieldError[] = [];
  if (!meta.name) {
    errors.push({
      type: 'Required',
      field: 'metadata.name',
      detail: 'name or generateName is required',
    });
  } else if (!isDnsSubdomain(meta.name)) {
    errors.push({
      type: 'Invalid',
      field: 'metadata.name',
      value: meta.name,
      detail:
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    });
  }
  if (namespaced && (!meta.namespace || !isDnsLabel(meta.namespace))) {
    errors.push({
      type: 'Invalid',
      field: 'metadata.namespace',
      value: meta.namespace ?? '',
      detail: 'a lowercase RFC 1123 label is required',
    });
  }
  checkStringMap(meta.labels, 'metadata.labels', errors, labelValueProblem);
  checkStringMap(meta.annotations, 'metadata.annotations', errors);
  if (meta.finalizers !== undefined) {
    if (!Array.isArray(meta.finalizers)) {
      errors.push({
        type: 'Invalid',
        field: 'metadata.finalizers',
        value: meta.finalizers,
        detail: 'must be a list of strings',
      });
    } else {
      meta.finalizers.forEach((f, i) => {
        const problem =
          typeof f === 'string' ? qualifiedNameProblem(f) : 'must be a string';
        if (problem)
          errors.push({
            type: 'Invalid',
            field: `metadata.finalizers[${i}]`,
            value: f,
            detail: problem,
          });
      });
    }
  }
  return errors;
}

/** The update-only rules: identity and deletion state cannot be changed by a write. */
export function validateObjectMetaUpdate(
  next: ObjectMeta,
  old: ObjectMeta,
): FieldError[] {
  const errors: FieldError[] = [];
  if (next.uid !== old.uid) {
    errors.push({
      type: 'Invalid',
      field: 'metadata.uid',
      value: next.uid,
      detail: 'field is immutable',
    });
  }
  if (next.deletionTimestamp !== old.deletionTimestamp) {
    errors.push({
      type: 'Invalid',
      field: 'metadata.deletionTimestamp',
      value: next.deletionTimestamp ?? null,
      detail: 'field is immutable; may only be changed via deletion',
    });
  }
  if (old.deletionTimestamp) {
    const added = (next.finalizers ?? []).filter(
      f => !(old.finalizers ?? []).includes(f),
    );
    if (added.length > 0) {
      errors.push({
        type: 'Forbidden',
        field: 'metadata.finalizers',
        detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added
          .map(f => JSON.stringify(f))
          .join(', ')}}`,
      });
    }
  }
  return errors;
}
