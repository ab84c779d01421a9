import { z } from 'zod';
import { ComputeInstanceSpec } from './types';

/**
 * The four things a quota counts. A limit that is absent is no limit; usage always has all four.
 * Disk is the boot disk plus every additional disk.
 */
export const QUOTA_RESOURCES = [
  'instances',
  'cores',
  'memoryGiB',
  'diskGiB',
] as const;

export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

export type QuotaAmounts = Record<QuotaResource, number>;

export type QuotaLimits = Partial<QuotaAmounts>;

const amount = z.number().int().nonnegative();

export const quotaAmountsSchema = z.object({
  instances: amount,
  cores: amount,
  memoryGiB: amount,
  diskGiB: amount,
});

export const quotaLimitsSchema = quotaAmountsSchema.partial();

/** One quota subject as GET /quotas answers it: whose it is, its limits and what is in use. */
export const quotaStatusSchema = z.object({
  /** Entity ref of the group or user that is charged. */
  subject: z.string(),
  kind: z.enum(['group', 'user']),
  /** Why these limits: a configured entry, or the default for users or groups. */
  source: z.enum(['configured', 'default', 'none']),
  limits: quotaLimitsSchema,
  used: quotaAmountsSchema,
});

export type QuotaStatus = z.output<typeof quotaStatusSchema>;

export const quotasResponseSchema = z.object({
  items: z.array(quotaStatusSchema),
});

export type QuotasResponse = z.output<typeof quotasResponseSchema>;

/** Human names, in the order a refusal names them. */
export const QUOTA_RESOURCE_LABELS: Record<QuotaResource, string> = {
  instances: 'VMs',
  cores: 'cores',
  memoryGiB: 'memory GiB',
  diskGiB: 'disk GiB',
};

/** What one VM with this spec counts against a quota. */
export function quotaAmountsOfSpec(
  spec: Pick<
    ComputeInstanceSpec,
    'cores' | 'memoryGiB' | 'bootDisk' | 'additionalDisks'
  >,
): QuotaAmounts {
  const additional = (spec.additionalDisks ?? []).reduce(
    (sum, disk) => sum + disk.sizeGiB,
    0,
  );
  return {
    instances: 1,
    cores: spec.cores,
    memoryGiB: spec.memoryGiB,
    diskGiB: spec.bootDisk.sizeGiB + additional,
  };
}

export interface QuotaExcess {
  resource: QuotaResource;
  limit: number;
  used: number;
  requested: number;
}

/** Every resource that `request` would take over its limit, given `used`. */
export function quotaExcesses(
  limits: QuotaLimits,
  used: QuotaAmounts,
  request: QuotaAmounts,
): QuotaExcess[] {
  return QUOTA_RESOURCES.flatMap(resource => {
    const limit = limits[resource];
    if (limit === undefined || request[resource] === 0) return [];
    return used[resource] + request[resource] > limit
      ? [
          {
            resource,
            limit,
            used: used[resource],
            requested: request[resource],
          },
        ]
      : [];
  });
}

/** "quota of group:default/team-a: cores 14 of 16 used, this request needs 4" */
export function formatQuotaRefusal(
  subject: string,
  excesses: QuotaExcess[],
): string {
  const parts = excesses.map(
    e =>
      `${QUOTA_RESOURCE_LABELS[e.resource]} ${e.used} of ${e.limit} used, this request needs ${e.requested}`,
  );
  return `quota of ${subject}: ${parts.join('; ')}`;
}

/**
 * Which quota a VM counts against: its owner group when it has an owner annotation (the VM is the
 * team's, whoever asked for it), else the user who requested it.
 */
export function quotaSubjectOf(
  owner: string | undefined,
  requestedBy: string | undefined,
): string | undefined {
  return owner || requestedBy || undefined;
}

export const ZERO_QUOTA_AMOUNTS: QuotaAmounts = {
  instances: 0,
  cores: 0,
  memoryGiB: 0,
  diskGiB: 0,
};
