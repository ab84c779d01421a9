import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';

/**
 * Where the controller tells people about their VMs' lifecycle (reminders before expiry, the
 * expiry itself). The recipients are the VM's requester and owner (its annotations); how they are
 * told is the adapter's business, e.g. the Backstage notifications service. The controller calls a
 * notifier at most once per reminder and per expiry: it records each on the resource first.
 */
export interface LifecycleNotifier {
  expiryReminder(
    instance: ComputeInstance,
    details: { expiresAt: string; beforeMs: number },
  ): Promise<void>;
  expired(
    instance: ComputeInstance,
    details: { expiresAt: string },
  ): Promise<void>;
}

/** Tells nobody: the default until a notifications adapter is configured. */
export const noopLifecycleNotifier: LifecycleNotifier = {
  async expiryReminder() {},
  async expired() {},
};

export type RecordedNotification =
  | {
      kind: 'expiryReminder';
      namespace: string;
      name: string;
      expiresAt: string;
      beforeMs: number;
    }
  | { kind: 'expired'; namespace: string; name: string; expiresAt: string };

/** Keeps every call, for tests. */
export class RecordingLifecycleNotifier implements LifecycleNotifier {
  readonly sent: RecordedNotification[] = [];

  async expiryReminder(
    instance: ComputeInstance,
    details: { expiresAt: string; beforeMs: number },
  ) {
    const { namespace, name } = instance.metadata;
    this.sent.push({ kind: 'expiryReminder', namespace, name, ...details });
  }

  async expired(instance: ComputeInstance, details: { expiresAt: string }) {
    const { namespace, name } = instance.metadata;
    this.sent.push({ kind: 'expired', namespace, name, ...details });
  }
}
