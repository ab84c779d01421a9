import {
  QUOTA_RESOURCES,
  QUOTA_RESOURCE_LABELS,
  QuotaAmounts,
  QuotaStatus,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { RequestFormValues } from './requestForm';

/** What the form's VM would count against a quota; undefined while a size is not a number yet. */
export function amountsOfForm(
  values: Pick<
    RequestFormValues,
    'cores' | 'memoryGiB' | 'bootDiskGiB' | 'additionalDisks'
  >,
): QuotaAmounts | undefined {
  const int = (text: string) =>
    /^\s*\d+\s*$/.test(text) ? Number(text) : undefined;
  const cores = int(values.cores);
  const memoryGiB = int(values.memoryGiB);
  const boot = int(values.bootDiskGiB);
  const disks = values.additionalDisks
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)
    .map(int);
  if (
    cores === undefined ||
    memoryGiB === undefined ||
    boot === undefined ||
    disks.some(d => d === undefined)
  )
    return undefined;
  return {
    instances: 1,
    cores,
    memoryGiB,
    diskGiB: boot + disks.reduce<number>((sum, d) => sum + (d ?? 0), 0),
  };
}

/** The quota a new VM counts against: the owner group's when it has one, else the caller's own. */
export function applicableQuota(
  quotas: QuotaStatus[],
  owner: string | undefined,
): QuotaStatus | undefined {
  if (owner) return quotas.find(q => q.subject === owner);
  return quotas.find(q => q.kind === 'user');
}

export interface QuotaLine {
  resource: (typeof QUOTA_RESOURCES)[number];
  label: string;
  used: number;
  requested: number;
  limit?: number;
  over: boolean;
}

/** One line per resource: in use, this request, the limit, and whether it would go over. */
export function quotaLines(
  quota: QuotaStatus,
  request: QuotaAmounts | undefined,
): QuotaLine[] {
  return QUOTA_RESOURCES.map(resource => {
    const limit = quota.limits[resource];
    const requested = request?.[resource] ?? 0;
    const used = quota.used[resource];
    return {
      resource,
      label: QUOTA_RESOURCE_LABELS[resource],
      used,
      requested,
      limit,
      over: limit !== undefined && used + requested > limit,
    };
  });
}
