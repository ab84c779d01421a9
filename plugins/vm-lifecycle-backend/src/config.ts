import {
  Config,
  ConfigReader,
  readDurationFromConfig,
} from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import {
  DEFAULT_API_GROUP,
  DEFAULT_MAX_JOB_HISTORY,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { JobPollingMode } from './controller/jobTracker';
import { QuotaSettings, readQuotaSettings } from './quota/quotaConfig';

export interface AapProviderConfig {
  baseUrl: string;
  token: string;
  templates: { prefix?: string; provision?: string; deprovision?: string };
  caFile?: string;
  insecureSkipTlsVerify?: boolean;
  timeoutMs?: number;
  /**
   * Link to a job in AAP's web UI, with `{kind}` (playbook or workflow) and `{id}` to fill in;
   * built from `uiUrl` and `uiStyle`, absent without `uiUrl`.
   */
  jobUrlTemplate?: string;
}

export interface VmLifecycleConfig {
  apiGroup: string;
  defaultNamespace: string;
  storeType: 'database' | 'kubernetes';
  providerType: 'aap' | 'eda';
  aap?: AapProviderConfig;
  controller: {
    enabled: boolean;
    pollIntervalMs: number;
    workers: number;
    resyncIntervalMs: number;
    maxJobHistory: number;
    jobPolling: JobPollingMode;
    unknownOutcomeSettleMs: number;
    deletionStuckAfterMs: number;
  };
  /** Per-user writes per window (0: no limit). */
  writeRateLimit: { limit: number; windowMs: number };
  jobOutput: { cacheTtlMs: number; maxChars: number };
  /** Continue tokens of GET /instances. */
  pagination: { continueTokenSecret?: string; continueTokenTtlMs: number };
  quotas: QuotaSettings;
  expiry: {
    /** Reminders go out this long before a VM's expiry, each once. */
    remindersBeforeMs: number[];
    /** How often the controller's leader looks for reminders and expiries due. */
    checkIntervalMs: number;
  };
  /** How long a deleted instance's last state and events stay readable (by uid). */
  history: { retentionMs: number };
}

const DAY_MS = 24 * 60 * 60_000;

/** vmLifecycle.expiry.reminders: a list of durations (`3d`, `P1D`, `{ hours: 12 }`). */
function readReminders(c: Config | undefined): number[] {
  const key = 'expiry.reminders';
  if (!c?.has(key)) return [3 * DAY_MS, DAY_MS];
  const list = c.getOptional(key);
  if (!Array.isArray(list))
    throw new Error(
      `Invalid config vmLifecycle.${key}: must be a list of durations`,
    );
  return list.map((value, index) => {
    let ms: number;
    try {
      ms = durationMs(new ConfigReader({ value }), 'value', 0);
    } catch (e) {
      throw new Error(
        `Invalid config vmLifecycle.${key}[${index}]: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    if (ms <= 0)
      throw new Error(
        `Invalid config vmLifecycle.${key}[${index}]: must be a positive duration`,
      );
    return ms;
  });
}

function positiveInteger(
  config: Config | undefined,
  key: string,
  fallback: number,
  { allowZero = false } = {},
): number {
  const value = config?.getOptionalNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(
      `Invalid config vmLifecycle.${key}: must be an integer >= ${allowZero ? 0 : 1}`,
    );
  }
  return value;
}

/** How long a lost launch request may still create its job in AAP (see Reconciler). */
export function defaultUnknownOutcomeSettleMs(aapTimeoutMs = 30_000): number {
  return Math.max(60_000, 2 * aapTimeoutMs);
}

function durationMs(
  config: Config | undefined,
  key: string,
  fallbackMs: number,
): number {
  if (!config?.has(key)) return fallbackMs;
  return durationToMilliseconds(readDurationFromConfig(config, { key }));
}

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  key: string,
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(
      `Invalid config ${key}: "${value}"; expected one of ${allowed.join(', ')}`,
    );
  }
  return value as T;
}

/** Reads and checks the plugin's settings once at startup, so a typo fails loudly, not at the first job. */
export function readVmLifecycleConfig(root: Config): VmLifecycleConfig {
  const c = root.getOptionalConfig('vmLifecycle');
  const controller = c?.getOptionalConfig('controller');
  const providerType = oneOf(
    c?.getOptionalString('provider.type'),
    ['aap', 'eda'] as const,
    'vmLifecycle.provider.type',
    'aap',
  );
  const aapConfig = c?.getOptionalConfig('provider.aap');
  const workers = controller?.getOptionalNumber('workers') ?? 4;
  const maxJobHistory =
    controller?.getOptionalNumber('maxJobHistory') ?? DEFAULT_MAX_JOB_HISTORY;
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(
      'Invalid config vmLifecycle.controller.workers: must be an integer >= 1',
    );
  if (!Number.isInteger(maxJobHistory) || maxJobHistory < 2)
    throw new Error(
      'Invalid config vmLifecycle.controller.maxJobHistory: must be an integer >= 2',
    );
  const aapTimeoutMs = aapConfig?.has('timeout')
    ? durationMs(aapConfig, 'timeout', 30_000)
    : undefined;
  const settleMs = durationMs(
    controller,
    'unknownOutcomeSettle',
    defaultUnknownOutcomeSettleMs(aapTimeoutMs),
  );
  if (settleMs <= (aapTimeoutMs ?? 30_000))
    throw new Error(
      'Invalid config vmLifecycle.controller.unknownOutcomeSettle: must be longer than vmLifecycle.provider.aap.timeout, or a launch request still on its way could create a second job',
    );
  const jobOutputCacheTtlMs = durationMs(c, 'jobOutput.cacheTtl', 3000);
  const continueTokenTtlMs = durationMs(
    c,
    'pagination.continueTokenTtl',
    10 * 60_000,
  );
  if (continueTokenTtlMs <= 0)
    throw new Error(
      'Invalid config vmLifecycle.pagination.continueTokenTtl: must be a positive duration',
    );
  const historyRetentionMs = durationMs(
    c,
    'history.retention',
    30 * 24 * 60 * 60_000,
  );
  if (historyRetentionMs <= 0)
    throw new Error(
      'Invalid config vmLifecycle.history.retention: must be a positive duration',
    );
  const rateLimitWindowMs = durationMs(c, 'rateLimit.writes.window', 60_000);
  if (rateLimitWindowMs <= 0)
    throw new Error(
      'Invalid config vmLifecycle.rateLimit.writes.window: must be a positive duration',
    );
  const checkIntervalMs = durationMs(c, 'expiry.checkInterval', 60_000);
  if (checkIntervalMs <= 0)
    throw new Error(
      'Invalid config vmLifecycle.expiry.checkInterval: must be a positive duration',
    );
  return {
    quotas: readQuotaSettings(c),
    expiry: { remindersBeforeMs: readReminders(c), checkIntervalMs },
    history: { retentionMs: historyRetentionMs },
    writeRateLimit: {
      limit: positiveInteger(c, 'rateLimit.writes.limit', 60, {
        allowZero: true,
      }),
      windowMs: rateLimitWindowMs,
    },
    pagination: {
      continueTokenSecret:
        c?.getOptionalString('pagination.continueTokenSecret') || undefined,
      continueTokenTtlMs,
    },
    jobOutput: {
      cacheTtlMs: jobOutputCacheTtlMs,
      maxChars: positiveInteger(c, 'jobOutput.maxCharacters', 256 * 1024),
    },
    apiGroup: c?.getOptionalString('apiGroup') ?? DEFAULT_API_GROUP,
    defaultNamespace: c?.getOptionalString('defaultNamespace') ?? 'default',
    storeType: oneOf(
      c?.getOptionalString('store.type'),
      ['database', 'kubernetes'] as const,
      'vmLifecycle.store.type',
      'database',
    ),
    providerType,
    aap: aapConfig
      ? {
          baseUrl: aapConfig.getString('baseUrl'),
          token: aapConfig.getString('token'),
          templates: {
            prefix: aapConfig.getOptionalString('templates.prefix'),
            provision: aapConfig.getOptionalString('templates.provision'),
            deprovision: aapConfig.getOptionalString('templates.deprovision'),
          },
          caFile: aapConfig.getOptionalString('caFile'),
          insecureSkipTlsVerify: aapConfig.getOptionalBoolean(
            'insecureSkipTlsVerify',
          ),
          timeoutMs: aapTimeoutMs,
          jobUrlTemplate: aapJobUrlTemplate(aapConfig),
        }
      : undefined,
    controller: {
      enabled: controller?.getOptionalBoolean('enabled') ?? true,
      pollIntervalMs: durationMs(controller, 'pollInterval', 2000),
      workers,
      resyncIntervalMs: durationMs(controller, 'resyncInterval', 5 * 60_000),
      maxJobHistory,
      jobPolling: oneOf(
        controller?.getOptionalString('jobPolling'),
        ['batch', 'perJob'] as const,
        'vmLifecycle.controller.jobPolling',
        'batch',
      ),
      unknownOutcomeSettleMs: settleMs,
      deletionStuckAfterMs: durationMs(
        controller,
        'deletionStuckAfter',
        15 * 60_000,
      ),
    },
  };
}

/**
 * Where AAP's web UI shows a job: the platform gateway of AAP 2.5+ under /execution/, the
 * controller UI of AWX and AAP 2.4 under /#/.
 */
function aapJobUrlTemplate(aap: Config): string | undefined {
  const uiUrl = aap.getOptionalString('uiUrl');
  if (!uiUrl) return undefined;
  let url: URL;
  try {
    url = new URL(uiUrl);
  } catch {
    throw new Error(
      `Invalid config vmLifecycle.provider.aap.uiUrl: "${uiUrl}" is not a URL`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(
      'Invalid config vmLifecycle.provider.aap.uiUrl: must be an http(s) URL',
    );
  const style = oneOf(
    aap.getOptionalString('uiStyle'),
    ['gateway', 'controller'] as const,
    'vmLifecycle.provider.aap.uiStyle',
    'gateway',
  );
  const base = uiUrl.replace(/\/+$/, '');
  return style === 'gateway'
    ? `${base}/execution/jobs/{kind}/{id}/output`
    : `${base}/#/jobs/{kind}/{id}/output`;
}
