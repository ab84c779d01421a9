export { RequestVmDialog } from './RequestVmDialog';
export type { RequestVmDialogProps } from './RequestVmDialog';
export { RequestVmButton } from './RequestVmButton';
