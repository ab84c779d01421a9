import { isResourcePermission } from '@backstage/plugin-permission-common';
import {
  VM_INSTANCE_RESOURCE_TYPE,
  VM_INSTANCE_RULES,
  vmAdminPermission,
  vmInstanceCreatePermission,
  vmInstanceDeletePermission,
  vmInstanceReadPermission,
  vmInstanceUpdatePermission,
  vmLifecyclePermissions,
} from './permissions';

describe('permissions', () => {
  it('create and admin are basic permissions', () => {
    expect(vmInstanceCreatePermission).toEqual({
      type: 'basic',
      name: 'vm-lifecycle.instance.create',
      attributes: { action: 'create' },
    });
    expect(vmAdminPermission).toEqual({
      type: 'basic',
      name: 'vm-lifecycle.admin',
      attributes: {},
    });
  });

  it.each([
    [vmInstanceReadPermission, 'vm-lifecycle.instance.read', 'read'],
    [vmInstanceUpdatePermission, 'vm-lifecycle.instance.update', 'update'],
    [vmInstanceDeletePermission, 'vm-lifecycle.instance.delete', 'delete'],
  ])('%p is a resource permission on instances', (permission, name, action) => {
    expect(permission).toEqual({
      type: 'resource',
      name,
      attributes: { action },
      resourceType: 'vm-lifecycle-instance',
    });
    expect(isResourcePermission(permission, VM_INSTANCE_RESOURCE_TYPE)).toBe(
      true,
    );
  });

  it('lists every permission once for the registry', () => {
    const names = vmLifecyclePermissions.map(p => p.name);
    expect(names).toEqual([
      'vm-lifecycle.instance.create',
      'vm-lifecycle.instance.read',
      'vm-lifecycle.instance.update',
      'vm-lifecycle.instance.delete',
      'vm-lifecycle.instance.deletion.retry',
      'vm-lifecycle.instance.deletion.release',
      'vm-lifecycle.instance.expiry.extend',
      'vm-lifecycle.admin',
    ]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('names the instance rules', () => {
    expect(VM_INSTANCE_RULES).toEqual({
      IS_REQUESTER: 'IS_REQUESTER',
      IS_OWNER: 'IS_OWNER',
    });
  });
});
