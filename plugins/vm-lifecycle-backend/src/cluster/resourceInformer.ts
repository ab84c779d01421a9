import { LoggerService } from '@backstage/backend-plugin-api';
import {
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import { describeKubeError } from './kubeErrors';

/**
 * client-node's Watch, asking for BOOKMARK events (so a reconnect resumes from a recent
 * resourceVersion instead of re-listing) and able to abort a watch whose request was still being
 * opened when the informer stopped (ListWatch only aborts requests that have already answered).
 */
class StoppableWatch extends Watch {
  private stopped = false;
  private readonly open = new Set<AbortController>();

  async watch(
    ...[path, queryParams, callback, done]: Parameters<Watch['watch']>
  ): Promise<AbortController> {
    // `done` may run before super.watch resolves (a refused request), hence the shared state.
    const state: { controller?: AbortController; finished: boolean } = {
      finished: false,
    };
    state.controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      callback,
      err => {
        state.finished = true;
        if (state.controller) this.open.delete(state.controller);
        done(err);
      },
    );
    if (this.stopped) state.controller.abort();
    else if (!state.finished) this.open.add(state.controller);
    return state.controller;
  }

  stopAll(): void {
    this.stopped = true;
    for (const controller of this.open) controller.abort();
    this.open.clear();
  }

  resume(): void {
    this.stopped = false;
  }
}

/** A list answer; items are raw JSON objects (timestamps are strings, not the typed API's Dates). */
export interface RawList<T> {
  metadata?: { resourceVersion?: string };
  items: T[];
}

export interface ResourceInformerOptions<T> {
  kubeConfig: KubeConfig;
  /** Collection path, e.g. /apis/osac.openshift.io/v1alpha1/namespaces/team-a/computeinstances. */
  path: string;
  list: () => Promise<RawList<T>>;
  labelSelector?: string;
  /** What is being watched, for log lines: "computeinstances.osac.openshift.io in team-a". */
  description: string;
  logger?: LoggerService;
  onAdd(object: T): void;
  onUpdate(object: T): void;
  onDelete(object: T): void;
  /** After a (re-)list was applied to the cache and its differences were reported. */
  onListed?(): void;
  /** Retry delays after a failed list or watch: base doubling up to max. Defaults 500 ms and 30 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/**
 * A client-node ListWatch (list, then watch from the list's resourceVersion; on 410 Gone it re-lists
 * and reports what changed meanwhile as add/update/delete) that keeps going: ListWatch gives up after
 * any other error, so this restarts it with backoff until stopped.
 */
export class ResourceInformer<T> {
  private readonly watch: StoppableWatch;
  private readonly informer: ListWatch<KubernetesObject>;
  private stopped = true;
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;
  private lastListError?: unknown;
  private listed = false;

  constructor(private readonly o: ResourceInformerOptions<T>) {
    this.watch = new StoppableWatch(o.kubeConfig);
    this.informer = new ListWatch<KubernetesObject>(
      o.path,
      this.watch,
      async () => {
        try {
          const result =
            (await o.list()) as unknown as KubernetesListObject<KubernetesObject>;
          this.listed = true;
          this.failures = 0;
          // ListWatch applies the list right after this promise settles; report once it has.
          if (o.onListed) setImmediate(o.onListed);
          return result;
        } catch (e) {
          this.lastListError = e;
          throw e;
        }
      },
      false,
      o.labelSelector,
    );
    const received = (fn: (obj: T) => void) => (obj: KubernetesObject) => {
      this.failures = 0;
      fn(obj as unknown as T);
    };
    this.informer.on('add', received(o.onAdd));
    this.informer.on('update', received(o.onUpdate));
    this.informer.on('delete', received(o.onDelete));
    this.informer.on('error', err => this.onError(err));
  }

  /** Lists and starts watching; fails when the first list fails (wrong credentials, CRD missing). */
  async start(): Promise<void> {
    this.stopped = false;
    this.watch.resume();
    await this.informer.start();
    if (!this.listed) {
      await this.stop();
      throw new Error(
        `Cannot list ${this.o.description}: ${describeKubeError(this.lastListError)}`,
      );
    }
  }

  /**
   * The informer's cache: every object as of the last event applied. The objects are the cache's
   * own; callers must not change them.
   */
  cached(): ReadonlyArray<T> {
    return this.informer.list() as unknown as ReadonlyArray<T>;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.informer.stop();
    this.watch.stopAll();
  }

  private onError(err: unknown): void {
    if (this.stopped || !this.listed) return;
    this.failures += 1;
    const base = this.o.retryBaseMs ?? 500;
    const delay = Math.min(
      this.o.retryMaxMs ?? 30_000,
      base * 2 ** (this.failures - 1),
    );
    this.o.logger?.warn(
      `Watch of ${this.o.description} failed (${describeKubeError(err)}); restarting in ${delay} ms`,
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) void this.informer.start();
    }, delay);
    this.retryTimer.unref?.();
  }
}
