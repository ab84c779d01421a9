export * from './messages';
export * from './rules';
export * from './fields';
export * from './spec';
export * from './requests';
export * from './templates';
export * from './status';
export * from './errors';
