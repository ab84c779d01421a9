import { LoggerService } from '@backstage/backend-plugin-api';
import { AapClient } from '../aap/AapClient';
import { VmLifecycleConfig } from '../config';
import { AapDirectProvider } from '../providers/AapDirectProvider';
import { ProvisioningProvider } from '../providers/types';

export function createProvider(
  config: VmLifecycleConfig,
  logger: LoggerService,
): { provider: ProvisioningProvider; client: AapClient } {
  if (config.providerType !== 'aap') {
    throw new Error(`vmLifecycle.provider.type "${config.providerType}" is not available in this version; use "aap"`);
  }
  if (!config.aap) {
    throw new Error('vmLifecycle.provider.aap is required: set baseUrl and token of the AAP controller API');
  }
  const client = new AapClient({
    baseUrl: config.aap.baseUrl,
    token: config.aap.token,
    caFile: config.aap.caFile,
    insecureSkipTlsVerify: config.aap.insecureSkipTlsVerify,
    timeoutMs: config.aap.timeoutMs,
    logger,
  });
  return { provider: new AapDirectProvider({ client, templates: config.aap.templates, logger }), client };
}
