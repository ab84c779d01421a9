import { z } from 'zod';
import { rfc3339TimestampSchema, strictObject } from './fields';

const DAY_MS = 24 * 60 * 60_000;

const days = z
  .number({ message: 'must be a number of days greater than 0' })
  .positive('must be a number of days greater than 0')
  .max(3650, 'must be at most 3650 days');

/**
 * A template's lifetime for its VMs: the expiry a request gets when it names none, and the latest
 * expiry that a request or an extension may set, both counted from the VM's creation.
 */
export const templateLifetimeSchema = strictObject({
  defaultDays: days,
  maxDays: days,
}).superRefine((lifetime, ctx) => {
  if (lifetime.defaultDays > lifetime.maxDays) {
    ctx.addIssue({
      code: 'custom',
      path: ['defaultDays'],
      message: 'must not be longer than maxDays',
    });
  }
});

export type TemplateLifetime = z.output<typeof templateLifetimeSchema>;

/** Body of POST /instances/:namespace/:name/expiry. */
export const extendExpiryRequestSchema = strictObject({
  expiresAt: rfc3339TimestampSchema,
});

export type ExtendExpiryRequest = z.output<typeof extendExpiryRequestSchema>;

export interface ExpiryBounds {
  /** ISO time: the expiry a request that names none gets. */
  defaultExpiresAt: string;
  /** ISO time: no expiry may be later. */
  maxExpiresAt: string;
}

/** The default and latest expiry of a VM of this lifetime created at `createdAt`. */
export function expiryBounds(
  lifetime: TemplateLifetime,
  createdAt: Date | string,
): ExpiryBounds {
  const start = new Date(createdAt).getTime();
  return {
    defaultExpiresAt: new Date(
      start + lifetime.defaultDays * DAY_MS,
    ).toISOString(),
    maxExpiresAt: new Date(start + lifetime.maxDays * DAY_MS).toISOString(),
  };
}

/**
 * Why `expiresAt` is not allowed (undefined when it is): it must lie after `now` and not after the
 * template's maximum counted from `createdAt`.
 */
export function expiryProblem(
  expiresAt: string,
  lifetime: TemplateLifetime,
  createdAt: Date | string,
  now: Date,
): string | undefined {
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return 'must be an RFC 3339 timestamp';
  if (at <= now.getTime()) return 'must be in the future';
  const { maxExpiresAt } = expiryBounds(lifetime, createdAt);
  if (at > Date.parse(maxExpiresAt))
    return `must not be later than ${maxExpiresAt} (the template allows at most ${lifetime.maxDays} days from creation)`;
  return undefined;
}
