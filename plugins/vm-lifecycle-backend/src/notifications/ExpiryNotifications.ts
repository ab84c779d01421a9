import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  ApiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { VmInstanceLinks } from '@vm-selfservice/plugin-vm-lifecycle-node';
import { LifecycleNotifier } from './LifecycleNotifier';
import { instanceRecipients } from './instanceFacts';
import { NOTIFICATION_TOPIC } from './TransitionNotifier';

function inWords(ms: number): string {
  const hours = Math.round(ms / 3_600_000);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'}`;
  const days = Math.round(ms / 86_400_000);
  return `${days} days`;
}

/**
 * Expiry reminders and expiries through the Backstage notifications service, to the VM's requester
 * and owner. The scope names the expiry, so a repeat (two replicas around a change of leader)
 * updates the notification instead of adding one.
 */
export class ExpiryNotifications implements LifecycleNotifier {
  constructor(
    private readonly o: {
      notifications: NotificationService;
      names: ApiGroupNames;
      links: VmInstanceLinks;
    },
  ) {}

  async expiryReminder(
    instance: ComputeInstance,
    details: { expiresAt: string; beforeMs: number },
  ): Promise<void> {
    const { namespace, name } = instance.metadata;
    await this.send(
      instance,
      `expiry-reminder@${details.expiresAt}@${details.beforeMs}`,
      {
        title: `VM ${namespace}/${name} expires in ${inWords(details.beforeMs)}`,
        description: `It will be deleted at ${details.expiresAt}. Extend it on its page if you still need it.`,
        severity: 'normal',
      },
    );
  }

  async expired(
    instance: ComputeInstance,
    details: { expiresAt: string },
  ): Promise<void> {
    const { namespace, name } = instance.metadata;
    await this.send(instance, `expired@${details.expiresAt}`, {
      title: `VM ${namespace}/${name} expired and is being deleted`,
      description: `Its lifetime ended at ${details.expiresAt}; the controller deletes it as a user's delete would.`,
      severity: 'high',
    });
  }

  private async send(
    instance: ComputeInstance,
    key: string,
    payload: {
      title: string;
      description: string;
      severity: 'normal' | 'high';
    },
  ): Promise<void> {
    const recipients = instanceRecipients(instance, this.o.names);
    if (recipients.length === 0) return;
    await this.o.notifications.send({
      recipients: { type: 'entity', entityRef: recipients },
      payload: {
        ...payload,
        link: this.o.links.portalUrl(instance),
        topic: NOTIFICATION_TOPIC,
        scope: `vm-lifecycle:${instance.metadata.uid}:${key}`,
      },
    });
  }
}
