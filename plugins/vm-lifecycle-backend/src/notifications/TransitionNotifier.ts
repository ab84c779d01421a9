import { LoggerService } from '@backstage/backend-plugin-api';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import {
  ApiGroupNames,
  ComputeInstance,
  latestJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { VmInstanceLinks } from '@vm-selfservice/plugin-vm-lifecycle-node';
import { ComputeInstanceStore, WatchEvent } from '../store/types';
import {
  FactKind,
  InstanceFact,
  instanceFacts,
  instanceRecipients,
} from './instanceFacts';

/** The notifications' topic: people can filter and mute it in the notifications page. */
export const NOTIFICATION_TOPIC = 'vm-lifecycle';

export interface TransitionNotifierOptions {
  store: ComputeInstanceStore;
  notifications: NotificationService;
  names: ApiGroupNames;
  links: VmInstanceLinks;
  adminGroups: string[];
  /** True while this replica's controller holds the leadership (it writes the transitions). */
  isLeader: () => boolean;
  /** Admins hear of a deletion still waiting after this long. */
  stuckDeletionAfterMs: number;
  /** How often the stuck deletions are looked for. */
  sweepIntervalMs?: number;
  logger: LoggerService;
  now?: () => number;
}

interface Known {
  uid: string;
  /** The keys of every fact seen for this VM (a handful: one per ready, failure, deletion). */
  facts: Set<string>;
  instance: ComputeInstance;
}

/**
 * Sends a notification for each transition of a VM: ready, provision failed, deletion blocked and
 * deleted to its requester and owner; deletions stuck for too long to the admin groups.
 *
 * Every replica follows every change (its own writes and, through the change feed or the
 * informer, the others'), so it knows what a VM's status was before; only the controller's leader,
 * which wrote the transition, sends. A transition is recognised by a key its status carries (a
 * condition's lastTransitionTime, a job id), and that key is the notification's scope: if two
 * replicas send during a change of leadership, the notifications backend updates the first
 * notification instead of adding a second. What was already so when this replica first saw a VM
 * (at start) is no transition, so a restart does not repeat old news.
 */
export class TransitionNotifier {
  private readonly known = new Map<string, Known>();
  private readonly stuckNotified = new Set<string>();
  private unwatch?: () => void;
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly o: TransitionNotifierOptions) {
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    // Watch first: a change during the list is then seen as a change, not taken as the start.
    this.unwatch = this.o.store.watch(event => this.onEvent(event));
    for (const instance of await this.o.store.list()) {
      const key = keyOf(instance);
      if (!this.known.has(key)) this.remember(instance);
    }
    const interval = this.o.sweepIntervalMs ?? 60_000;
    this.timer = setInterval(() => this.sweepStuckDeletions(), interval);
    this.timer.unref?.();
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    clearInterval(this.timer);
  }

  /** Adds the instance's facts to those already seen for the same VM (a new uid starts afresh). */
  private remember(instance: ComputeInstance, seen = new Set<string>()) {
    for (const fact of instanceFacts(instance)) seen.add(fact.key);
    this.known.set(keyOf(instance), {
      uid: instance.metadata.uid,
      facts: seen,
      instance,
    });
  }

  private onEvent(event: WatchEvent): void {
    const instance = event.object;
    const key = keyOf(instance);
    const before = this.known.get(key);
    if (event.type === 'DELETED') {
      this.known.delete(key);
      this.stuckNotified.delete(instance.metadata.uid);
      this.send(instance, 'deleted', 'deleted');
      return;
    }
    const sameVm = before?.uid === instance.metadata.uid;
    if (before && !sameVm) this.stuckNotified.delete(before.uid);
    // A VM first seen in a MODIFIED event (this replica started after its creation) has no
    // "before": its current state is not news. A brand new VM (ADDED) starts from nothing.
    if (!sameVm && event.type !== 'ADDED') {
      this.remember(instance);
      return;
    }
    // Every fact key ever seen for this VM, not only its last state's: a condition that goes
    // False during a retry and True again with the same key is the same news.
    const seen = sameVm ? before.facts : new Set<string>();
    const fresh = instanceFacts(instance).filter(f => !seen.has(f.key));
    this.remember(instance, seen);
    for (const fact of fresh) this.send(instance, fact.kind, fact.key);
  }

  /** Deletions waiting longer than stuckDeletionAfterMs, once per VM, to the admin groups. */
  sweepStuckDeletions(): void {
    if (!this.o.isLeader() || this.o.adminGroups.length === 0) return;
    const now = this.now();
    for (const { instance } of this.known.values()) {
      const requested = instance.metadata.deletionTimestamp;
      if (!requested || this.stuckNotified.has(instance.metadata.uid)) continue;
      const waited = now - Date.parse(requested);
      if (waited < this.o.stuckDeletionAfterMs) continue;
      this.stuckNotified.add(instance.metadata.uid);
      const { namespace, name } = instance.metadata;
      const blocked = instance.status?.conditions?.find(
        c => c.type === 'DeletionBlocked' && c.status === 'True',
      );
      this.deliver(instance, 'stuck', {
        recipients: { type: 'entity', entityRef: this.o.adminGroups },
        payload: {
          title: `Deletion of VM ${namespace}/${name} stuck for ${Math.round(waited / 60_000)} min`,
          description: blocked
            ? `${blocked.reason}: ${blocked.message}`
            : `Deletion requested at ${requested} has not finished.`,
          link: this.o.links.portalUrl(instance),
          severity: 'high',
          topic: NOTIFICATION_TOPIC,
        },
      });
    }
  }

  private send(
    instance: ComputeInstance,
    kind: FactKind | 'deleted',
    factKey: string,
  ): void {
    if (!this.o.isLeader()) return;
    const recipients = instanceRecipients(instance, this.o.names);
    if (recipients.length === 0) return;
    const { namespace, name } = instance.metadata;
    const vm = `VM ${namespace}/${name}`;
    const portal = this.o.links.portalUrl(instance);
    const job = latestJob(instance.status?.provisioningJobs, 'provision');
    const payloads: Record<
      FactKind | 'deleted',
      () => NotificationSendOptions['payload']
    > = {
      ready: () => ({
        title: `${vm} is ready`,
        description: instance.status.ipAddress
          ? `Running at ${instance.status.ipAddress}.`
          : 'Running.',
        link: portal,
        severity: 'normal',
      }),
      provisionFailed: () => ({
        title: `Provisioning ${vm} failed`,
        description: job?.message || `Provision job ${job?.jobID} failed.`,
        link: job ? this.o.links.jobUrl(instance, job.jobID) : portal,
        severity: 'high',
      }),
      deletionBlocked: () => {
        const blocked = instance.status.conditions?.find(
          c => c.type === 'DeletionBlocked',
        );
        return {
          title: `Deletion of ${vm} is blocked`,
          description: blocked ? blocked.message : undefined,
          link: portal,
          severity: 'high',
        };
      },
      deleted: () => ({
        title: `${vm} was deleted`,
        description: 'Its deprovision job has finished and the record is gone.',
        severity: 'low',
      }),
    };
    this.deliver(instance, factKey, {
      recipients: { type: 'entity', entityRef: recipients },
      payload: { ...payloads[kind](), topic: NOTIFICATION_TOPIC },
    });
  }

  private deliver(
    instance: ComputeInstance,
    factKey: string,
    options: NotificationSendOptions,
  ): void {
    const scope = `vm-lifecycle:${instance.metadata.uid}:${factKey}`;
    void this.o.notifications
      .send({ ...options, payload: { ...options.payload, scope } })
      .catch(e =>
        // Notifications are best effort: the VM's page and the events stay the record.
        this.o.logger.warn(
          `Could not send the notification "${options.payload.title}": ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
  }
}

function keyOf(instance: ComputeInstance) {
  return `${instance.metadata.namespace}/${instance.metadata.name}`;
}

export type { InstanceFact };
