import { readFileSync } from 'node:fs';
import {
  ApiGroupNames,
  ComputeInstance,
  JobType,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { createNodeFetch, FetchLike } from '../aap/transport';
import { ComputeInstanceStore } from '../store/types';
import { EdaAuthConfig, validateEdaAuth } from './edaAuth';
import { EdaCompletion } from './edaCompletion';
import { EdaEventSender } from './edaEventSender';
import { nextEdaJobId } from './edaJobId';
import { hasAapFinalizer } from './edaMetadata';
import {
  CancelResult,
  DeprovisionTrigger,
  JobStatus,
  LaunchedJob,
  LaunchLookup,
  LaunchRequest,
  ProvisioningProvider,
} from './types';

export interface EdaProviderOptions {
  store: ComputeInstanceStore;
  names: ApiGroupNames;
  /** AAP 2.5: `https://<gateway>/eda-event-streams/api/eda/v1/external_event_stream/<uuid>/post/`. */
  provisionUrl: string;
  deprovisionUrl: string;
  auth: EdaAuthConfig;
  /** Per POST attempt; default 30 s. */
  timeoutMs?: number;
  /** See EdaCompletionOptions; default: wait forever for the playbook's signal. */
  completionTimeoutMs?: number;
  /** Attempts per event when EDA provably did not take it (connection refused, 5xx); default 3. */
  maxAttempts?: number;
  retryBaseDelayMs?: number;
  /** PEM CA bundle for the event stream's TLS certificate. */
  caFile?: string;
  insecureSkipTlsVerify?: boolean;
  fetchImpl?: FetchLike;
  now?: () => number;
}

/**
 * Drives the VM lifecycle through Event-Driven Ansible (DOMAIN.md section 3, "EDA"): POSTs the whole
 * ComputeInstance to the provision / deprovision event stream and learns the outcome only from what
 * the playbooks write back on the resource (see EdaCompletion). EDA answers without a job id, so
 * jobs are recorded as `eda-webhook-N` with state Unknown; there is nothing to cancel.
 */
export class EdaProvider implements ProvisioningProvider {
  readonly name = 'eda';
  readonly completion: EdaCompletion;
  private readonly sender: EdaEventSender;
  private readonly urls: Record<JobType, string>;

  constructor(private readonly options: EdaProviderOptions) {
    this.urls = {
      provision: checkUrl(
        options.provisionUrl,
        'vmLifecycle.provider.eda.provisionUrl',
      ),
      deprovision: checkUrl(
        options.deprovisionUrl,
        'vmLifecycle.provider.eda.deprovisionUrl',
      ),
    };
    validateEdaAuth(options.auth, 'vmLifecycle.provider.eda.auth');
    this.completion = new EdaCompletion({
      store: options.store,
      names: options.names,
      completionTimeoutMs: options.completionTimeoutMs,
      now: options.now,
    });
    this.sender = new EdaEventSender({
      auth: options.auth,
      timeoutMs: options.timeoutMs,
      maxAttempts: options.maxAttempts,
      retryBaseDelayMs: options.retryBaseDelayMs,
      fetchImpl: options.fetchImpl ?? tlsFetch(options),
    });
  }

  async triggerProvision(
    instance: ComputeInstance,
    launch: LaunchRequest,
  ): Promise<LaunchedJob> {
    return this.send('provision', instance, launch);
  }

  /** EDA answers without a job id, so there is nothing to look for; the repeat is deduplicated by its event id. */
  async findLaunch(): Promise<LaunchLookup> {
    return {
      outcome: 'unsearchable',
      reason:
        'EDA event streams answer without a job id, so the event is sent again with the same event id (Idempotency-Key) for the rulebook to drop if it already acted on it',
    };
  }

  async triggerDeprovision(
    instance: ComputeInstance,
    launch: LaunchRequest,
  ): Promise<DeprovisionTrigger> {
    // The reconciler hands over a fresh read, so this is the finalizer as it stands now.
    if (!hasAapFinalizer(instance.metadata, this.options.names)) {
      return {
        action: 'skipped',
        message: `finalizer ${this.options.names.aapFinalizer} is not on the instance: the EDA create playbook never got to create anything, so there is nothing to deprovision`,
      };
    }
    return {
      action: 'triggered',
      job: await this.send('deprovision', instance, launch),
    };
  }

  getProvisionStatus(
    instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus> {
    return this.completion.provisionStatus(instance, job);
  }

  getDeprovisionStatus(
    instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus> {
    return this.completion.deprovisionStatus(instance, job);
  }

  cancelJob(): Promise<CancelResult> {
    return this.completion.cancel();
  }

  private async send(
    type: JobType,
    instance: ComputeInstance,
    launch: LaunchRequest,
  ): Promise<LaunchedJob> {
    await this.sender.send(type, this.urls[type], instance, launch.launchID);
    const { namespace, name } = instance.metadata;
    const version = instance.status.desiredConfigVersion;
    const signal =
      type === 'provision'
        ? `the create playbook to set annotation ${this.options.names.reconciledConfigVersionAnnotation}`
        : `the delete playbook to remove finalizer ${this.options.names.aapFinalizer}`;
    return {
      jobID: nextEdaJobId(instance.status.provisioningJobs),
      // EDA's 200 only says the event was queued for the rulebook; whether a job runs is unknown.
      state: 'Unknown',
      message: `Sent the ${type} event for ${namespace}/${name}${version ? ` (config version ${version})` : ''} to the EDA event stream; waiting for ${signal}`,
    };
  }
}

/** The factory the plugin wires from `vmLifecycle.provider.eda`. */
export function createEdaProvider(options: EdaProviderOptions): EdaProvider {
  return new EdaProvider(options);
}

function checkUrl(value: string, key: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      `${key} must be an absolute http(s) URL; got ${JSON.stringify(value)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${key} must be an http(s) URL; got ${url.protocol}`);
  }
  return url.toString();
}

function tlsFetch(options: EdaProviderOptions): FetchLike | undefined {
  if (!options.caFile && !options.insecureSkipTlsVerify) return undefined;
  return createNodeFetch({
    ca: options.caFile ? readFileSync(options.caFile) : undefined,
    rejectUnauthorized: !options.insecureSkipTlsVerify,
  });
}
