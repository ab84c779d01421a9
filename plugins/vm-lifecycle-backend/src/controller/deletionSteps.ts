import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { DeprovisionDecision } from './decide';
import { assessDeletion } from './deletionBlock';
import { ReconcileContext } from './reconcileContext';
import { setCondition } from './status';
import { ReconcileResult } from './workQueue';

/**
 * The admin's "retry now" (the deletion-retry annotation, written by the REST API): the time to
 * hand to decideDeprovision, and, once per request, forget accepted cancels so a stuck provision
 * job is read live and asked to cancel again.
 */
export function takeRetryRequest(
  ctx: ReconcileContext,
  instance: ComputeInstance,
): number | undefined {
  const value =
    instance.metadata.annotations[ctx.o.names.deletionRetryAnnotation];
  if (!value) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  const { uid } = instance.metadata;
  if (ctx.memory.takeRetryRequest(uid, value)) {
    ctx.memory.forgetCancels(uid);
    ctx.memory.releaseLaunches(uid, 'deprovision');
  }
  return at;
}

/**
 * Sets (or clears) the DeletionBlocked condition after a deletion pass, and records the event
 * when the deletion becomes blocked or the reason changes (issue 18.7).
 */
export async function reportDeletionBlock(
  ctx: ReconcileContext,
  instance: ComputeInstance,
  decision: DeprovisionDecision,
  result: ReconcileResult,
  passStartMs: number,
): Promise<void> {
  const { uid, deletionTimestamp } = instance.metadata;
  if (!deletionTimestamp) return;
  const block = assessDeletion({
    decision,
    deletionRequestedAtMs: Date.parse(deletionTimestamp),
    nowMs: ctx.now(),
    stuckAfterMs: ctx.deletionStuckAfterMs,
    nextCheckInMs: result.requeueAfterMs,
    aapTrouble: ctx.memory.aapTroubleSince(uid, passStartMs),
    cancelRequested:
      decision.action === 'stopProvision' &&
      ctx.memory.cancelRequested(uid, decision.job.jobID),
  });
  const before = instance.status.conditions?.find(
    c => c.type === 'DeletionBlocked',
  );
  if (!block.blocked && before?.status !== 'True') return;
  const nowIso = new Date(ctx.now()).toISOString();
  await ctx.writeStatus(instance, s => ({
    ...s,
    conditions: block.blocked
      ? setCondition(
          s.conditions,
          'DeletionBlocked',
          'True',
          block.reason,
          block.message,
          nowIso,
        )
      : setCondition(
          s.conditions,
          'DeletionBlocked',
          'False',
          'DeletionProceeding',
          'Nothing blocks the deletion any more',
          nowIso,
        ),
  }));
  if (
    block.blocked &&
    (before?.status !== 'True' || before.reason !== block.reason)
  ) {
    ctx.o.logger.warn(
      `ComputeInstance ${instance.metadata.namespace}/${instance.metadata.name}: deletion blocked (${block.reason}): ${block.message}`,
    );
    await ctx.event(instance, 'Warning', 'DeletionBlocked', block.message);
  }
}
