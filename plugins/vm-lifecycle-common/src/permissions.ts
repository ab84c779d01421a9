import { createPermission } from '@backstage/plugin-permission-common';

/** Resource type of a ComputeInstance in the permission framework. */
export const VM_INSTANCE_RESOURCE_TYPE = 'vm-lifecycle-instance';

/**
 * Basic, not resource-scoped: there is no instance to decide on before it exists, so a policy
 * can only allow or deny requesting one.
 */
export const vmInstanceCreatePermission = createPermission({
  name: 'vm-lifecycle.instance.create',
  attributes: { action: 'create' },
});

export const vmInstanceReadPermission = createPermission({
  name: 'vm-lifecycle.instance.read',
  attributes: { action: 'read' },
  resourceType: VM_INSTANCE_RESOURCE_TYPE,
});

/** Covers changing the run strategy and requesting a restart. */
export const vmInstanceUpdatePermission = createPermission({
  name: 'vm-lifecycle.instance.update',
  attributes: { action: 'update' },
  resourceType: VM_INSTANCE_RESOURCE_TYPE,
});

export const vmInstanceDeletePermission = createPermission({
  name: 'vm-lifecycle.instance.delete',
  attributes: { action: 'delete' },
  resourceType: VM_INSTANCE_RESOURCE_TYPE,
});

/**
 * "Retry now" on a stuck deletion: skip the backoff, read the jobs' live state again. Harmless (the
 * controller's rules still hold), so the default policy grants it like delete.
 */
export const vmInstanceDeletionRetryPermission = createPermission({
  name: 'vm-lifecycle.instance.deletion.retry',
  attributes: { action: 'update' },
  resourceType: VM_INSTANCE_RESOURCE_TYPE,
});

/**
 * "Release" a stuck deletion: remove the finalizers without a successful deprovision, after the
 * admin confirms the VM is gone or accepts that it may be orphaned. Admins only in the default policy.
 */
export const vmInstanceDeletionReleasePermission = createPermission({
  name: 'vm-lifecycle.instance.deletion.release',
  attributes: { action: 'delete' },
  resourceType: VM_INSTANCE_RESOURCE_TYPE,
});

/**
 * Moving a VM's expiry later, within its template's maximum lifetime. Granted like update (the
 * requester, the owner group, admins) by the default policy; audited.
 */
export const vmInstanceExpiryExtendPermission = createPermission({
  name: 'vm-lifecycle.instance.expiry.extend',
  attributes: { action: 'update' },
  resourceType: VM_INSTANCE_RESOURCE_TYPE,
});

/** Operator actions across all instances (e.g. seeing every namespace); no CRUD action implied. */
export const vmAdminPermission = createPermission({
  name: 'vm-lifecycle.admin',
  attributes: {},
});

/** Everything to register with the permissions registry. */
export const vmLifecyclePermissions = [
  vmInstanceCreatePermission,
  vmInstanceReadPermission,
  vmInstanceUpdatePermission,
  vmInstanceDeletePermission,
  vmInstanceDeletionRetryPermission,
  vmInstanceDeletionReleasePermission,
  vmInstanceExpiryExtendPermission,
  vmAdminPermission,
];

/**
 * Names of the permission rules on instances. The rules are implemented in the backend; the
 * names live here so a policy (and the frontend) can build conditions without importing it.
 */
export const VM_INSTANCE_RULES = {
  /** The instance's requested-by annotation is the caller. */
  IS_REQUESTER: 'IS_REQUESTER',
  /** The instance's owner annotation is one of the caller's ownership claims (user or groups). */
  IS_OWNER: 'IS_OWNER',
} as const;

export type VmInstanceRuleName =
  (typeof VM_INSTANCE_RULES)[keyof typeof VM_INSTANCE_RULES];

/** Parameters of IS_REQUESTER (a type alias, not an interface, to satisfy PermissionRuleParams' index signature): the caller's user entity ref, filled in by the policy. */
export type IsRequesterParams = { userEntityRef: string };

/** Parameters of IS_OWNER: the caller's ownership entity refs (user ref and group refs). */
export type IsOwnerParams = { claims: string[] };
