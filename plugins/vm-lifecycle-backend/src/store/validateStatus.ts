import { InputError } from '@backstage/errors';
import {
  ComputeInstanceStatus,
  computeInstanceStatusSchema,
  describeZodIssues,
  formatPath,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/*
 * Schema validation of the status subresource, playing the role the CRD's OpenAPI schema plays in a
 * cluster: a status the schema does not describe is refused as a whole, so a bad write fails loudly
 * instead of half-landing. The schema is the one in -common (the CRD agreement test holds both to the
 * same rules), so a state the controller can write and the store refuses cannot appear: the original
 * operator shipped a CRD without `Canceled`, every status write was refused, and it kept launching
 * jobs. Inside the known fields unknown keys are refused; at the top level they are kept, because
 * other writers (playbooks, OSAC's other controllers, a newer CRD) own status fields we do not know,
 * and refusing them would fail every later status write of ours on that object.
 */

/**
 * Throws an `InputError` naming every offending field (e.g. `status.provisioningJobs[0].state`) and
 * the value found there, if `status` does not match the ComputeInstance status schema.
 */
export function validateStatus(
  status: unknown,
): asserts status is ComputeInstanceStatus {
  const parsed = computeInstanceStatusSchema.safeParse(status, {
    reportInput: true,
  });
  if (parsed.success) return;
  const inputs = new Map(
    parsed.error.issues.map(issue => [
      formatPath(
        issue.path.map(key => (typeof key === 'number' ? key : String(key))),
      ),
      issue.input,
    ]),
  );
  const problems = describeZodIssues(parsed.error).map(issue => {
    const path = formatPath(['status', ...issue.path]);
    const found = inputs.has(issue.field) ? inputs.get(issue.field) : undefined;
    return found === undefined || typeof found === 'object'
      ? `${path} ${issue.message}`
      : `${path} ${issue.message} (got ${JSON.stringify(found)})`;
  });
  throw new InputError(
    `Invalid ComputeInstance status: ${problems.join('; ')}`,
  );
}
