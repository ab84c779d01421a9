import { Config } from '@backstage/config';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  QUOTA_RESOURCES,
  QuotaLimits,
  QuotaResource,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/** vmLifecycle.quotas, checked at startup. */
export interface QuotaSettings {
  /** Limits of a user's own VMs (those without an owner annotation). */
  defaultUser?: QuotaLimits;
  /** Limits of an owner group without an entry in `groups`; absent: such groups have none. */
  defaultGroup?: QuotaLimits;
  /** Limits per group entity ref (normalised, e.g. group:default/team-a). */
  groups: Map<string, QuotaLimits>;
}

const KEYS: Record<QuotaResource, string> = {
  instances: 'maxInstances',
  cores: 'cores',
  memoryGiB: 'memoryGiB',
  diskGiB: 'diskGiB',
};

function readLimits(config: Config, path: string): QuotaLimits {
  const limits: QuotaLimits = {};
  const known = new Set(Object.values(KEYS));
  for (const key of config.keys()) {
    if (key !== 'group' && !known.has(key))
      throw new Error(
        `Invalid config ${path}.${key}: unknown quota key (expected ${[...known].join(', ')})`,
      );
  }
  for (const resource of QUOTA_RESOURCES) {
    const value = config.getOptionalNumber(KEYS[resource]);
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 0)
      throw new Error(
        `Invalid config ${path}.${KEYS[resource]}: must be an integer >= 0`,
      );
    limits[resource] = value;
  }
  return limits;
}

export function readQuotaSettings(vmLifecycle?: Config): QuotaSettings {
  const c = vmLifecycle?.getOptionalConfig('quotas');
  const groups = new Map<string, QuotaLimits>();
  c?.getOptionalConfigArray('groups')?.forEach((entry, index) => {
    const path = `vmLifecycle.quotas.groups[${index}]`;
    const raw = entry.getString('group');
    let ref: string;
    try {
      ref = stringifyEntityRef(
        parseEntityRef(raw, {
          defaultKind: 'group',
          defaultNamespace: 'default',
        }),
      );
    } catch {
      throw new Error(
        `Invalid config ${path}.group: "${raw}" is not an entity ref such as group:default/team-a`,
      );
    }
    if (groups.has(ref))
      throw new Error(`Invalid config ${path}.group: ${ref} is listed twice`);
    groups.set(ref, readLimits(entry, path));
  });
  const defaultUser = c?.getOptionalConfig('defaultUser');
  const defaultGroup = c?.getOptionalConfig('defaultGroup');
  return {
    defaultUser: defaultUser
      ? readLimits(defaultUser, 'vmLifecycle.quotas.defaultUser')
      : undefined,
    defaultGroup: defaultGroup
      ? readLimits(defaultGroup, 'vmLifecycle.quotas.defaultGroup')
      : undefined,
    groups,
  };
}
