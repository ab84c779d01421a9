/**
 * The plugin for Backstage's new frontend system: add `@vm-selfservice/plugin-vm-lifecycle/alpha`
 * to the app's features (or let feature discovery find it). The legacy exports of the package
 * root stay for apps on the old system.
 *
 * @packageDocumentation
 */
import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import {
  compatWrapper,
  convertLegacyRouteRefs,
} from '@backstage/core-compat-api';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import ComputerIcon from '@material-ui/icons/Computer';
import { VmLifecycleClient, vmLifecycleApiRef } from './api';
import { instanceRouteRef, rootRouteRef } from './routes';

/** The kinds whose pages show the VMs they own: components, systems, groups and users. */
export const VM_OWNER_KINDS_FILTER = 'kind:component,system,group,user';

const vmLifecycleApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: vmLifecycleApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new VmLifecycleClient(deps),
    }),
});

/** The Virtual Machines page, with its nav item (title and icon). */
const vmLifecyclePage = PageBlueprint.make({
  params: {
    path: '/virtual-machines',
    title: 'Virtual Machines',
    icon: <ComputerIcon fontSize="inherit" />,
    routeRef: convertLegacyRouteRefs({ root: rootRouteRef }).root,
    loader: () =>
      import('./components/VmLifecyclePage').then(m =>
        compatWrapper(<m.VmLifecyclePage />),
      ),
  },
});

const entityVmCard = EntityCardBlueprint.make({
  name: 'instances',
  params: {
    filter: VM_OWNER_KINDS_FILTER,
    loader: () =>
      import('./components/EntityVmLifecycleCard').then(m =>
        compatWrapper(<m.EntityVmLifecycleCard />),
      ),
  },
});

const entityVmContent = EntityContentBlueprint.make({
  name: 'instances',
  params: {
    path: '/virtual-machines',
    title: 'Virtual Machines',
    filter: VM_OWNER_KINDS_FILTER,
    loader: () =>
      import('./components/EntityVmLifecycleCard').then(m =>
        compatWrapper(<m.EntityVmLifecycleCard />),
      ),
  },
});

export default createFrontendPlugin({
  pluginId: 'vm-lifecycle',
  title: 'Virtual Machines',
  icon: <ComputerIcon fontSize="inherit" />,
  routes: convertLegacyRouteRefs({
    root: rootRouteRef,
    instance: instanceRouteRef,
  }),
  extensions: [vmLifecycleApi, vmLifecyclePage, entityVmCard, entityVmContent],
});
