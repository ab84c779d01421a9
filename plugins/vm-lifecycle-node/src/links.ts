import { Config } from '@backstage/config';
import {
  ComputeInstance,
  latestJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/** Where the portal mounts the vm-lifecycle pages (packages/app). */
export const DEFAULT_PORTAL_PATH = '/virtual-machines';

/** Builds the links people follow from a catalog entity or a notification to a VM and its jobs. */
export interface VmInstanceLinks {
  /** The VM's page in the portal. */
  portalUrl(instance: Pick<ComputeInstance, 'metadata'>): string;
  /** The job in AAP's UI when `vmLifecycle.links.aapJob` is configured, else the VM's portal page (which shows the job output). */
  jobUrl(instance: Pick<ComputeInstance, 'metadata'>, jobID: string): string;
}

export function readInstanceLinks(config: Config): VmInstanceLinks {
  // Without app.baseUrl (a backend alone, tests) the links are relative to the portal's root.
  const appBaseUrl = (config.getOptionalString('app.baseUrl') ?? '').replace(
    /\/+$/,
    '',
  );
  const portalPath = (
    config.getOptionalString('vmLifecycle.links.portalPath') ??
    DEFAULT_PORTAL_PATH
  ).replace(/\/+$/, '');
  const jobTemplate = config.getOptionalString('vmLifecycle.links.aapJob');
  if (jobTemplate !== undefined && !jobTemplate.includes('{id}')) {
    throw new Error(
      'Invalid config vmLifecycle.links.aapJob: must contain {id}, e.g. https://aap.example.com/execution/jobs/playbook/{id}/output',
    );
  }
  const portalUrl = (instance: Pick<ComputeInstance, 'metadata'>) =>
    `${appBaseUrl}${portalPath}/${encodeURIComponent(instance.metadata.namespace)}/${encodeURIComponent(instance.metadata.name)}`;
  return {
    portalUrl,
    jobUrl(instance, jobID) {
      // EDA pseudo ids and launch intents have no page in AAP.
      const numeric = /^(?:workflow-)?(\d+)$/.exec(jobID)?.[1];
      if (!jobTemplate || !numeric) return portalUrl(instance);
      return jobTemplate.replace('{id}', numeric);
    },
  };
}

/** The newest provision job (by timestamp), if any. */
export function latestProvisionJob(instance: ComputeInstance) {
  return latestJob(instance.status.provisioningJobs, 'provision');
}
