import { InputError } from '@backstage/errors';
import {
  isRfc1123Label,
  MESSAGES,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Router } from 'express';

/**
 * AAP job ids ("42", "workflow-42"), EDA pseudo ids ("eda-webhook-3") and whatever another provider
 * records: a path segment of its own that starts with a letter or digit, so never `.` or `..`.
 */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Kubernetes uids are UUIDs; the database store makes UUIDs too. */
const UID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

const RULES: Record<string, { test(value: string): boolean; rule: string }> = {
  namespace: { test: isRfc1123Label, rule: MESSAGES.rfc1123Label },
  name: { test: isRfc1123Label, rule: MESSAGES.rfc1123Label },
  jobID: {
    test: value => JOB_ID.test(value),
    rule: "must be a job id (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters)",
  },
  uid: {
    test: value => UID.test(value),
    rule: "must be an instance uid (letters, digits and '-', at most 64 characters)",
  },
};

/**
 * Checks `:namespace`, `:name` and `:jobID` before any handler runs. Express hands handlers the
 * decoded segment, so `%2e` arrives as `.`; in cluster mode the Kubernetes client then resolves
 * `computeinstances/.` to the collection (a DELETE there deletes every instance of the namespace),
 * and `../.` reaches the cluster-wide list. Names are RFC 1123 labels, as the CRD allows them.
 */
export function validatePathParameters(router: Router): void {
  for (const [parameter, { test, rule }] of Object.entries(RULES)) {
    router.param(parameter, (_req, _res, next, value: unknown) => {
      if (typeof value === 'string' && test(value)) {
        next();
        return;
      }
      next(
        new InputError(
          `path parameter ${parameter}: ${describe(value)} ${rule}`,
        ),
      );
    });
  }
}

/** The value as the caller sent it, shortened: an error message is no place for a 64 KiB echo. */
function describe(value: unknown): string {
  const text = JSON.stringify(String(value));
  return text.length > 80 ? `${text.slice(0, 77)}…"` : text;
}
