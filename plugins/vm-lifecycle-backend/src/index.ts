/**
 * The vm-lifecycle backend plugin: a ComputeInstance controller that drives Ansible Automation Platform.
 *
 * @packageDocumentation
 */
export { vmLifecyclePlugin as default } from './plugin';
