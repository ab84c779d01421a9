import { Config } from '@backstage/config';
import {
  AuthorizeResult,
  isPermission,
  isResourcePermission,
  Permission,
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
  vmInstanceDeletionReleasePermission,
  vmLifecyclePermissions,
  VM_INSTANCE_RESOURCE_TYPE,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  createVmInstanceConditionalDecision,
  vmInstanceConditions,
} from './rules';

export interface VmLifecyclePermissionPolicyOptions {
  /** Entity refs of groups whose members may do everything with VMs (vmLifecycle.adminGroups). */
  adminGroups: string[];
  /**
   * Decides every permission that is not ours (catalog, scaffolder, ...): the policy your portal
   * would use without this plugin. Required, so that adding the plugin never widens access.
   */
  delegate: PermissionPolicy;
}

/**
 * A ready-made permission policy for VMs: anyone signed in may request a VM; a user may read and
 * manage the instances they requested or that a group of theirs owns; members of `adminGroups` may
 * do everything. It decides only the `vm-lifecycle.*` permissions and hands every other plugin's
 * permission to `delegate` unchanged; it never allows anything of another plugin by itself.
 *
 * @public
 */
export class VmLifecyclePermissionPolicy implements PermissionPolicy {
  private readonly adminGroups: string[];
  private readonly delegate: PermissionPolicy;

  constructor(options: VmLifecyclePermissionPolicyOptions) {
    if (typeof options?.delegate?.handle !== 'function') {
      throw new Error(
        "VmLifecyclePermissionPolicy needs a delegate policy for other plugins' permissions (options.delegate)",
      );
    }
    this.adminGroups = options.adminGroups;
    this.delegate = options.delegate;
  }

  /** Admin groups from vmLifecycle.adminGroups. */
  static fromConfig(
    config: Config,
    options: { delegate: PermissionPolicy },
  ): VmLifecyclePermissionPolicy {
    return new VmLifecyclePermissionPolicy({
      adminGroups:
        config.getOptionalStringArray('vmLifecycle.adminGroups') ?? [],
      delegate: options.delegate,
    });
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (!isVmLifecyclePermission(permission)) {
      return this.delegate.handle(request, user);
    }
    const claims = user?.info.ownershipEntityRefs ?? [];
    const isAdmin = claims.some(ref => this.adminGroups.includes(ref));
    if (isAdmin) return { result: AuthorizeResult.ALLOW };
    if (
      isPermission(permission, vmAdminPermission) ||
      isPermission(permission, vmInstanceDeletionReleasePermission)
    )
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

/** Ours by name, and by registration: a look-alike name of another plugin is not ours. */
function isVmLifecyclePermission(permission: Permission): boolean {
  return vmLifecyclePermissions.some(p => p.name === permission.name);
}
