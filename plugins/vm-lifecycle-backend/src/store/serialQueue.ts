import { Knex } from 'knex';

/** Runs async tasks one at a time, in call order. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // A failed task must not block the ones queued after it.
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const queues = new WeakMap<Knex, SerialQueue>();

/**
 * The one write queue of a database connection pool, shared by every store on that knex.
 *
 * Why: better-sqlite3 is synchronous, so when a second pooled connection meets SQLite's write lock,
 * its busy timeout blocks the whole thread, including the transaction holding the lock, and it
 * fails with "database is locked". Queuing write transactions in-process means SQLite never sees two
 * at once. It also makes watch events leave in commit order. Across processes or replicas
 * (PostgreSQL), the database's row locks and the compare-and-swap do the ordering.
 */
export function writeQueueFor(knex: Knex): SerialQueue {
  let queue = queues.get(knex);
  if (!queue) {
    queue = new SerialQueue();
    queues.set(knex, queue);
  }
  return queue;
}
