import {
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { InstanceFeed } from './InstanceFeed';
import { VmInstancesService } from './types';

/**
 * ComputeInstances for other plugins in the same backend. Root-scoped, so the vm-lifecycle plugin
 * and, say, a catalog module share one instance of it.
 *
 * @public
 */
export const vmInstancesServiceRef = createServiceRef<VmInstancesService>({
  id: 'vm-lifecycle.instances',
  scope: 'root',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {},
      factory: () => new InstanceFeed(),
    }),
});
