export * from './VmLifecycleApi';
export { VmLifecycleClient } from './VmLifecycleClient';
