import { z } from 'zod';
import { canonicalJson } from '../configVersion';
import { ComputeInstanceSpec } from '../types';
import { MESSAGES } from './messages';
import {
  enumSchema,
  nonEmptyStringSchema,
  ruleParams,
  stringSchema,
  strictObject,
  templateIdSchema,
} from './fields';
import { computeInstanceSpecSchema } from './spec';
import { CreateInstanceSpec } from './requests';
import { isPlainObject, parseJsonObject } from './rules';
import { templateLifetimeSchema } from './lifetime';

/** Spec field paths a template can open to or close for requesters. */
export const TEMPLATE_FIELD_PATHS = [
  'templateParameters',
  'image.sourceType',
  'image.sourceRef',
  'guestOSFamily',
  'cores',
  'memoryGiB',
  'bootDisk.sizeGiB',
  'additionalDisks',
  'runStrategy',
  'sshKey',
  'userDataSecretRef',
  'networkAttachments',
] as const;

export type TemplateFieldPath = (typeof TEMPLATE_FIELD_PATHS)[number];

/**
 * What a requester may change when a template does not say: nothing. Opening a field is the
 * template author's decision; an image, a user-data secret or a fixed parameter left open by
 * omission would let any requester choose what the playbook runs and with which secrets.
 */
export const DEFAULT_EDITABLE_FIELDS: readonly TemplateFieldPath[] = [];

/** The fields a template lets requesters change. */
export function editableFieldsOf(
  template: Pick<VmTemplate, 'editableFields'>,
): ReadonlySet<TemplateFieldPath> {
  return new Set(template.editableFields ?? DEFAULT_EDITABLE_FIELDS);
}

export const TEMPLATE_PARAMETER_TYPES = [
  'string',
  'number',
  'boolean',
] as const;

export type TemplateParameterType = (typeof TEMPLATE_PARAMETER_TYPES)[number];

const PARAMETER_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const PARAMETER_NAME_MESSAGE =
  "must start with a letter or '_' and contain only letters, digits and '_'";
const PARAMETER_VALUE_MESSAGE = 'must be a string, number or boolean';

export const templateParameterSchema = strictObject({
  name: z
    .string(ruleParams(PARAMETER_NAME_MESSAGE))
    .regex(PARAMETER_NAME, PARAMETER_NAME_MESSAGE),
  title: nonEmptyStringSchema,
  type: enumSchema(TEMPLATE_PARAMETER_TYPES),
  default: z
    .union(
      [z.string(), z.number(), z.boolean()],
      ruleParams(PARAMETER_VALUE_MESSAGE),
    )
    .optional(),
  required: z.boolean(ruleParams(MESSAGES.boolean)).optional(),
  description: stringSchema.optional(),
}).superRefine((parameter, ctx) => {
  if (
    parameter.default !== undefined &&
    typeof parameter.default !== parameter.type
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['default'],
      message: `must be a ${parameter.type} (the parameter's type)`,
    });
  }
});

export type TemplateParameter = z.output<typeof templateParameterSchema>;

/**
 * A template's defaults are a complete spec without the template's own id: a request naming only
 * the template must produce a valid instance. restartRequestedAt is no template's business.
 */
export const templateDefaultsSchema = computeInstanceSpecSchema.omit({
  templateID: true,
  restartRequestedAt: true,
});

/** One entry of vmLifecycle.templates in app-config. */
export const vmTemplateSchema = strictObject({
  id: templateIdSchema,
  title: nonEmptyStringSchema,
  description: stringSchema.optional(),
  defaults: templateDefaultsSchema,
  editableFields: z
    .array(enumSchema(TEMPLATE_FIELD_PATHS), ruleParams(MESSAGES.array))
    .optional(),
  parameters: z
    .array(templateParameterSchema, ruleParams(MESSAGES.array))
    .optional(),
  /** Absent: the template's VMs never expire. */
  lifetime: templateLifetimeSchema.optional(),
}).superRefine((template, ctx) => {
  const seen = new Set<string>();
  const fixed =
    parseJsonObject(template.defaults.templateParameters ?? '{}') ?? {};
  template.parameters?.forEach((parameter, index) => {
    if (seen.has(parameter.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['parameters', index, 'name'],
        message: `duplicates parameter "${parameter.name}"`,
      });
    }
    seen.add(parameter.name);
    // A fixed parameter can never be overridden, so declaring it as requestable contradicts itself.
    if (Object.prototype.hasOwnProperty.call(fixed, parameter.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['parameters', index, 'name'],
        message: `"${parameter.name}" is fixed in defaults.templateParameters; a parameter is either fixed or requestable`,
      });
    }
  });
});

export type VmTemplate = z.output<typeof vmTemplateSchema>;

/** The whole vmLifecycle.templates list: ids must be unique, since requests name a template by id. */
export const vmTemplatesSchema = z
  .array(vmTemplateSchema, ruleParams(MESSAGES.array))
  .superRefine((templates, ctx) => {
    const seen = new Set<string>();
    templates.forEach((template, index) => {
      if (seen.has(template.id)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'id'],
          message: `duplicates template id "${template.id}"`,
        });
      }
      seen.add(template.id);
    });
  });

/**
 * Request-rooted paths (spec.cores, spec.image.sourceType) of the fields the request sets to
 * something other than the template's default although the template does not let requesters
 * change them. Repeating the default is not a change, so a form can always send every field.
 */
export function lockedFieldChanges(
  template: VmTemplate,
  partialSpec: CreateInstanceSpec,
): string[] {
  const editable = editableFieldsOf(template);
  return TEMPLATE_FIELD_PATHS.filter(path => {
    if (editable.has(path)) return false;
    const requested = valueAt(partialSpec, path);
    if (requested === undefined) return false;
    return !sameFieldValue(path, requested, valueAt(template.defaults, path));
  }).map(path => `spec.${path}`);
}

