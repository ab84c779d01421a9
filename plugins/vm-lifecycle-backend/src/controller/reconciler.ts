import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { stopProvisionJob } from './cancelSteps';
import {
  decideDeprovision,
  decideProvision,
  DeprovisionDecision,
} from './decide';
import { reportDeletionBlock, takeRetryRequest } from './deletionSteps';
import { addFinalizer, removeFinalizer } from './finalizers';
import { pollJob } from './jobSteps';
import { launch, resolveLaunch } from './launchSteps';
import {
  assertNever,
  ReconcileContext,
  ReconcilerOptions,
} from './reconcileContext';
import { desiredConfigVersion } from './status';
import { splitKey } from './statusWriter';
import { ReconcileResult } from './workQueue';

export type { EventSink, ReconcilerOptions } from './reconcileContext';

/**
 * Moves one ComputeInstance one step toward its desired state (DOMAIN.md section 4). Level
 * triggered: every call reads the instance fresh from the store and decides from its status alone
 * (decide.ts), so a restarted controller resumes where the status says it was. This class only
 * orchestrates; the steps live in launchSteps, cancelSteps, jobSteps and finalizers.
 */
export class Reconciler {
  private readonly ctx: ReconcileContext;

  constructor(options: ReconcilerOptions) {
    this.ctx = new ReconcileContext(options);
  }

  /** The instance of this key is gone: drop what the controller remembers of it. */
  forget(key: string): void {
    this.ctx.o.tracker.forgetInstance(key);
    this.ctx.memory.forgetKey(key);
    this.ctx.resolver.forgetKey(key);
  }

  /** Instances the controller still remembers anything of (leak checks). */
  get rememberedInstances(): number {
    return (
      this.ctx.memory.size +
      this.ctx.writer.pendingCount +
      this.ctx.resolver.size
    );
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { ctx } = this;
    const { namespace, name } = splitKey(key);
    const stored = await ctx.o.store.get(namespace, name);
    if (!stored) {
      this.forget(key);
      return {};
    }
    ctx.memory.observe(key, stored.metadata.uid);
    let instance = stored;
    if (ctx.writer.pendingJobs(stored).length > 0) {
      // A launched job id could not be persisted earlier: persist it before deciding anything.
      instance = (await ctx.writeStatus(stored, s => s)) ?? stored;
    }
    return instance.metadata.deletionTimestamp
      ? this.reconcileDelete(key, instance)
      : this.reconcileProvision(key, instance);
  }

  private async reconcileProvision(
    key: string,
    initial: ComputeInstance,
  ): Promise<ReconcileResult> {
    const { ctx } = this;
    const instance = await addFinalizer(ctx, initial);
    if (!instance) return {};
    const desired = desiredConfigVersion(instance);
    const decision = decideProvision(
      instance.status.provisioningJobs,
      desired,
      ctx.now(),
      ctx.backoff,
    );
    switch (decision.action) {
      case 'trigger':
        return launch(ctx, key, instance, 'provision', desired);
      case 'resolveLaunch':
        return resolveLaunch(ctx, key, instance, decision.job);
      case 'poll':
        return pollJob(ctx, key, instance, decision.job);
      case 'skip':
        await ctx.writeStatus(instance, s => s);
        return {};
      case 'backoff':
        await ctx.writeStatus(instance, s => s);
        return { requeueAfterMs: decision.retryInMs };
      default:
        return assertNever(decision);
    }
  }

  private async reconcileDelete(
    key: string,
    initial: ComputeInstance,
  ): Promise<ReconcileResult> {
    const { ctx } = this;
    let instance = initial;
    if (!instance.metadata.finalizers.includes(ctx.o.names.finalizer))
      return {};
    if (instance.status.phase !== 'Deleting') {
      const written = await ctx.writeStatus(instance, s => s);
      if (!written) return {};
      await ctx.event(
        instance,
        'Normal',
        'DeletionStarted',
        'Deletion requested: the VM will be deprovisioned before the record is removed',
      );
      instance = written;
    }
    const passStartMs = ctx.now();
    const retryRequestedAtMs = takeRetryRequest(ctx, instance);
    const decision = decideDeprovision(
      instance.status.provisioningJobs,
      ctx.now(),
      ctx.backoff,
      retryRequestedAtMs,
    );
    if (decision.action === 'removeFinalizer') {
      await removeFinalizer(
        ctx,
        key,
        instance,
        decision.reason === 'Succeeded'
          ? `Deprovision job ${decision.job?.jobID} succeeded; the record is released`
          : `Deprovision job ${decision.job?.jobID} ended ${decision.job?.state} and does not block deletion; the record is released`,
      );
      return {};
    }
    const result = await this.deletionStep(key, instance, decision);
    await reportDeletionBlock(ctx, instance, decision, result, passStartMs);
    return result;
  }

  private deletionStep(
    key: string,
    instance: ComputeInstance,
    decision: Exclude<DeprovisionDecision, { action: 'removeFinalizer' }>,
  ): Promise<ReconcileResult> {
    const { ctx } = this;
    switch (decision.action) {
      case 'resolveLaunch':
        return resolveLaunch(ctx, key, instance, decision.job);
      case 'stopProvision':
        return stopProvisionJob(ctx, key, instance, decision.job);
      case 'trigger':
        return launch(
          ctx,
          key,
          instance,
          'deprovision',
          instance.status.desiredConfigVersion ??
            desiredConfigVersion(instance),
        );
      case 'poll':
        return pollJob(ctx, key, instance, decision.job);
      case 'backoff':
        return Promise.resolve({ requeueAfterMs: decision.retryInMs });
      default:
        return assertNever(decision);
    }
  }
}
