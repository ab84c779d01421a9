import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { instanceRouteRef, rootRouteRef } from './routes';
import { VmLifecycleClient, vmLifecycleApiRef } from './api';

export const vmLifecyclePlugin = createPlugin({
  id: 'vm-lifecycle',
  routes: {
    root: rootRouteRef,
    instance: instanceRouteRef,
  },
  apis: [
    createApiFactory({
      api: vmLifecycleApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new VmLifecycleClient(deps),
    }),
  ],
});

/** The Virtual Machines page with its tabs, and one page per instance below it. */
export const VmLifecyclePage = vmLifecyclePlugin.provide(
  createRoutableExtension({
    name: 'VmLifecyclePage',
    component: () =>
      import('./components/VmLifecyclePage').then(m => m.VmLifecyclePage),
    mountPoint: rootRouteRef,
  }),
);

/** Entity page card: the VMs the entity owns, and a "Request VM" that makes it the owner. */
export const EntityVmLifecycleCard = vmLifecyclePlugin.provide(
  createComponentExtension({
    name: 'EntityVmLifecycleCard',
    component: {
      lazy: () =>
        import('./components/EntityVmLifecycleCard').then(
          m => m.EntityVmLifecycleCard,
        ),
    },
  }),
);
