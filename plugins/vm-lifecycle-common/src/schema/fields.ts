import { z } from 'zod';
import { SPEC_LIMITS } from './limits';
import { atMostCharacters, MESSAGES, oneOf } from './messages';
import {
  isAnnotationKey,
  isJsonObjectString,
  jsonNestingDepth,
  isRfc1123Label,
  isRfc3339Timestamp,
  isTemplateId,
} from './rules';

/**
 * Create-params that make every issue a schema raises about its own value (wrong type, value not
 * in the enum) read as the rule itself, and a missing value read "is required". Without it zod's
 * defaults ("Invalid input: expected number, received string") would reach users of the form.
 */
export function ruleParams(message: string): { error: z.core.$ZodErrorMap } {
  return {
    error: issue => {
      // Strict objects raise this one themselves; say which keys, for callers reading error.message.
      if (issue.code === 'unrecognized_keys') {
        return `${MESSAGES.unknownField}: ${issue.keys.join(', ')}`;
      }
      return issue.input === undefined ? MESSAGES.required : message;
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

/** A string of at most `limit` characters, the message saying so. */
export function boundedStringSchema(limit: number) {
  return stringSchema.max(limit, atMostCharacters(limit));
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
  .max(SPEC_LIMITS.templateID, atMostCharacters(SPEC_LIMITS.templateID))
  .refine(isTemplateId, MESSAGES.templateId);

export const rfc3339TimestampSchema = z
  .string(ruleParams(MESSAGES.rfc3339))
  .refine(isRfc3339Timestamp, MESSAGES.rfc3339);

/** Size and depth are checked first, and stop the checks after them, which parse the text. */
export const templateParametersSchema = z
  .string(ruleParams(MESSAGES.templateParameters))
  .max(SPEC_LIMITS.templateParameters, {
    message: MESSAGES.templateParametersLength,
    abort: true,
  })
  .refine(
    text => jsonNestingDepth(text) <= SPEC_LIMITS.templateParametersDepth,
    { message: MESSAGES.templateParametersDepth, abort: true },
  )
  .refine(isJsonObjectString, MESSAGES.templateParameters);

/** A bad key is reported at its own path with the key rule, not as zod's "invalid key in record". */
export const annotationsSchema = z.record(
  z.string().refine(isAnnotationKey),
  stringSchema,
  {
    error: issue =>
      issue.code === 'invalid_key'
        ? MESSAGES.annotationKey
        : ruleParams(MESSAGES.object).error(issue),
  },
);
