import { InputError } from '@backstage/errors';
import {
  ApiGroupNames,
  createInstanceRequestSchema,
  CreateInstanceRequest,
  describeZodIssues,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/** The create action's inputs that make the request body. */
export interface CreateInputs {
  name: string;
  namespace?: string;
  templateID: string;
  owner?: string;
  component?: string;
  spec?: Record<string, unknown>;
}

/** Which action input a path of the request body comes from, so errors name what the template author wrote. */
function inputName(path: Array<string | number>, names: ApiGroupNames) {
  const [root, key, annotation] = path;
  if (root === 'metadata' && key === 'annotations') {
    if (annotation === names.ownerAnnotation) return 'owner';
    if (annotation === names.componentAnnotation) return 'component';
  }
  if (root === 'metadata' && typeof key === 'string') return key;
  if (root === 'spec' && key === 'templateID') return 'templateID';
  return path
    .map(s => (typeof s === 'number' ? `[${s}]` : s))
    .join('.')
    .replace(/\.\[/g, '[');
}

/**
 * Builds the POST /instances body and validates it with the shared schema (the one the REST API
 * applies), so a bad input fails the step before anything is requested, naming the input.
 */
export function buildCreateRequest(
  inputs: CreateInputs,
  names: ApiGroupNames,
): CreateInstanceRequest {
  const annotations: Record<string, string> = {};
  if (inputs.owner !== undefined)
    annotations[names.ownerAnnotation] = inputs.owner;
  if (inputs.component !== undefined)
    annotations[names.componentAnnotation] = inputs.component;
  const body = {
    metadata: {
      name: inputs.name,
      ...(inputs.namespace !== undefined
        ? { namespace: inputs.namespace }
        : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: { ...(inputs.spec ?? {}), templateID: inputs.templateID },
  };
  const parsed = createInstanceRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issues = describeZodIssues(parsed.error).map(
      issue => `input ${inputName(issue.path, names)}: ${issue.message}`,
    );
    throw new InputError(`Invalid VM request: ${issues.join('; ')}`);
  }
  return parsed.data;
}
