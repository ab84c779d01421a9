import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ApiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { LifecycleEventStore } from '../events/types';
import { ProvisioningProvider } from '../providers/types';
import { FenceSource, isFencedWriteError } from '../store/fencing';
import { ComputeInstanceStore, WatchEvent } from '../store/types';
import { BackoffPolicy } from './decide';
import { JobPollingMode, JobTracker } from './jobTracker';
import {
  isLeadershipLostError,
  LeaderElector,
  LeadershipLostError,
  SoleLeader,
} from './leaderElection';
import { EventSink, Reconciler } from './reconciler';
import { keyOf } from './statusWriter';
import { WorkQueue } from './workQueue';

export interface ControllerOptions {
  /** With a store that can fence (DatabaseStore) and an elector that has a fence, the controller's writes are fenced. */
  store: ComputeInstanceStore;
  provider: ProvisioningProvider;
  events: LifecycleEventStore;
  names: ApiGroupNames;
  logger: LoggerService;
  pollIntervalMs?: number;
  workers?: number;
  resyncIntervalMs?: number;
  maxJobHistory?: number;
  jobPolling?: JobPollingMode;
  retryBackoff?: BackoffPolicy;
  configErrorRetryMs?: number;
  /** See ReconcilerOptions.unknownOutcomeSettleMs. */
  unknownOutcomeSettleMs?: number;
  /** See ReconcilerOptions.maxClockSkewMs. */
  maxClockSkewMs?: number;
  /** See ReconcilerOptions.deletionStuckAfterMs. */
  deletionStuckAfterMs?: number;
  leaderElector?: LeaderElector;
  /** Called after a lifecycle event was recorded (the plugin publishes it). */
  onEvent?: EventSink;
}

/**
 * The ComputeInstance controller: store changes and tracker wake-ups feed a work queue whose
 * workers run the reconciler; a periodic resync re-queues every instance so nothing is forgotten
 * after a missed event. It acts only while it holds leadership.
 */
export class Controller {
  readonly tracker: JobTracker;
  readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  private readonly leader: LeaderElector;
  private unwatch?: () => void;
  private resyncTimer?: NodeJS.Timeout;
  private firstResyncRetry?: NodeJS.Timeout;
  private releaseFirstResync?: () => void;
  private leading = false;
  /** Aborted when this term of leadership ends: in-flight AAP requests are abandoned. */
  private term?: AbortController;
  private fencedNoticeLogged = false;

  constructor(private readonly o: ControllerOptions) {
    const pollIntervalMs = o.pollIntervalMs ?? 2000;
    this.leader = o.leaderElector ?? new SoleLeader();
    this.queue = new WorkQueue({
      workers: o.workers ?? 4,
      handler: key => this.reconcileFenced(key),
      onError: (key, error, retryInMs) =>
        o.logger.warn(
          `Reconcile of ComputeInstance ${key} failed, retrying in ${retryInMs} ms: ${error instanceof Error ? error.message : String(error)}`,
        ),
    });
    this.tracker = new JobTracker({
      provider: o.provider,
      mode: o.jobPolling ?? 'batch',
      pollIntervalMs,
      onChange: key => this.queue.addPriority(key),
    });
    const recordEvent: EventSink = async (instance, event) => {
      await o.events.record(instance.metadata, event);
      await o.onEvent?.(instance, event);
    };
    this.reconciler = new Reconciler({
      store: fencedStoreFor(o.store, this.leader),
      provider: o.provider,
      tracker: this.tracker,
      names: o.names,
      recordEvent,
      logger: o.logger,
      pollIntervalMs,
      maxJobHistory: o.maxJobHistory ?? 10,
      retryBackoff: o.retryBackoff,
      configErrorRetryMs: o.configErrorRetryMs,
      unknownOutcomeSettleMs: o.unknownOutcomeSettleMs,
      maxClockSkewMs: o.maxClockSkewMs,
      deletionStuckAfterMs: o.deletionStuckAfterMs,
      onLaunchResolved: key => this.queue.addPriority(key),
      leadership: {
        confirm: () => this.leader.confirmLeadership(),
        signal: () =>
          this.term?.signal ?? AbortSignal.abort(new LeadershipLostError()),
      },
    });
  }

  start(): void {
    this.leader.start({
      onStartedLeading: () => this.startLeading(),
      onStoppedLeading: () => this.stopLeading(),
    });
  }

  async stop(): Promise<void> {
    // A clean stop lets the reconciles in flight finish while the lease is still held and renewed:
    // a launch abandoned here would make the next leader wait out the settle time. Losing the lease
    // meanwhile still aborts them (stopLeading).
    if (this.leading) await this.queue.stop();
    await this.leader.stop();
    await this.stopLeading();
  }

