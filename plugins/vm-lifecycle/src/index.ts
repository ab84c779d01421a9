/**
 * Frontend plugin: request, watch and delete virtual machines provisioned by AAP.
 *
 * @packageDocumentation
 */
export {
  vmLifecyclePlugin,
  VmLifecyclePage,
  EntityVmLifecycleCard,
} from './plugin';
export { rootRouteRef, instanceRouteRef } from './routes';
export * from './api';
