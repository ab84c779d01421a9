/**
 * Node.js library of the vm-lifecycle plugin: read and watch ComputeInstances from other backend
 * plugins and modules, and the links to a VM's portal page and its AAP jobs.
 *
 * @packageDocumentation
 */
export * from './types';
export { vmInstancesServiceRef } from './serviceRef';
export { InstanceFeed } from './InstanceFeed';
export {
  readInstanceLinks,
  latestProvisionJob,
  DEFAULT_PORTAL_PATH,
  type VmInstanceLinks,
} from './links';
