import { apiGroupNames } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { InMemoryEventStore } from '../events/InMemoryEventStore';
import { RecordingLifecycleNotifier } from '../notifications/LifecycleNotifier';
import { InMemoryStore } from '../store/InMemoryStore';
import { sampleSpec } from '../__testUtils__/harness';
import { ExpiryKeeper, sentReminders } from './expiry';

const names = apiGroupNames();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EXPIRES = '2026-01-10T00:00:00.000Z';

function setup() {
  let nowMs = Date.parse('2026-01-01T00:00:00.000Z');
  const clock = {
    now: () => new Date(nowMs),
    set: (iso: string) => {
      nowMs = Date.parse(iso);
    },
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
  const store = new InMemoryStore();
  const events = new InMemoryEventStore();
  const notifier = new RecordingLifecycleNotifier();
  const deleted: string[] = [];
  /** A keeper as a (re)started controller makes it: nothing in memory from before. */
  const keeper = () =>
    new ExpiryKeeper({
      store,
      events,
      names,
      notifier,
      remindersBeforeMs: [3 * DAY, DAY],
      now: clock.now,
      onDelete: i => deleted.push(i.metadata.name),
    });
  async function create(name: string, expiresAt: string | null = EXPIRES) {
    return store.create({
      metadata: {
        name,
        namespace: 'default',
        annotations: {
          [names.requestedByAnnotation]: 'user:default/alice',
          ...(expiresAt ? { [names.expiresAtAnnotation]: expiresAt } : {}),
        },
        finalizers: [names.finalizer],
      },
      spec: sampleSpec(),
    });
  }
  const reasons = async (name: string) => {
    const obj = await store.get('default', name);
    return (await events.list(obj!.metadata)).map(e => e.reason);
  };
  return { clock, store, events, notifier, keeper, create, reasons, deleted };
}

describe('ExpiryKeeper', () => {
  it('sends each reminder once, also across restarts, and nothing before it is due', async () => {
    const t = setup();
    await t.create('vm');
    await t.keeper().sweep();
    expect(t.notifier.sent).toEqual([]);

    t.clock.set('2026-01-07T00:00:00.000Z'); // exactly 3 days before
    await t.keeper().sweep();
    await t.keeper().sweep();
    t.clock.advance(HOUR);
    await t.keeper().sweep();
    expect(t.notifier.sent).toEqual([
      {
        kind: 'expiryReminder',
        namespace: 'default',
        name: 'vm',
        expiresAt: EXPIRES,
        beforeMs: 3 * DAY,
      },
    ]);

    t.clock.set('2026-01-09T06:00:00.000Z');
    const keeper = t.keeper();
    await keeper.sweep();
    await keeper.sweep();
    expect(
      t.notifier.sent.map(n => n.kind === 'expiryReminder' && n.beforeMs),
    ).toEqual([3 * DAY, DAY]);
    expect(await t.reasons('vm')).toEqual(['ExpiryReminder', 'ExpiryReminder']);
    const stored = await t.store.get('default', 'vm');
    expect(
      sentReminders(
        stored!.metadata.annotations![names.expiryRemindersAnnotation],
        EXPIRES,
      ),
    ).toEqual(new Set([3 * DAY, DAY]));
    expect(stored!.metadata.deletionTimestamp).toBeUndefined();
  });

  it('sends one reminder when several came due at once (a short lifetime, a controller that was down)', async () => {
    const t = setup();
    await t.create('vm');
    t.clock.set('2026-01-09T12:00:00.000Z');
    await t.keeper().sweep();
    await t.keeper().sweep();
    expect(t.notifier.sent).toEqual([
      expect.objectContaining({ kind: 'expiryReminder', beforeMs: DAY }),
    ]);
  });

  it('deletes the VM at its expiry through the ordinary delete, records why, and never twice', async () => {
    const t = setup();
    await t.create('vm');
    await t.create('later', '2026-02-01T00:00:00.000Z');
    await t.create('forever', null);
    t.clock.set(EXPIRES);
    await t.keeper().sweep();
    await t.keeper().sweep();
    t.clock.advance(DAY);
    await t.keeper().sweep();

    const vm = await t.store.get('default', 'vm');
    // The controller's finalizer holds it until the deprovision ran, as for a user's delete.
    expect(vm!.metadata.deletionTimestamp).toBeDefined();
    expect(vm!.metadata.annotations![names.expiredAtAnnotation]).toBe(EXPIRES);
    expect(t.deleted).toEqual(['vm']);
    expect(t.notifier.sent.filter(n => n.kind === 'expired')).toEqual([
      { kind: 'expired', namespace: 'default', name: 'vm', expiresAt: EXPIRES },
    ]);
    const expired = (await t.events.list(vm!.metadata)).filter(
      e => e.reason === 'Expired',
    );
    expect(expired).toHaveLength(1);
    expect(expired[0].message).toContain(`Expired at ${EXPIRES}`);
    expect(
      (await t.store.get('default', 'later'))!.metadata.deletionTimestamp,
    ).toBeUndefined();
    expect(
      (await t.store.get('default', 'forever'))!.metadata.deletionTimestamp,
    ).toBeUndefined();
  });

  it('finishes an expiry whose deletion was lost (a crash after the mark), without a second event', async () => {
    const t = setup();
    const vm = await t.create('vm');
    t.clock.set(EXPIRES);
    // The mark of an expiry made by a leader that died before it deleted.
    await t.store.update({
      ...vm,
      metadata: {
        ...vm.metadata,
        annotations: {
          ...vm.metadata.annotations,
          [names.expiredAtAnnotation]: EXPIRES,
        },
      },
    });
    await t.keeper().sweep();
    expect(
      (await t.store.get('default', 'vm'))!.metadata.deletionTimestamp,
    ).toBeDefined();
    expect(await t.reasons('vm')).toEqual([]);
    expect(t.notifier.sent).toEqual([]);
  });

  it('leaves a VM to the next sweep when another write came first', async () => {
    const t = setup();
    const vm = await t.create('vm');
    t.clock.set(EXPIRES);
    // A stale copy: the controller changed the VM since it was read.
    await t.store.updateStatus({ ...vm, status: { phase: 'Running' } });
    expect(await t.keeper().check(vm)).toBeUndefined();
    expect(
      (await t.store.get('default', 'vm'))!.metadata.deletionTimestamp,
    ).toBeUndefined();
    await t.keeper().sweep();
    expect(
      (await t.store.get('default', 'vm'))!.metadata.deletionTimestamp,
    ).toBeDefined();
    expect(t.notifier.sent.filter(n => n.kind === 'expired')).toHaveLength(1);
  });

  it('forgets the reminders of an earlier expiry', () => {
    expect(sentReminders(`2026-01-01T00:00:00.000Z ${DAY}`, EXPIRES)).toEqual(
      new Set(),
    );
    expect(sentReminders(`${EXPIRES} ${DAY},${3 * DAY}`, EXPIRES)).toEqual(
      new Set([DAY, 3 * DAY]),
    );
  });
});
