export * from './types';
export {
  DatabaseEventStore,
  type DatabaseEventStoreOptions,
} from './DatabaseEventStore';
export {
  InMemoryEventStore,
  type InMemoryEventStoreOptions,
} from './InMemoryEventStore';
