import {
  coreServices,
  createBackendModule,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import {
  apiGroupNames,
  DEFAULT_API_GROUP,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  readInstanceLinks,
  vmInstancesServiceRef,
} from '@vm-selfservice/plugin-vm-lifecycle-node';
import { VmInstanceEntityProvider } from './VmInstanceEntityProvider';

const SCHEDULE_KEY = 'catalog.providers.vmLifecycle.schedule';

/**
 * Catalog module: the vm-lifecycle plugin's ComputeInstances as Resource entities. Needs the
 * vm-lifecycle backend plugin in the same backend (it reads the instances through
 * `vmInstancesServiceRef`).
 *
 * @public
 */
export const catalogModuleVmLifecycle = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'vm-lifecycle',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        instances: vmInstancesServiceRef,
      },
      async init({ catalog, config, logger, scheduler, lifecycle, instances }) {
        const schedule = config.has(SCHEDULE_KEY)
          ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
              config.getConfig(SCHEDULE_KEY),
            )
          : {
              frequency: { minutes: 30 },
              timeout: { minutes: 10 },
              initialDelay: { seconds: 3 },
            };
        const provider = new VmInstanceEntityProvider({
          instances,
          names: apiGroupNames(
            config.getOptionalString('vmLifecycle.apiGroup') ??
              DEFAULT_API_GROUP,
          ),
          links: readInstanceLinks(config),
          logger: logger.child({ component: 'vm-lifecycle-entity-provider' }),
          taskRunner: scheduler.createScheduledTaskRunner(schedule),
        });
        catalog.addEntityProvider(provider);
        lifecycle.addShutdownHook(() => provider.close());
      },
    });
  },
});
