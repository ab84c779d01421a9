export { VmLifecyclePage, VirtualMachinesPage } from './VmLifecyclePage';
