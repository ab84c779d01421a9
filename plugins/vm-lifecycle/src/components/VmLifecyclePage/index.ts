export { VmLifecyclePage } from './VmLifecyclePage';
