import knexFactory, { Knex } from 'knex';
import { QuotaAmounts } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { availableDatabases } from '../store/__testUtils__/testDatabases';
import { QUOTA_CHARGES_TABLE, QuotaLedger } from './QuotaLedger';

jest.setTimeout(60_000);

const TEAM = 'group:default/team-a';
const vm = (cores: number, memoryGiB = 4, diskGiB = 20): QuotaAmounts => ({
  instances: 1,
  cores,
  memoryGiB,
  diskGiB,
});
const target = (name: string) => ({ namespace: 'default', name });

describe.each(availableDatabases())('QuotaLedger on %s', (backend, newDb) => {
  const pools: Knex[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map(p => p.destroy()));
  });

  async function ledger() {
    const knex = await newDb();
    pools.push(knex);
    return { knex, ledger: await QuotaLedger.create({ knex }) };
  }

  it('admits within every limit, refuses over any with the current use, and counts nothing refused', async () => {
    const { ledger: l } = await ledger();
    const limits = { instances: 3, cores: 16, memoryGiB: 64 };
    const first = await l.admit(TEAM, limits, vm(12), target('a'));
    expect(first.admitted).toBe(true);
    const refused = await l.admit(TEAM, limits, vm(6), target('b'));
    expect(refused).toEqual({
      admitted: false,
      used: { instances: 1, cores: 12, memoryGiB: 4, diskGiB: 20 },
    });
    // Exactly at the limit fits; disk has no limit here.
    expect(
      (await l.admit(TEAM, limits, vm(4, 4, 5000), target('c'))).admitted,
    ).toBe(true);
    expect((await l.usage([TEAM])).get(TEAM)).toEqual({
      instances: 2,
      cores: 16,
      memoryGiB: 8,
      diskGiB: 5020,
    });
    // The instance count is a limit too.
    const three = { instances: 2 };
    expect((await l.admit(TEAM, three, vm(1), target('d'))).admitted).toBe(
      false,
    );
  });

  it('gives a removed VM its charge back once, and a cancelled admission too', async () => {
    const { ledger: l } = await ledger();
    const limits = { cores: 8 };
    const a = await l.admit(TEAM, limits, vm(6), target('a'));
    if (!a.admitted) throw new Error('not admitted');
    await l.attach(a.chargeId, 'uid-a');
    expect((await l.admit(TEAM, limits, vm(4), target('b'))).admitted).toBe(
      false,
    );
    expect(await Promise.all([l.release('uid-a'), l.release('uid-a')])).toEqual(
      expect.arrayContaining([true, false]),
    );
    expect((await l.usage([TEAM])).get(TEAM)?.cores).toBe(0);
    const b = await l.admit(TEAM, limits, vm(8), target('b'));
    if (!b.admitted) throw new Error('not admitted');
    expect(await l.cancel(b.chargeId)).toBe(true);
    expect(await l.cancel(b.chargeId)).toBe(false);
    expect((await l.usage([TEAM])).get(TEAM)?.cores).toBe(0);
  });

  it('of many concurrent requests that each fit alone, admits only as many as fit together', async () => {
    const { knex } = await ledger();
    // PostgreSQL: two connection pools, two replicas as far as the database knows. SQLite (an
    // in-memory database lives in its one connection): one pool, many concurrent requests.
    const other =
      backend === 'PostgreSQL' ? knexFactory(knex.client.config) : knex;
    if (other !== knex) pools.push(other);
    const ledgers = [
      await QuotaLedger.create({ knex }),
      await QuotaLedger.create({ knex: other, skipMigrations: true }),
    ];
    const limits = { cores: 16 };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ledgers[i % 2].admit(TEAM, limits, vm(4), target(`vm-${i}`)),
      ),
    );
    expect(results.filter(r => r.admitted)).toHaveLength(4);
    expect((await ledgers[0].usage([TEAM])).get(TEAM)?.cores).toBe(16);
    expect(await knex(QUOTA_CHARGES_TABLE).count({ n: '*' })).toEqual([
      { n: backend === 'PostgreSQL' ? '4' : 4 },
    ]);
  });

  it('recounts from the VMs that exist: charges the uncharged, drops the gone, keeps a young pending charge', async () => {
    const { ledger: l } = await ledger();
    const now = Date.now();
    const old = now - 60 * 60_000;
    const gone = await l.admit(TEAM, {}, vm(2), target('gone'), old);
    if (!gone.admitted) throw new Error('not admitted');
    await l.attach(gone.chargeId, 'uid-gone');
    // Admitted long ago, its create never happened (a crash in between).
    await l.admit(TEAM, {}, vm(3), target('crashed'), old);
    // Admitted a moment ago: its create may still be on its way.
    await l.admit(TEAM, {}, vm(5), target('pending'), now);
    // Created, but its attach was lost.
    await l.admit(TEAM, {}, vm(7), target('unattached'), old);

    const result = await l.heal(
      [
        {
          uid: 'uid-unattached',
          namespace: 'default',
          name: 'unattached',
          subject: TEAM,
          amounts: vm(7),
        },
        {
          uid: 'uid-new',
          namespace: 'default',
          name: 'kubectl',
          subject: 'user:default/bob',
          amounts: vm(1),
        },
      ],
      { graceMs: 10 * 60_000, now },
    );
    expect(result).toEqual({ added: 1, dropped: 2 });
    const usage = await l.usage([TEAM, 'user:default/bob']);
    expect(usage.get(TEAM)?.cores).toBe(12);
    expect(usage.get('user:default/bob')?.cores).toBe(1);
    // The attached charge is now released by uid like any other.
    expect(await l.release('uid-unattached')).toBe(true);
    expect((await l.usage([TEAM])).get(TEAM)?.cores).toBe(5);
  });
});
