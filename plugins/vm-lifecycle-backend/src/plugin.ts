import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { createRouter } from './router/createRouter';

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
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
      },
      async init({ httpRouter, logger }) {
        httpRouter.use(await createRouter({ logger }));
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
