import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { rootRouteRef } from './routes';
import { VmLifecycleClient, vmLifecycleApiRef } from './api';

export const vmLifecyclePlugin = createPlugin({
  id: 'vm-lifecycle',
  routes: {
    root: rootRouteRef,
  },
  apis: [
    createApiFactory({
      api: vmLifecycleApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new VmLifecycleClient(deps),
    }),
  ],
});

/** The Virtual Machines page. */
export const VmLifecyclePage = vmLifecyclePlugin.provide(
  createRoutableExtension({
    name: 'VmLifecyclePage',
    component: () =>
      import('./components/VmLifecyclePage').then(m => m.VmLifecyclePage),
    mountPoint: rootRouteRef,
  }),
);
