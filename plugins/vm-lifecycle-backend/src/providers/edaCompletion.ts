import {
  ApiGroupNames,
  ComputeInstance,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { ComputeInstanceStore } from '../store/types';
import { hasAapFinalizer } from './edaMetadata';
import { CancelResult, JobStatus } from './types';

export interface EdaCompletionOptions {
  store: ComputeInstanceStore;
  names: ApiGroupNames;
  /**
   * Without a completion signal for this long, report the job Failed so the reconciler retries
   * the event (and a delete of an instance whose create playbook died can go on). Default: wait
   * forever, as DOMAIN.md says of Unknown; EDA gives no other way to learn that a playbook failed.
   */
  completionTimeoutMs?: number;
  now?: () => number;
}

/**
 * Completion of EDA jobs as the playbooks signal it on the resource itself (DOMAIN.md section 3):
 * a provision is done when the create playbook set the reconciled-version annotation to the job's
 * config version; a deprovision is done when the delete playbook removed the `-aap` finalizer.
 *
 * A create playbook that cannot add its finalizer because the instance is already being deleted
 * stops before it creates anything; that provision is reported Canceled, since no annotation
 * will ever come.
 *
 * Always reads the instance fresh from the store: the job tracker hands providers the snapshot it
 * took when tracking started, which never shows the playbook's later writes. It needs no EDA URLs,
 * so it keeps judging EDA jobs after a switch to AAP Direct.
 */
export class EdaCompletion {
  private readonly now: () => number;

  constructor(private readonly options: EdaCompletionOptions) {
    this.now = options.now ?? Date.now;
  }

  async provisionStatus(
    instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus> {
    const annotation = this.options.names.reconciledConfigVersionAnnotation;
    const current = await this.current(instance);
    if (!current) {
      return {
        state: 'Unknown',
        message: `${ref(instance)} no longer exists; nothing is waiting for EDA job ${job.jobID}`,
      };
    }
    const reported = current.metadata.annotations?.[annotation];
    if (reported === job.configVersion) {
      return {
        state: 'Succeeded',
        message: `The EDA create playbook reported config version ${job.configVersion} as applied (annotation ${annotation})`,
      };
    }
    if (
      current.metadata.deletionTimestamp &&
      !hasAapFinalizer(current.metadata, this.options.names)
    ) {
      // Neither the store nor Kubernetes accepts a new finalizer on an object being deleted, and the
      // create playbook adds its finalizer before it creates anything: it stops there, with nothing
      // created. Waiting for its annotation would block the deletion forever.
      return {
        state: 'Canceled',
        message: `${ref(instance)} is being deleted and does not carry finalizer ${this.options.names.aapFinalizer}, which can no longer be added: the EDA create playbook stops before creating anything`,
      };
    }
    const waitingFor = `the EDA create playbook to set annotation ${annotation} to ${job.configVersion} (now ${reported ? `"${reported}"` : 'not set'})`;
    if (this.timedOut(job)) {
      return {
        state: 'Failed',
        message: `No completion signal within ${seconds(this.options.completionTimeoutMs!)}: waited for ${waitingFor}; the event will be sent again`,
      };
    }
    return {
      state: 'Unknown',
      message: `Event ${job.jobID} sent to EDA; waiting for ${waitingFor}`,
    };
  }

  async deprovisionStatus(
    instance: ComputeInstance,
    job: ProvisioningJob,
  ): Promise<JobStatus> {
    const finalizer = this.options.names.aapFinalizer;
    const current = await this.current(instance);
    if (!current) {
      return {
        state: 'Succeeded',
        message: `${ref(instance)} is gone, and with it finalizer ${finalizer}`,
      };
    }
    if (!hasAapFinalizer(current.metadata, this.options.names)) {
      return {
        state: 'Succeeded',
        message: `The EDA delete playbook removed finalizer ${finalizer}: the VM is deprovisioned`,
      };
    }
    if (this.timedOut(job)) {
      return {
        state: 'Failed',
        message: `No completion signal within ${seconds(this.options.completionTimeoutMs!)}: finalizer ${finalizer} is still present; the delete event will be sent again`,
      };
    }
    return {
      state: 'Unknown',
      message: `Event ${job.jobID} sent to EDA; waiting for the EDA delete playbook to remove finalizer ${finalizer}`,
    };
  }

  /** EDA has no job to cancel: the reconciler waits for the provision to end by itself. */
  cancel(): Promise<CancelResult> {
    return Promise.resolve('notSupported');
  }

  private async current(
    instance: ComputeInstance,
  ): Promise<ComputeInstance | undefined> {
    const { namespace, name, uid } = instance.metadata;
    const current = await this.options.store.get(namespace, name);
    // Same name, other uid: a new instance reused the name; its annotations say nothing about ours.
    return current && current.metadata.uid === uid ? current : undefined;
  }

  private timedOut(job: ProvisioningJob): boolean {
    const limit = this.options.completionTimeoutMs;
    if (limit === undefined) return false;
    const sent = Date.parse(job.timestamp);
    return Number.isFinite(sent) && this.now() - sent > limit;
  }
}

function ref(instance: ComputeInstance): string {
  return `ComputeInstance ${instance.metadata.namespace}/${instance.metadata.name}`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
