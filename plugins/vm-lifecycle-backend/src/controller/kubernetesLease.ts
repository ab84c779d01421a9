import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CoordinationV1Api,
  KubeConfig,
  V1Lease,
  V1MicroTime,
} from '@kubernetes/client-node';
import { describeKubeError, kubeStatusOf } from '../cluster/kubeErrors';
import { LeaderElector, monotonicNow } from './leaderElection';

export interface KubernetesLeaderElectorOptions {
  kubeConfig: KubeConfig;
  logger: LoggerService;
  /** Namespace of the Lease (the backend's own namespace in a cluster). */
  namespace: string;
  /** Lease name: one per controller. Default vm-lifecycle-controller. */
  name?: string;
  /** Unique per replica; default hostname + random suffix (the pod name in a cluster). */
  identity?: string;
  /** Others may take the lease when its holder has not renewed for this long. Default 15 s. */
  leaseDurationMs?: number;
  /** The holder gives up leading when it could not renew for this long; must be < leaseDuration. Default 10 s. */
  renewDeadlineMs?: number;
  /** How often the holder renews and the others retry. Default 2 s. */
  retryPeriodMs?: number;
  /**
   * Hand the lease over on stop (a graceful shutdown), so another replica leads at once instead of
   * after expiry. Default true; false behaves like a crashed replica.
   */
  releaseOnStop?: boolean;
  /** Wall clock, for the Lease's acquireTime and renewTime (which are for people). */
  now?: () => number;
  /** Monotonic milliseconds: every duration this replica judges (expiry, renew deadline) uses it. */
  monotonicNow?: () => number;
}

type Callbacks = Parameters<LeaderElector['start']>[0];

/**
 * Leader election with a coordination.k8s.io/v1 Lease, as client-go's leaderelection package does it:
 * the holder renews `renewTime` every retry period; a candidate takes the lease over (a write with
 * the resourceVersion it read, so of two candidates one wins) only when the holder's record has not
 * changed for a whole lease duration *by the candidate's own clock* — comparing the remote renewTime
 * with a local clock would let clock skew elect two leaders. A holder that cannot renew within the
 * renew deadline stops leading before the others may take over; a timer makes it step down at that
 * deadline even while a renewal hangs, and `isLeader` says false from then on whatever the timer.
 *
 * The API server cannot fence our writes by the Lease (docs/replicas.md, "Fencing"): before an AAP
 * launch or cancel, `confirmLeadership` reads the Lease again, and the controller aborts its
 * requests in flight when it stops leading.
 */
export class KubernetesLeaderElector implements LeaderElector {
  readonly identity: string;
  private readonly api: CoordinationV1Api;
  private readonly name: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly mono: () => number;
  private timer?: NodeJS.Timeout;
  private deadline?: NodeJS.Timeout;
  private round?: Promise<void>;
  private transitions: Promise<void> = Promise.resolve();
  private leading = false;
  private running = false;
  private lastRenewedAt = 0;
  /** The record last seen and when (local clock) it was first seen unchanged. */
  private observed?: { record: string; at: number };
  private callbacks?: Callbacks;

  constructor(private readonly o: KubernetesLeaderElectorOptions) {
    this.api = o.kubeConfig.makeApiClient(CoordinationV1Api);
    this.identity = o.identity ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
    this.name = o.name ?? 'vm-lifecycle-controller';
    this.leaseDurationMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs =
      o.renewDeadlineMs ?? Math.round((this.leaseDurationMs * 2) / 3);
    this.retryPeriodMs = o.retryPeriodMs ?? 2_000;
    this.now = o.now ?? Date.now;
    this.mono = o.monotonicNow ?? monotonicNow;
    if (this.renewDeadlineMs >= this.leaseDurationMs) {
      throw new Error(
        'Leader election: renewDeadline must be shorter than leaseDuration',
      );
    }
  }

  start(callbacks: Callbacks): void {
    this.callbacks = callbacks;
    this.running = true;
    const tick = () => {
      if (!this.round) {
        this.round = this.campaign().finally(() => {
          this.round = undefined;
        });
      }
    };
    tick();
    this.timer = setInterval(tick, this.retryPeriodMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.deadline) clearTimeout(this.deadline);
    await this.round;
    if (!this.leading) return;
    if (this.o.releaseOnStop ?? true) await this.release();
    await this.setLeading(false);
  }

  isLeader(): boolean {
    return this.leading && this.withinRenewDeadline();
  }

  async confirmLeadership(): Promise<boolean> {
    if (!this.isLeader()) return false;
    const lease = await this.read();
    if (lease?.spec?.holderIdentity === this.identity && this.isLeader())
      return true;
    this.o.logger.warn(
      `Leader lease ${this.o.namespace}/${this.name}: ${this.identity} found on checking that ${lease?.spec?.holderIdentity || 'nobody'} holds it`,
    );
    // Not awaited: the caller is a reconcile, and stepping down waits for the reconciles to end.
    if (this.leading) void this.setLeading(false);
    return false;
  }

