import { AnyApiFactory } from '@backstage/core-plugin-api';

/** App-level API overrides. The plugins bring their own API factories. */
export const apis: AnyApiFactory[] = [];
