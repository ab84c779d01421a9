export { MyInstancesTab } from './MyInstancesTab';
