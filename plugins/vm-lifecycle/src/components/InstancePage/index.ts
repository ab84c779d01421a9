export { InstancePage } from './InstancePage';
export { InstanceActions } from './InstanceActions';
export { DeleteInstanceDialog } from './DeleteInstanceDialog';
