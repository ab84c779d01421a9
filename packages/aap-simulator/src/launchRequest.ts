import { HttpError } from './http';
import type { SimTemplate } from './templates';

/** Launch-time prompts AWX knows; our templates prompt for none of them except (optionally) extra_vars. */
const PROMPT_FIELDS = [
  'inventory',
  'limit',
  'scm_branch',
  'job_type',
  'job_tags',
  'skip_tags',
  'verbosity',
  'diff_mode',
  'credentials',
  'forks',
  'timeout',
  'job_slice_count',
  'instance_groups',
  'labels',
  'execution_environment',
];

export interface AcceptedLaunch {
  extraVars: Record<string, unknown>;
  ignoredFields: Record<string, unknown>;
}

/**
 * Applies AWX's launch rules to a request body. A template that does not ask for variables on launch
 * still answers 201 but drops them and lists them in `ignored_fields`: the silent misconfiguration
 * the production client must detect.
 */
export function acceptLaunch(
  body: Record<string, unknown>,
  template: SimTemplate,
): AcceptedLaunch {
  const extraVars = parseExtraVars(body.extra_vars);
  const ignoredFields: Record<string, unknown> = {};
  for (const field of PROMPT_FIELDS) {
    if (body[field] !== undefined) ignoredFields[field] = body[field];
  }
  if (!template.askVariablesOnLaunch && Object.keys(extraVars).length > 0) {
    ignoredFields.extra_vars = extraVars;
    return { extraVars: {}, ignoredFields };
  }
  return { extraVars, ignoredFields };
}

/** AWX accepts extra_vars as an object or as a string holding JSON (or YAML, which we do not parse). */
function parseExtraVars(raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') return {};
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new HttpError(400, {
        extra_vars: [
          `Cannot parse as JSON (error: ${(error as Error).message}) or YAML.`,
        ],
      });
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, {
      extra_vars: ['Must be a valid JSON or YAML dictionary.'],
    });
  }
  return value as Record<string, unknown>;
}
