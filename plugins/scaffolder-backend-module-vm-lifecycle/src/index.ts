/**
 * Scaffolder actions of the vm-lifecycle plugin: request and delete VMs from Software Templates.
 *
 * @packageDocumentation
 */
export { scaffolderModuleVmLifecycle as default } from './module';
export { createVmInstanceCreateAction } from './actions/createInstance';
export { createVmInstanceDeleteAction } from './actions/deleteInstance';
export { VmLifecycleRestClient } from './VmLifecycleRestClient';
