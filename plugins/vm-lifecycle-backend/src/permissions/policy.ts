import { Config } from '@backstage/config';
import {
  AuthorizeResult,
  isPermission,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  vmAdminPermission,
  vmInstanceCreatePermission,
  VM_INSTANCE_RESOURCE_TYPE,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  createVmInstanceConditionalDecision,
  vmInstanceConditions,
} from './rules';

/**
 * A ready-made permission policy for VMs (the sandbox uses it): anyone signed in may request a VM; a user may read and
 * manage the instances they requested or that a group of theirs owns; members of
 * `vmLifecycle.adminGroups` may do everything. Other plugins' permissions are allowed.
 */
export class VmLifecyclePermissionPolicy implements PermissionPolicy {
  constructor(private readonly adminGroups: string[]) {}

  static fromConfig(config: Config): VmLifecyclePermissionPolicy {
    return new VmLifecyclePermissionPolicy(
      config.getOptionalStringArray('vmLifecycle.adminGroups') ?? [],
    );
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (!permission.name.startsWith('vm-lifecycle.')) {
      return { result: AuthorizeResult.ALLOW };
    }
    const claims = user?.info.ownershipEntityRefs ?? [];
    const isAdmin = claims.some(ref => this.adminGroups.includes(ref));
    if (isAdmin) return { result: AuthorizeResult.ALLOW };
    if (isPermission(permission, vmAdminPermission))
      return { result: AuthorizeResult.DENY };
    if (isPermission(permission, vmInstanceCreatePermission)) {
      return { result: user ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
    }
    if (user && isResourcePermission(permission, VM_INSTANCE_RESOURCE_TYPE)) {
      return createVmInstanceConditionalDecision(permission, {
        anyOf: [
          vmInstanceConditions.isRequester({
            userEntityRef: user.info.userEntityRef,
          }),
          vmInstanceConditions.isOwner({ claims }),
        ],
      });
    }
    return { result: AuthorizeResult.DENY };
  }
}
