import { LeaderElector } from '../controller/leaderElection';

export interface LeadershipHooks {
  started(): void | Promise<void>;
  stopped(): void | Promise<void>;
}

/**
 * The same elector, also running work that belongs to the leader only (the KubeVirt status sync):
 * it starts before the controller does and stops after it.
 */
export function withLeadershipHooks(
  inner: LeaderElector,
  hooks: LeadershipHooks,
): LeaderElector {
  return {
    start(callbacks) {
      inner.start({
        async onStartedLeading() {
          await hooks.started();
          await callbacks.onStartedLeading();
        },
        async onStoppedLeading() {
          await callbacks.onStoppedLeading();
          await hooks.stopped();
        },
      });
    },
    stop: () => inner.stop(),
    isLeader: () => inner.isLeader(),
    confirmLeadership: () => inner.confirmLeadership(),
    ...(inner.fence ? { fence: () => inner.fence!() } : {}),
  };
}
