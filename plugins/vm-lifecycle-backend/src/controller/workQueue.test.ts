import { WorkQueue } from './workQueue';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('never runs one key in two workers at once, and re-runs a key added while it ran', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const runs: string[] = [];
    const queue = new WorkQueue({
      workers: 4,
      handler: async key => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        runs.push(key);
        await sleep(20);
        concurrent--;
      },
    });
    queue.start();
    queue.add('a');
    await sleep(5);
    queue.add('a'); // while running: marked dirty
    queue.add('a'); // folded into the same re-run
    await sleep(80);
    expect(runs).toEqual(['a', 'a']);
    expect(maxConcurrent).toBe(1);
    await queue.stop();
  });

  it('deduplicates queued keys and processes different keys in parallel', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const runs: string[] = [];
    const queue = new WorkQueue({
      workers: 3,
      handler: async key => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        runs.push(key);
        await sleep(20);
        concurrent--;
      },
    });
    for (const k of ['a', 'b', 'c', 'a', 'b', 'c']) queue.add(k);
    queue.start();
    await sleep(60);
    expect(runs.sort()).toEqual(['a', 'b', 'c']);
    expect(maxConcurrent).toBe(3);
    await queue.stop();
  });

  it('requeues after the delay a reconcile asks for, keeping the earliest deadline', async () => {
    const times: number[] = [];
    const start = Date.now();
    const queue = new WorkQueue({
      workers: 1,
      handler: async () => {
        times.push(Date.now() - start);
        return times.length === 1 ? { requeueAfterMs: 50 } : {};
      },
    });
    queue.start();
    queue.add('a');
    await sleep(10);
    queue.addAfter('a', 5000); // later than the pending 50 ms: ignored
    await sleep(100);
    expect(times).toHaveLength(2);
    expect(times[1]).toBeGreaterThanOrEqual(45);
    await queue.stop();
  });

  it('retries a failing key with exponential backoff and reports each error', async () => {
    const delays: number[] = [];
    let calls = 0;
    const queue = new WorkQueue({
      workers: 1,
      handler: async () => {
        calls++;
        if (calls < 4) throw new Error('boom');
      },
      errorBackoff: { baseMs: 10, maxMs: 1000 },
      onError: (_key, _e, retryInMs) => delays.push(retryInMs),
    });
    queue.start();
    queue.add('a');
    await sleep(150);
    expect(delays).toEqual([10, 20, 40]);
    expect(calls).toBe(4);
    await queue.stop();
  });

  it('serves keys woken by a job change before the ordinary backlog', async () => {
    const runs: string[] = [];
    const queue = new WorkQueue({
      workers: 1,
      handler: async key => {
        runs.push(key);
        await sleep(2);
      },
    });
    for (const k of ['new-1', 'new-2', 'new-3', 'changed']) queue.add(k);
    queue.addPriority('changed'); // moves out of the backlog
    queue.addPriority('woken');
    queue.start();
    await sleep(60);
    expect(runs).toEqual(['changed', 'woken', 'new-1', 'new-2', 'new-3']);
    await queue.stop();
  });

  it('stop waits for in-flight work', async () => {
    let finished = false;
    const queue = new WorkQueue({
      workers: 1,
      handler: async () => {
        await sleep(30);
        finished = true;
      },
    });
    queue.start();
    queue.add('a');
    await sleep(5);
    await queue.stop();
    expect(finished).toBe(true);
  });
});
