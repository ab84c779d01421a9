export * from './InstanceTable';
