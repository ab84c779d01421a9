/*
 * The store port and its adapters. The contract suite (storeContract.ts) is deliberately not
 * exported here: it uses jest globals and belongs to tests only.
 */
export * from './types';
export * from './errors';
export { DatabaseStore, type DatabaseStoreOptions } from './DatabaseStore';
export {
  InMemoryStore,
  type InMemoryStoreOptions,
  type InMemoryWriteKind,
  type BeforeWriteHook,
} from './InMemoryStore';
export { validateStatus } from './validateStatus';
export { applyDatabaseMigrations, MIGRATIONS_TABLE } from './migrations';