  private withinRenewDeadline(): boolean {
    return this.mono() - this.lastRenewedAt < this.renewDeadlineMs;
  }

  private async campaign(): Promise<void> {
    const sentAt = this.mono();
    let held: boolean;
    try {
      held = await this.tryAcquireOrRenew();
    } catch (e) {
      this.o.logger.warn(
        `Leader lease ${this.o.namespace}/${this.name}: ${describeKubeError(e)}`,
      );
      held = false;
    }
    if (!this.running) return;
    if (held) {
      // From when the renewal was sent: the others count the lease duration from no earlier.
      this.lastRenewedAt = sentAt;
      this.armDeadline();
      if (!this.leading) await this.setLeading(true);
    } else if (this.leading && !this.withinRenewDeadline()) {
      // Step down before the lease can expire for the others: two leaders must never overlap.
      await this.setLeading(false);
    }
  }

  /** Steps down at the renew deadline even if no renewal round gets to it (a hung request). */
  private armDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    const inMs = this.lastRenewedAt + this.renewDeadlineMs - this.mono();
    this.deadline = setTimeout(
      () => {
        if (!this.running || !this.leading) return;
        // A timer may fire a little early by the monotonic clock: then it waits again.
        if (this.withinRenewDeadline()) this.armDeadline();
        else void this.setLeading(false);
      },
      Math.max(0, inMs) + 1,
    );
    this.deadline.unref?.();
  }

  /** One transition at a time: a step-down from a check or the deadline never overlaps a start. */
  private setLeading(leading: boolean): Promise<void> {
    this.transitions = this.transitions.then(async () => {
      if (this.leading === leading) return;
      this.leading = leading;
      this.o.logger.info(
        `Leader lease ${this.o.namespace}/${this.name}: ${this.identity} ${leading ? 'acquired' : 'lost'} leadership`,
      );
      try {
        if (leading) await this.callbacks?.onStartedLeading();
        else await this.callbacks?.onStoppedLeading();
      } catch (e) {
        // A failing callback must not wedge every later transition.
        this.o.logger.error(
          `Leader lease ${this.o.namespace}/${this.name}: leadership callback failed: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    });
    return this.transitions;
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({
        name: this.name,
        namespace: this.o.namespace,
      });
    } catch (e) {
      if (kubeStatusOf(e)?.code === 404) return undefined;
      throw e;
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.mono();
    const stamp = new V1MicroTime(this.now());
    const lease = await this.read();
    if (!lease) {
      try {
        await this.api.createNamespacedLease({
          namespace: this.o.namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.name, namespace: this.o.namespace },
            spec: {
              holderIdentity: this.identity,
              leaseDurationSeconds: Math.max(
                1,
                Math.ceil(this.leaseDurationMs / 1000),
              ),
              acquireTime: stamp,
              renewTime: stamp,
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (e) {
        if (kubeStatusOf(e)?.code === 409) return false; // another replica created it first
        throw e;
      }
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([
      spec.holderIdentity,
      String(spec.renewTime),
      spec.leaseDurationSeconds,
    ]);
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const holder = spec.holderIdentity ?? '';
    const ours = holder === this.identity;
    const durationMs =
      (spec.leaseDurationSeconds ?? Math.ceil(this.leaseDurationMs / 1000)) *
      1000;
    const expired = holder === '' || this.observed.at + durationMs <= now;
    if (!ours && !expired) return false;
    try {
      await this.api.replaceNamespacedLease({
        name: this.name,
        namespace: this.o.namespace,
        body: {
          ...lease,
          spec: {
            ...spec,
            holderIdentity: this.identity,
            leaseDurationSeconds: Math.max(
              1,
              Math.ceil(this.leaseDurationMs / 1000),
            ),
            acquireTime: ours ? spec.acquireTime : stamp,
            renewTime: stamp,
            leaseTransitions: ours
              ? (spec.leaseTransitions ?? 0)
              : (spec.leaseTransitions ?? 0) + 1,
          },
        },
      });
    } catch (e) {
      // 409: someone else wrote the lease since we read it (a renewal, or a faster candidate).
      if (kubeStatusOf(e)?.code === 409) return false;
      throw e;
    }
    if (!ours) {
      this.o.logger.info(
        `Leader lease ${this.o.namespace}/${this.name}: taken over from ${holder || '(released)'}`,
      );
    }
    return true;
  }

  private async release(): Promise<void> {
    try {
      const lease = await this.read();
      if (!lease || lease.spec?.holderIdentity !== this.identity) return;
      await this.api.replaceNamespacedLease({
        name: this.name,
        namespace: this.o.namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            renewTime: new V1MicroTime(this.now()),
          },
        },
      });
    } catch (e) {
      this.o.logger.warn(
        `Leader lease ${this.o.namespace}/${this.name}: could not release: ${describeKubeError(e)}`,
      );
    }
  }
}
