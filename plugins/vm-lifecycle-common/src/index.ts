/**
 * Shared types, schemas, job-state helpers and permissions of the vm-lifecycle plugin.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './constants';
export * from './jobState';
export * from './launchIntent';
export * from './configVersion';
export * from './schema';
export * from './permissions';
export * from './list';
export * from './settings';
export * from './quota';
