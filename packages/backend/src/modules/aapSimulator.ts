import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { createAapSimulator } from '@internal/aap-simulator';

/**
 * Mounts the AWX-compatible AAP simulator at /api/aap-simulator for the sandbox, so the portal
 * works on a laptop with nothing else installed. The controller reaches it over HTTP like a real AAP.
 */
export const aapSimulatorPlugin = createBackendPlugin({
  pluginId: 'aap-simulator',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
      },
      async init({ config, httpRouter, logger, lifecycle }) {
        const sim = config.getOptionalConfig('aapSimulator');
        if (!sim?.getOptionalBoolean('enabled')) {
          return;
        }
        const durationMs = (key: string) =>
          sim.has(key)
            ? durationToMilliseconds(readDurationFromConfig(sim, { key }))
            : undefined;
        const simulator = createAapSimulator({
          token: sim.getOptionalString('token'),
          durations: {
            provisionMs: durationMs('durations.provision'),
            deprovisionMs: durationMs('durations.deprovision'),
          },
          workflowTemplates: sim.getOptionalBoolean('workflowTemplates'),
          log: (message: string) => logger.debug(message),
        });
        // The simulator checks AWX-style Bearer tokens itself, as a real AAP would.
        httpRouter.addAuthPolicy({ path: '/', allow: 'unauthenticated' });
        httpRouter.use((req, res) => simulator.handle(req, res));
        lifecycle.addShutdownHook(() => simulator.close());
        logger.info('AAP simulator mounted at /api/aap-simulator');
      },
    });
  },
});
