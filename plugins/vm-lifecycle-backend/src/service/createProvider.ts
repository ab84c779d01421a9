import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { ApiGroupNames } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { AapClient } from '../aap/AapClient';
import { VmLifecycleConfig } from '../config';
import { AapDirectProvider } from '../providers/AapDirectProvider';
import { createEdaProvider } from '../providers/EdaProvider';
import { readEdaSettings } from '../providers/edaConfig';
import { createRoutingProvider } from '../providers/RoutingProvider';
import { ProvisioningProvider } from '../providers/types';
import { ComputeInstanceStore } from '../store/types';

export interface ConfiguredProvider {
  provider: ProvisioningProvider;
  /** For the EDA playbooks' callback route (database mode). */
  edaCallbackToken?: string;
}

/**
 * Builds the provider the controller uses. It is always a routing provider: new jobs go to the
 * configured type, and jobs recorded under the other type (after a switch between AAP Direct and
 * EDA) are still judged by the provider that issued them, so no instance is stranded.
 */
export function createProvider(options: {
  settings: VmLifecycleConfig;
  rootConfig: Config;
  store: ComputeInstanceStore;
  names: ApiGroupNames;
  logger: LoggerService;
}): ConfiguredProvider | undefined {
  const { settings, rootConfig, store, names, logger } = options;
  const aap = settings.aap
    ? new AapDirectProvider({
        client: new AapClient({
          baseUrl: settings.aap.baseUrl,
          token: settings.aap.token,
          caFile: settings.aap.caFile,
          insecureSkipTlsVerify: settings.aap.insecureSkipTlsVerify,
          timeoutMs: settings.aap.timeoutMs,
          logger,
        }),
        templates: settings.aap.templates,
        logger,
      })
    : undefined;
  const edaConfig = rootConfig.getOptionalConfig('vmLifecycle.provider.eda');
  const edaSettings = edaConfig ? readEdaSettings(edaConfig) : undefined;
  let eda;
  if (edaSettings) {
    const { callbackToken: _callbackToken, ...edaOptions } = edaSettings;
    eda = createEdaProvider({ store, names, ...edaOptions });
  }

  if (settings.providerType === 'eda' && !eda) {
    throw new Error(
      'vmLifecycle.provider.type is "eda" but vmLifecycle.provider.eda is not configured (provisionUrl, deprovisionUrl, auth)',
    );
  }
  if (settings.providerType === 'aap' && !aap) {
    return undefined;
  }
  return {
    provider: createRoutingProvider({
      launch: settings.providerType,
      store,
      names,
      aap,
      eda,
    }),
    edaCallbackToken: edaSettings?.callbackToken,
  };
}
