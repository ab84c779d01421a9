import { LoggerService } from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { durationToMilliseconds } from '@backstage/types';
import { ApiGroupNames } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { readInstanceLinks } from '@vm-selfservice/plugin-vm-lifecycle-node';
import { ComputeInstanceStore } from '../store/types';
import { TransitionNotifier } from './TransitionNotifier';

export { TransitionNotifier, NOTIFICATION_TOPIC } from './TransitionNotifier';
export { ExpiryNotifications } from './ExpiryNotifications';

const DEFAULT_STUCK_DELETION_AFTER_MS = 60 * 60_000;

/** The notifier as vmLifecycle.notifications configures it, or undefined when they are off. */
export function createTransitionNotifier(o: {
  config: Config;
  store: ComputeInstanceStore;
  notifications: NotificationService;
  names: ApiGroupNames;
  adminGroups: string[];
  isLeader: () => boolean;
  logger: LoggerService;
}): TransitionNotifier | undefined {
  const c = o.config.getOptionalConfig('vmLifecycle.notifications');
  if (c?.getOptionalBoolean('enabled') === false) return undefined;
  const stuckDeletionAfterMs = c?.has('stuckDeletionAfter')
    ? durationToMilliseconds(
        readDurationFromConfig(c, { key: 'stuckDeletionAfter' }),
      )
    : DEFAULT_STUCK_DELETION_AFTER_MS;
  return new TransitionNotifier({
    store: o.store,
    notifications: o.notifications,
    names: o.names,
    links: readInstanceLinks(o.config),
    adminGroups: o.adminGroups,
    isLeader: o.isLeader,
    stuckDeletionAfterMs,
    sweepIntervalMs: Math.min(60_000, Math.max(1000, stuckDeletionAfterMs / 4)),
    logger: o.logger,
  });
}
