import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { isStaleResourceVersionError } from '../store/errors';
import { ReconcileContext } from './reconcileContext';

const MAX_ATTEMPTS = 10;

/**
 * Adds the controller's finalizer before anything is launched, so a delete can never skip
 * deprovisioning. Resolves to the updated instance, or undefined when the instance is being
 * deleted or gone (nothing may be launched then); throws when conflicts outlast the retries, so
 * the reconcile fails and is retried: launching without the finalizer is never an option.
 */
export async function addFinalizer(
  ctx: ReconcileContext,
  instance: ComputeInstance,
): Promise<ComputeInstance | undefined> {
  const { finalizer } = ctx.o.names;
  let current: ComputeInstance | undefined = instance;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (!current || current.metadata.uid !== instance.metadata.uid)
      return undefined;
    if (current.metadata.deletionTimestamp) return undefined;
    if (current.metadata.finalizers.includes(finalizer)) return current;
    try {
      return await ctx.o.store.update({
        ...current,
        metadata: {
          ...current.metadata,
          finalizers: [...current.metadata.finalizers, finalizer],
        },
      });
    } catch (e) {
      if (!isStaleResourceVersionError(e)) throw e;
      current = await ctx.o.store.get(
        instance.metadata.namespace,
        instance.metadata.name,
      );
    }
  }
  throw new Error(
    `Could not add finalizer ${finalizer} to ComputeInstance ${instance.metadata.namespace}/${instance.metadata.name}: ${MAX_ATTEMPTS} conflicting writes in a row; nothing is launched until it is on`,
  );
}

/**
 * Removes the controller's finalizer once deprovisioning is done (or correctly skipped), and only
 * then records FinalizerRemoved. Throws when conflicts outlast the retries, so the reconcile is
 * retried; an instance already gone counts as released.
 */
export async function removeFinalizer(
  ctx: ReconcileContext,
  key: string,
  instance: ComputeInstance,
  message: string,
): Promise<void> {
  const { finalizer } = ctx.o.names;
  let current: ComputeInstance | undefined = instance;
  for (let attempt = 1; ; attempt++) {
    const released =
      !current ||
      current.metadata.uid !== instance.metadata.uid ||
      !current.metadata.finalizers.includes(finalizer);
    if (released) break;
    try {
      await ctx.o.store.update({
        ...current!,
        metadata: {
          ...current!.metadata,
          finalizers: current!.metadata.finalizers.filter(f => f !== finalizer),
        },
      });
      break;
    } catch (e) {
      if (!isStaleResourceVersionError(e)) throw e;
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(
          `Could not remove finalizer ${finalizer} from ComputeInstance ${key}: ${MAX_ATTEMPTS} conflicting writes in a row; retrying`,
        );
      }
      current = await ctx.o.store.get(
        instance.metadata.namespace,
        instance.metadata.name,
      );
    }
  }
  await ctx.event(instance, 'Normal', 'FinalizerRemoved', message);
  ctx.o.tracker.forgetInstance(key);
  ctx.memory.forgetKey(key);
  ctx.resolver.forgetKey(key);
}
