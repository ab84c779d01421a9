/**
 * Catalog backend module of the vm-lifecycle plugin: every ComputeInstance as a Resource entity.
 *
 * @packageDocumentation
 */
export { catalogModuleVmLifecycle as default } from './module';
export { VmInstanceEntityProvider } from './VmInstanceEntityProvider';
export type { VmInstanceEntityProviderOptions } from './VmInstanceEntityProvider';
export {
  instanceToEntity,
  entityRefOf,
  entityAnnotationKeys,
  phaseLabelKey,
  VIRTUAL_MACHINE_RESOURCE_TYPE,
} from './instanceToEntity';
