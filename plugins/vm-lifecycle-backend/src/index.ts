/**
 * The vm-lifecycle backend plugin: a ComputeInstance controller that drives Ansible Automation Platform.
 *
 * @packageDocumentation
 */
export { vmLifecyclePlugin as default } from './plugin';
export {
  vmInstanceConditions,
  createVmInstanceConditionalDecision,
  vmInstanceResourceRef,
} from './permissions/rules';
export type { InstanceQuery } from './permissions/rules';
export {
  VmLifecyclePermissionPolicy,
  type VmLifecyclePermissionPolicyOptions,
} from './permissions/policy';
