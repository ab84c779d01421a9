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
import { LeaderElector } from './leaderElection';

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
  now?: () => number;
}

type Callbacks = Parameters<LeaderElector['start']>[0];

/**
 * Leader election with a coordination.k8s.io/v1 Lease, as client-go's leaderelection package does it:
 * the holder renews `renewTime` every retry period; a candidate takes the lease over (a write with
 * the resourceVersion it read, so of two candidates one wins) only when the holder's record has not
 * changed for a whole lease duration *by the candidate's own clock* — comparing the remote renewTime
 * with a local clock would let clock skew elect two leaders. A holder that cannot renew within the
 * renew deadline stops leading before the others may take over.
 */
export class KubernetesLeaderElector implements LeaderElector {
  readonly identity: string;
  private readonly api: CoordinationV1Api;
  private readonly name: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
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
    await this.round;
    if (!this.leading) return;
    if (this.o.releaseOnStop ?? true) await this.release();
    await this.setLeading(false);
  }

  isLeader(): boolean {
    return this.leading;
  }

  private async campaign(): Promise<void> {
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
      this.lastRenewedAt = this.now();
      if (!this.leading) await this.setLeading(true);
    } else if (
      this.leading &&
      this.now() - this.lastRenewedAt >= this.renewDeadlineMs
    ) {
      // Step down before the lease can expire for the others: two leaders must never overlap.
      await this.setLeading(false);
    }
  }

  private async setLeading(leading: boolean): Promise<void> {
    this.leading = leading;
    this.o.logger.info(
      `Leader lease ${this.o.namespace}/${this.name}: ${this.identity} ${leading ? 'acquired' : 'lost'} leadership`,
    );
    if (leading) await this.callbacks?.onStartedLeading();
    else await this.callbacks?.onStoppedLeading();
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
    const now = this.now();
    const stamp = new V1MicroTime(now);
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
