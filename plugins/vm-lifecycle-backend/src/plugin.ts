import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { apiGroupNames } from '@internal/plugin-vm-lifecycle-common';
import { readVmLifecycleConfig } from './config';
import { Controller } from './controller/controller';
import { DatabaseLeaderElector } from './controller/databaseLease';
import { DatabaseEventStore } from './events/DatabaseEventStore';
import { createRouter } from './router/createRouter';
import { createProvider } from './service/createProvider';
import { DatabaseStore } from './store/DatabaseStore';

/**
 * The vm-lifecycle backend plugin: the ComputeInstance controller and its REST API.
 *
 * @public
 */
export const vmLifecyclePlugin = createBackendPlugin({
  pluginId: 'vm-lifecycle',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        lifecycle: coreServices.lifecycle,
        logger: coreServices.logger,
      },
      async init({ config, database, httpRouter, lifecycle, logger }) {
        const settings = readVmLifecycleConfig(config);
        const names = apiGroupNames(settings.apiGroup);
        const knex = await database.getClient();
        const skipMigrations = database.migrations?.skip ?? false;
        const store = await DatabaseStore.create({ knex, apiGroup: settings.apiGroup, skipMigrations, logger });
        const events = await DatabaseEventStore.create({ knex, skipMigrations: true });

        if (settings.controller.enabled && settings.aap) {
          const { provider } = createProvider(settings, logger);
          const controller = new Controller({
            store,
            provider,
            events,
            names,
            logger: logger.child({ component: 'controller' }),
            pollIntervalMs: settings.controller.pollIntervalMs,
            workers: settings.controller.workers,
            resyncIntervalMs: settings.controller.resyncIntervalMs,
            maxJobHistory: settings.controller.maxJobHistory,
            jobPolling: settings.controller.jobPolling,
            leaderElector: new DatabaseLeaderElector({ knex, logger }),
          });
          lifecycle.addStartupHook(() => controller.start());
          lifecycle.addShutdownHook(() => controller.stop());
        } else {
          logger.warn(
            settings.aap
              ? 'The ComputeInstance controller is disabled in this replica (vmLifecycle.controller.enabled: false)'
              : 'No AAP configured (vmLifecycle.provider.aap): instances can be requested but nothing will provision them',
          );
        }

        httpRouter.use(await createRouter({ logger }));
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
