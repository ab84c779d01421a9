import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { EdaAuthConfig, validateEdaAuth } from './edaAuth';

/** `vmLifecycle.provider.eda`, read and checked once at startup. */
export interface EdaSettings {
  provisionUrl: string;
  deprovisionUrl: string;
  auth: EdaAuthConfig;
  timeoutMs?: number;
  completionTimeoutMs?: number;
  caFile?: string;
  insecureSkipTlsVerify?: boolean;
  /** Shared with the playbooks for the database-mode callback route (edaCallbackRouter). */
  callbackToken?: string;
}

const KEY = 'vmLifecycle.provider.eda';

/**
 * Reads the EDA provider block:
 * ```yaml
 * eda:
 *   provisionUrl: https://aap.example.com/eda-event-streams/api/eda/v1/external_event_stream/<uuid>/post/
 *   deprovisionUrl: https://aap.example.com/eda-event-streams/api/eda/v1/external_event_stream/<uuid>/post/
 *   auth: { type: token, header: Authorization, token: ${EDA_TOKEN} }
 *   # or auth: { type: hmac, header: X-Hub-Signature-256, secret: ${EDA_SECRET}, encoding: hex, prefix: 'sha256=' }
 *   timeout: { seconds: 30 }
 *   completionTimeout: { hours: 2 }
 *   callbackToken: ${EDA_CALLBACK_TOKEN}
 * ```
 */
export function readEdaSettings(eda: Config): EdaSettings {
  const auth = eda.getConfig('auth');
  const type = auth.getString('type');
  let authConfig: EdaAuthConfig;
  if (type === 'token') {
    authConfig = {
      type,
      token: auth.getString('token'),
      header: auth.getOptionalString('header'),
    };
  } else if (type === 'hmac') {
    const encoding = auth.getOptionalString('encoding');
    if (encoding !== undefined && encoding !== 'hex' && encoding !== 'base64') {
      throw new Error(
        `Invalid config ${KEY}.auth.encoding: "${encoding}"; expected hex or base64`,
      );
    }
    authConfig = {
      type,
      secret: auth.getString('secret'),
      header: auth.getOptionalString('header'),
      encoding,
      prefix: optionalPrefix(auth),
    };
  } else {
    throw new Error(
      `Invalid config ${KEY}.auth.type: "${type}"; expected token or hmac`,
    );
  }
  validateEdaAuth(authConfig, `${KEY}.auth`);
  return {
    provisionUrl: eda.getString('provisionUrl'),
    deprovisionUrl: eda.getString('deprovisionUrl'),
    auth: authConfig,
    timeoutMs: optionalDurationMs(eda, 'timeout'),
    completionTimeoutMs: optionalDurationMs(eda, 'completionTimeout'),
    caFile: eda.getOptionalString('caFile'),
    insecureSkipTlsVerify: eda.getOptionalBoolean('insecureSkipTlsVerify'),
    callbackToken: eda.getOptionalString('callbackToken'),
  };
}

/** getOptionalString refuses '', yet '' is how a credential without a signature prefix is written. */
function optionalPrefix(auth: Config): string | undefined {
  const value = auth.getOptional('prefix');
  if (value === undefined || typeof value === 'string') return value;
  throw new Error(
    `Invalid config ${KEY}.auth.prefix: must be a string ('' for none)`,
  );
}

function optionalDurationMs(config: Config, key: string): number | undefined {
  if (!config.has(key)) return undefined;
  return durationToMilliseconds(readDurationFromConfig(config, { key }));
}
