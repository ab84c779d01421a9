/**
 * Frontend plugin: request, watch and delete virtual machines provisioned by AAP.
 *
 * @packageDocumentation
 */
export { vmLifecyclePlugin, VmLifecyclePage } from './plugin';
export * from './api';