export type ApplyTemplateResult =
  | { success: true; data: ComputeInstanceSpec }
  | { success: false; error: z.ZodError };

/**
 * The full spec of a create request: the template's defaults, overlaid with what the request sets
 * (image and bootDisk merged key by key), then validated as a whole. Refuses, as a ZodError whose
 * paths are rooted at the request body like createInstanceRequestSchema's, a request for another
 * template, a change to a locked field, and templateParameters that break the declared parameters.
 */
export function safeApplyTemplateDefaults(
  template: VmTemplate,
  partialSpec: CreateInstanceSpec,
): ApplyTemplateResult {
  const issues: z.core.$ZodIssue[] = [];
  if (partialSpec.templateID !== template.id) {
    issues.push(
      specIssue(
        'templateID',
        `must be the id of the template being applied ("${template.id}")`,
      ),
    );
  }
  for (const field of lockedFieldChanges(template, partialSpec)) {
    issues.push({
      code: 'custom',
      path: field.split('.'),
      message: `is fixed by template "${template.id}"`,
    });
  }
  const parameters = resolveTemplateParameters(
    template,
    partialSpec.templateParameters,
  );
  issues.push(...parameters.issues);
  if (issues.length > 0)
    return { success: false, error: new z.ZodError(issues) };

  const { defaults } = template;
  const candidate = withoutUndefined({
    ...defaults,
    ...withoutUndefined(partialSpec),
    image: { ...defaults.image, ...withoutUndefined(partialSpec.image ?? {}) },
    bootDisk: {
      ...defaults.bootDisk,
      ...withoutUndefined(partialSpec.bootDisk ?? {}),
    },
    templateParameters: parameters.value,
  });
  // Revalidated as a whole: defaults and request were each valid, but only the merge is stored.
  const parsed = strictObject({ spec: computeInstanceSpecSchema }).safeParse({
    spec: candidate,
  });
  return parsed.success
    ? { success: true, data: parsed.data.spec }
    : { success: false, error: parsed.error };
}

/** As safeApplyTemplateDefaults, throwing its ZodError. */
export function applyTemplateDefaults(
  template: VmTemplate,
  partialSpec: CreateInstanceSpec,
): ComputeInstanceSpec {
  const result = safeApplyTemplateDefaults(template, partialSpec);
  if (!result.success) throw result.error;
  return result.data;
}

/**
 * templateParameters = the template's fixed ones, then the declared parameters' defaults, then the
 * request's. The request may set only the parameters the template declares, with their types; a
 * fixed parameter may be repeated but never changed, and any other key is refused: the playbook
 * reads these as extra vars, so an undeclared key is a way to steer it.
 */
function resolveTemplateParameters(
  template: VmTemplate,
  requested: string | undefined,
): { value?: string; issues: z.core.$ZodIssue[] } {
  const fixed =
    parseJsonObject(template.defaults.templateParameters ?? '{}') ?? {};
  const given = requested === undefined ? {} : parseJsonObject(requested);
  if (!given) {
    return {
      issues: [specIssue('templateParameters', MESSAGES.templateParameters)],
    };
  }
  const declared = template.parameters ?? [];
  const issues: z.core.$ZodIssue[] = [];
  const defaults: Record<string, unknown> = {};
  const names = declared.map(parameter => parameter.name);
  for (const [key, value] of Object.entries(given)) {
    if (Object.prototype.hasOwnProperty.call(fixed, key)) {
      if (canonicalJson(value) !== canonicalJson(fixed[key])) {
        issues.push(
          specIssue(
            'templateParameters',
            `parameter "${key}" is fixed by template "${template.id}"`,
          ),
        );
      }
    } else if (!names.includes(key)) {
      const known = names.length > 0 ? names.join(', ') : 'none';
      issues.push(
        specIssue(
          'templateParameters',
          `has unknown parameter "${key}" (template "${template.id}" declares: ${known})`,
        ),
      );
    }
  }
  for (const parameter of declared) {
    if (parameter.default !== undefined)
      defaults[parameter.name] = parameter.default;
    const value = given[parameter.name] ?? defaults[parameter.name];
    if (value === undefined || value === null) {
      if (parameter.required) {
        issues.push(
          specIssue(
            'templateParameters',
            `parameter "${parameter.name}" is required`,
          ),
        );
      }
    } else if (typeof value !== parameter.type) {
      issues.push(
        specIssue(
          'templateParameters',
          `parameter "${parameter.name}" must be a ${parameter.type}`,
        ),
      );
    }
  }
  const merged = { ...fixed, ...defaults, ...given };
  // No parameters at all stays absent rather than "{}", so it does not show up in the spec (and its hash).
  const value =
    Object.keys(merged).length > 0 ? JSON.stringify(merged) : undefined;
  return { value, issues };
}

function specIssue(field: string, message: string): z.core.$ZodIssue {
  return { code: 'custom', path: ['spec', field], message };
}

function valueAt(source: unknown, path: string): unknown {
  let value: unknown = source;
  for (const key of path.split('.')) {
    if (!isPlainObject(value)) return undefined;
    value = value[key];
  }
  return value;
}

/** templateParameters are compared as the objects they hold: whitespace or key order is not a change. */
function sameFieldValue(
  path: TemplateFieldPath,
  a: unknown,
  b: unknown,
): boolean {
  if (
    path === 'templateParameters' &&
    typeof a === 'string' &&
    typeof b === 'string'
  ) {
    const left = parseJsonObject(a);
    const right = parseJsonObject(b);
    if (left && right) return canonicalJson(left) === canonicalJson(right);
  }
  return canonicalJson(a) === canonicalJson(b);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as T;
}
