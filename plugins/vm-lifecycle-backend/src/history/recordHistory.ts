import { LoggerService } from '@backstage/backend-plugin-api';
import { ComputeInstanceStore } from '../store/types';
import { DatabaseInstanceHistory } from './DatabaseInstanceHistory';

/**
 * Keeps the last state of every instance that goes away. Every replica records (the write is
 * idempotent by uid): in cluster mode the API server, not a replica of ours, removes the object,
 * so no replica could claim the deletion as its own write.
 */
export function recordDeletedInstances(
  store: ComputeInstanceStore,
  history: DatabaseInstanceHistory,
  logger?: Pick<LoggerService, 'warn'>,
): () => void {
  return store.watch(event => {
    if (event.type !== 'DELETED') return;
    const { namespace, name } = event.object.metadata;
    history
      .recordDeleted(event.object)
      .catch(e =>
        logger?.warn(
          `Could not keep the history of deleted ComputeInstance ${namespace}/${name}: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
  });
}
