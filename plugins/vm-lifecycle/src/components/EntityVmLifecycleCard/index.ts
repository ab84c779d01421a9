export { EntityVmLifecycleCard } from './EntityVmLifecycleCard';
