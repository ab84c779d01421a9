import { z } from 'zod';
import { MESSAGES } from './messages';

export interface FieldIssue {
  /** Dotted path from the validated value's root, e.g. spec.additionalDisks[0].sizeGiB; '' for the root. */
  field: string;
  /** The rule the value breaks, worded for the person who typed it. */
  message: string;
  /** The same path as segments, for forms that key their fields by path. */
  path: Array<string | number>;
}

/** Accepts anything with zod-style issues, so errors built by hand (safeApplyTemplateDefaults) work too. */
export type IssueSource = Pick<z.ZodError, 'issues'>;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** One entry per field and rule; an unknown key is its own field, so a form can mark it. */
export function describeZodIssues(error: IssueSource): FieldIssue[] {
  const described: FieldIssue[] = [];
  const seen = new Set<string>();
  const add = (rawPath: readonly PropertyKey[], message: string) => {
    // Our schemas key by strings and indices only; a symbol key cannot come from JSON.
    const path = rawPath.map(segment =>
      typeof segment === 'number' ? segment : String(segment),
    );
    const field = formatPath(path);
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    described.push({ field, message, path });
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        add([...issue.path, key], MESSAGES.unknownField);
    } else {
      add(issue.path, issue.message);
    }
  }
  return described;
}

/** All issues in one line, for an InputError message: "spec.cores: must be ...; spec.foo: unknown field". */
export function formatValidationError(error: IssueSource): string {
  return describeZodIssues(error)
    .map(({ field, message }) => `${field || 'body'}: ${message}`)
    .join('; ');
}

/** metadata.annotations["example.com/owner"], spec.additionalDisks[0].sizeGiB */
export function formatPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    if (!IDENTIFIER.test(segment)) return `${text}[${JSON.stringify(segment)}]`;
    return text ? `${text}.${segment}` : segment;
  }, '');
}
