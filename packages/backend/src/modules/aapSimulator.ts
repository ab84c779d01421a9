import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { createAapSimulator } from '@vm-selfservice/aap-simulator';

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
          ...edaOptions(config),
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

/**
 * In EDA mode the simulator also serves the two event streams named in vmLifecycle.provider.eda and,
 * like the real playbooks, reports back to the plugin's callback route.
 */
function edaOptions(config: Config) {
  const eda = config.getOptionalConfig('vmLifecycle.provider.eda');
  if (config.getOptionalString('vmLifecycle.provider.type') !== 'eda' || !eda)
    return {};
  const streamUuid = (url: string) =>
    url.match(/external_event_stream\/([^/]+)\/post/)?.[1];
  const token = eda.getOptionalString('auth.token');
  const secret = eda.getOptionalString('auth.secret');
  const streams = (['provision', 'deprovision'] as const).flatMap(action => {
    const uuid = streamUuid(eda.getString(`${action}Url`));
    return uuid ? [{ uuid, action, token, hmacSecret: secret }] : [];
  });
  const callbackToken = eda.getOptionalString('callbackToken');
  return {
    edaStreams: streams,
    edaTarget: callbackToken
      ? {
          type: 'callback' as const,
          baseUrl: `${config.getString('backend.baseUrl')}/api/vm-lifecycle`,
          token: callbackToken,
        }
      : undefined,
  };
}
