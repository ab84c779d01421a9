export { AdminInstancesTab } from './AdminInstancesTab';
