export * from './InstanceTable';
export * from './PagedInstanceTable';
export * from './ListControls';