  isLeading(): boolean {
    return this.leading;
  }

  /** Reconciles one instance now (the router calls this after a write so users see progress at once). */
  enqueue(instance: Pick<ComputeInstance, 'metadata'>): void {
    if (this.leading) this.queue.add(keyOf(instance));
  }

  /**
   * A reconcile that finds it no longer leads (a write refused by the store's fence, leadership
   * lost before a launch, a request aborted with the term) stops: nothing of it is retried here, the
   * next leader reconciles the instance from what the store holds. Logged once per term.
   */
  private async reconcileFenced(key: string) {
    try {
      return await this.reconciler.reconcile(key);
    } catch (e) {
      if (!isFencedWriteError(e) && !isLeadershipLostError(e)) throw e;
      if (!this.fencedNoticeLogged) {
        this.fencedNoticeLogged = true;
        this.o.logger.warn(
          `Reconcile of ComputeInstance ${key} stopped: ${e.message}. The controller acts no further in this term; the replica that leads now reconciles from the stored state`,
        );
      }
      // The store refused us: learn it from the lease too, so the elector steps down now.
      if (isFencedWriteError(e)) {
        this.leader
          .confirmLeadership()
          .catch(error =>
            this.o.logger.warn(
              `Could not check the controller lease after a refused write: ${error instanceof Error ? error.message : String(error)}`,
            ),
          );
      }
      return {};
    }
  }

  private async startLeading(): Promise<void> {
    if (this.leading) return;
    this.leading = true;
    this.term = new AbortController();
    this.fencedNoticeLogged = false;
    this.o.logger.info('ComputeInstance controller started leading');
    this.unwatch = this.o.store.watch((event: WatchEvent) => {
      if (event.type === 'DELETED') {
        this.reconciler.forget(keyOf(event.object));
        return;
      }
      this.queue.add(keyOf(event.object));
    });
    this.queue.start();
    this.tracker.start();
    // The periodic resync starts whatever the first one does: a failed first resync must not
    // leave the controller leading with no resync at all (nor reject into the elector).
    const resyncMs = this.o.resyncIntervalMs ?? 5 * 60_000;
    this.resyncTimer = setInterval(() => void this.resyncLogged(), resyncMs);
    this.resyncTimer.unref?.();
    // In the background: the elector awaits this callback, and its renewals must not wait on a
    // store that is down.
    void this.firstResync();
  }

  /** The first resync on gaining leadership, retried with backoff until it works or leadership ends. */
  private async firstResync(): Promise<void> {
    for (let attempt = 1; this.leading; attempt++) {
      if (await this.resyncLogged()) return;
      const delayMs = Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 6));
      await new Promise<void>(resolve => {
        this.firstResyncRetry = setTimeout(resolve, delayMs);
        this.firstResyncRetry.unref?.();
        this.releaseFirstResync = resolve;
      });
    }
  }

  private async resyncLogged(): Promise<boolean> {
    try {
      await this.resync();
      return true;
    } catch (e) {
      this.o.logger.warn(
        `Resync of ComputeInstances failed: ${e instanceof Error ? e.message : String(e)}`,
      );
      return false;
    }
  }

  private async stopLeading(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    // First of all: requests in flight (a launch can take 30 s) are abandoned, not awaited.
    this.term?.abort(new LeadershipLostError());
    this.unwatch?.();
    this.unwatch = undefined;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.firstResyncRetry) clearTimeout(this.firstResyncRetry);
    this.releaseFirstResync?.();
    await this.tracker.stop();
    await this.queue.stop();
    this.o.logger.info('ComputeInstance controller stopped leading');
  }

  private async resync(): Promise<void> {
    const items = await this.o.store.list();
    for (const item of items) this.queue.add(keyOf(item));
  }
}

/** A store that can fence its writes with a lease (the database store). */
interface FenceableStore extends ComputeInstanceStore {
  fenced(fence: FenceSource): ComputeInstanceStore;
}

function isFenceable(store: ComputeInstanceStore): store is FenceableStore {
  return typeof (store as Partial<FenceableStore>).fenced === 'function';
}

/**
 * Database mode: the reconciler writes through the store fenced with the elector's lease, so a
 * replica that lost its lease cannot write. Without a lease (SoleLeader) or a store that cannot
 * fence (the Kubernetes API server, see docs/replicas.md), the store as it is.
 */
function fencedStoreFor(
  store: ComputeInstanceStore,
  leader: LeaderElector,
): ComputeInstanceStore {
  if (!leader.fence || !isFenceable(store)) return store;
  const fence = leader.fence.bind(leader);
  return store.fenced(() => fence());
}
