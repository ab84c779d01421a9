/* eslint-disable jest/no-export, jest/valid-title -- a reusable suite: exported, titled by its caller */
import { InstanceRef, LifecycleEventStore } from './types';

/*
 * Behaviour every LifecycleEventStore shares, run against each implementation. The factory gets the
 * per-instance cap so the pruning rule is tested too, and must return an empty store.
 */

export interface EventStoreUnderTest {
  store: LifecycleEventStore;
  close(): Promise<void>;
}

export type EventStoreFactory = (options?: {
  maxEventsPerInstance?: number;
}) => Promise<EventStoreUnderTest>;

const vm1: InstanceRef = {
  namespace: 'team-a',
  name: 'vm-1',
  uid: '11111111-1111-4111-8111-111111111111',
};
const vm2: InstanceRef = {
  namespace: 'team-a',
  name: 'vm-2',
  uid: '22222222-2222-4222-8222-222222222222',
};

/** Registers the event store contract as a jest `describe` block named `name`. */
export function runEventStoreContractTests(
  name: string,
  factory: EventStoreFactory,
): void {
  describe(name, () => {
    const opened: EventStoreUnderTest[] = [];
    const open = async (options?: { maxEventsPerInstance?: number }) => {
      const subject = await factory(options);
      opened.push(subject);
      return subject.store;
    };

    afterEach(async () => {
      await Promise.all(opened.splice(0).map(subject => subject.close()));
    });

    it('records events and lists them oldest first', async () => {
      const store = await open();
      await store.record(vm1, {
        type: 'Normal',
        reason: 'JobLaunched',
        message: 'provision job 7 launched',
        jobID: '7',
        timestamp: '2025-06-01T10:00:00.000Z',
      });
      await store.record(vm1, {
        type: 'Warning',
        reason: 'JobFailed',
        message: 'provision job 7 failed',
        jobID: '7',
        timestamp: '2025-06-01T10:05:00.000Z',
      });
      expect(await store.list(vm1)).toEqual([
        {
          timestamp: '2025-06-01T10:00:00.000Z',
          type: 'Normal',
          reason: 'JobLaunched',
          message: 'provision job 7 launched',
          jobID: '7',
        },
        {
          timestamp: '2025-06-01T10:05:00.000Z',
          type: 'Warning',
          reason: 'JobFailed',
          message: 'provision job 7 failed',
          jobID: '7',
        },
      ]);
    });

    it('stamps an event with the current time (ISO) when no timestamp is given, and omits an absent jobID', async () => {
      const store = await open();
      const before = Date.now();
      await store.record(vm1, {
        type: 'Normal',
        reason: 'Created',
        message: 'requested',
      });
      const [event] = await store.list(vm1);
      expect(event.timestamp).toMatch(
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
      );
      expect(Date.parse(event.timestamp)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(event.timestamp)).toBeLessThanOrEqual(Date.now());
      expect(event).not.toHaveProperty('jobID');
    });

    it('orders by time even when recorded out of order, ties in record order', async () => {
      const store = await open();
      await store.record(vm1, {
        type: 'Normal',
        reason: 'B',
        message: '',
        timestamp: '2025-06-01T10:01:00Z',
      });
      await store.record(vm1, {
        type: 'Normal',
        reason: 'A',
        message: '',
        timestamp: '2025-06-01T10:00:00Z',
      });
      await store.record(vm1, {
        type: 'Normal',
        reason: 'C1',
        message: '',
        timestamp: '2025-06-01T10:02:00Z',
      });
      await store.record(vm1, {
        type: 'Normal',
        reason: 'C2',
        message: '',
        timestamp: '2025-06-01T12:02:00+02:00',
      });
      expect((await store.list(vm1)).map(e => e.reason)).toEqual([
        'A',
        'B',
        'C1',
        'C2',
      ]);
    });

    it('keeps histories apart by uid: a recreated name starts fresh', async () => {
      const store = await open();
      await store.record(vm1, { type: 'Normal', reason: 'First', message: '' });
      await store.record(vm2, { type: 'Normal', reason: 'Other', message: '' });
      const recreated = { ...vm1, uid: '33333333-3333-4333-8333-333333333333' };
      await store.record(recreated, {
        type: 'Normal',
        reason: 'Second',
        message: '',
      });
      expect((await store.list(vm1)).map(e => e.reason)).toEqual(['First']);
      expect((await store.list(recreated)).map(e => e.reason)).toEqual([
        'Second',
      ]);
      expect((await store.list(vm2)).map(e => e.reason)).toEqual(['Other']);
      expect(
        await store.list({
          ...vm1,
          uid: '44444444-4444-4444-8444-444444444444',
        }),
      ).toEqual([]);
    });

    it('keeps only the newest events beyond the per-instance cap', async () => {
      const store = await open({ maxEventsPerInstance: 3 });
      for (let i = 0; i < 5; i++) {
        await store.record(vm1, {
          type: 'Normal',
          reason: `E${i}`,
          message: '',
          timestamp: `2025-06-01T10:0${i}:00Z`,
        });
      }
      await store.record(vm2, { type: 'Normal', reason: 'Other', message: '' });
      expect((await store.list(vm1)).map(e => e.reason)).toEqual([
        'E2',
        'E3',
        'E4',
      ]);
      expect(await store.list(vm2)).toHaveLength(1);
    });

    it('keeps long messages intact', async () => {
      const store = await open();
      const traceback = `Traceback (most recent call last):\n${'  File "x.py", line 1\n'.repeat(2000)}`;
      await store.record(vm1, {
        type: 'Warning',
        reason: 'JobFailed',
        message: traceback,
      });
      expect((await store.list(vm1))[0].message).toBe(traceback);
    });

    it('handles concurrent recording without losing events', async () => {
      const store = await open();
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.record(i % 2 ? vm1 : vm2, {
            type: 'Normal',
            reason: `R${i}`,
            message: '',
          }),
        ),
      );
      expect(await store.list(vm1)).toHaveLength(25);
      expect(await store.list(vm2)).toHaveLength(25);
    });

    it.each([
      ['an unknown type', { type: 'Error', reason: 'x', message: '' }, /type/],
      [
        'a bad timestamp',
        { type: 'Normal', reason: 'x', message: '', timestamp: 'soon' },
        /timestamp/,
      ],
    ])('refuses %s with InputError', async (_what, event, pattern) => {
      const store = await open();
      await expect(store.record(vm1, event as any)).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(pattern),
      });
      expect(await store.list(vm1)).toEqual([]);
    });
  });
}
