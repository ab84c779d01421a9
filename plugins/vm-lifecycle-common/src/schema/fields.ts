import { z } from 'zod';
import { MESSAGES, oneOf } from './messages';
import {
  isAnnotationKey,
  isJsonObjectString,
  isRfc1123Label,
  isRfc3339Timestamp,
  isTemplateId,
} from './rules';

/**
 * Create-params that make every issue a schema raises about its own value (wrong type, value not
 * in the enum) read as the rule itself, and a missing value read "is required". Without it zod's
 * defaults ("Expected number, received string") would reach users of the form.
 */
export function ruleParams(message: string): { errorMap: z.ZodErrorMap } {
  return {
    errorMap: (issue, ctx) => {
      // Strict objects raise this one themselves; say which keys, for callers reading error.message.
      if (issue.code === z.ZodIssueCode.unrecognized_keys) {
        return {
          message: `${MESSAGES.unknownField}: ${issue.keys.join(', ')}`,
        };
      }
      return { message: ctx.data === undefined ? MESSAGES.required : message };
    },
  };
}

export const stringSchema = z.string(ruleParams(MESSAGES.string));

export const nonEmptyStringSchema = z
  .string(ruleParams(MESSAGES.nonEmptyString))
  .min(1, MESSAGES.nonEmptyString);

/** A strict object: keys outside the shape are refused (reported as "unknown field"), never stripped. */
export function strictObject<T extends z.ZodRawShape>(shape: T) {
  return z.object(shape, ruleParams(MESSAGES.object)).strict();
}

/** A whole number in [min, max]; one message for every way to miss it, wrong type included. */
export function integerSchema(
  min: number,
  max: number | undefined,
  message: string,
) {
  const base = z.number(ruleParams(message)).int(message).min(min, message);
  return max === undefined ? base : base.max(max, message);
}

/** z.enum over a readonly list (such as JOB_STATES), with the allowed values in the message. */
export function enumSchema<T extends string>(values: readonly T[]) {
  if (values.length === 0)
    throw new Error('enumSchema needs at least one value');
  // The list is checked non-empty above; zod's tuple type cannot express that for a readonly array.
  const tuple = [...values] as [T, ...T[]];
  return z.enum(tuple, ruleParams(oneOf(values)));
}

const rfc1123LabelSchema = z
  .string(ruleParams(MESSAGES.rfc1123Label))
  .refine(isRfc1123Label, MESSAGES.rfc1123Label);

export const instanceNameSchema = rfc1123LabelSchema;
export const namespaceSchema = rfc1123LabelSchema;

export const templateIdSchema = z
  .string(ruleParams(MESSAGES.templateId))
  .refine(isTemplateId, MESSAGES.templateId);

export const rfc3339TimestampSchema = z
  .string(ruleParams(MESSAGES.rfc3339))
  .refine(isRfc3339Timestamp, MESSAGES.rfc3339);

export const templateParametersSchema = z
  .string(ruleParams(MESSAGES.templateParameters))
  .refine(isJsonObjectString, MESSAGES.templateParameters);

export const annotationsSchema = z.record(
  z.string().refine(isAnnotationKey, MESSAGES.annotationKey),
  stringSchema,
  ruleParams(MESSAGES.object),
);
