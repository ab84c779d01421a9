import { createRouteRef, createSubRouteRef } from '@backstage/core-plugin-api';

/** The Virtual Machines page (the app mounts it at /virtual-machines). */
export const rootRouteRef = createRouteRef({ id: 'vm-lifecycle' });

/** One instance: /virtual-machines/:namespace/:name. */
export const instanceRouteRef = createSubRouteRef({
  id: 'vm-lifecycle/instance',
  parent: rootRouteRef,
  path: '/:namespace/:name',
});
