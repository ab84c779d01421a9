import { randomUUID } from 'node:crypto';
import {
  QUOTA_RESOURCES,
  QuotaAmounts,
  QuotaLimits,
  QuotaResource,
  ZERO_QUOTA_AMOUNTS,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../store/migrations';
import { writeQueueFor, SerialQueue } from '../store/serialQueue';

export const QUOTA_USAGE_TABLE = 'vm_lifecycle_quota_usage';
export const QUOTA_CHARGES_TABLE = 'vm_lifecycle_quota_charges';

const COLUMNS: Record<QuotaResource, string> = {
  instances: 'instances',
  cores: 'cores',
  memoryGiB: 'memory_gib',
  diskGiB: 'disk_gib',
};

interface UsageRow {
  subject: string;
  instances: number | string;
  cores: number | string;
  memory_gib: number | string;
  disk_gib: number | string;
}

interface ChargeRow extends UsageRow {
  id: string;
  namespace: string;
  name: string;
  uid: string | null;
  created_at: number | string;
}

/** What one existing VM should be charged (for `heal`). */
export interface ChargedInstance {
  uid: string;
  namespace: string;
  name: string;
  subject: string;
  amounts: QuotaAmounts;
}

export type Admission =
  | { admitted: true; chargeId: string }
  | { admitted: false; used: QuotaAmounts };

function amountsOf(row: UsageRow | undefined): QuotaAmounts {
  if (!row) return { ...ZERO_QUOTA_AMOUNTS };
  return {
    instances: Number(row.instances),
    cores: Number(row.cores),
    memoryGiB: Number(row.memory_gib),
    diskGiB: Number(row.disk_gib),
  };
}

function columnsOf(amounts: QuotaAmounts) {
  return {
    instances: amounts.instances,
    cores: amounts.cores,
    memory_gib: amounts.memoryGiB,
    disk_gib: amounts.diskGiB,
  };
}

function isPostgres(knex: Knex): boolean {
  return knex.client.config.client === 'pg';
}

/**
 * The database's record of what every quota subject uses (see the quota_ledger migration).
 *
 * Admission is one conditional UPDATE of the subject's usage row inside a transaction that also
 * records the charge: on PostgreSQL the UPDATE waits for any other transaction holding that row and
 * then re-checks its WHERE against the committed values, so of two requests that fit alone but not
 * together the second matches no row; on SQLite the write lock serialises them (and this process
 * queues its write transactions, as the stores do). Replicas sharing the database therefore never
 * admit more than the limit between them.
 */
export class QuotaLedger {
  private readonly writes?: SerialQueue;

  static async create(options: {
    knex: Knex;
    skipMigrations?: boolean;
  }): Promise<QuotaLedger> {
    if (!options.skipMigrations) await applyDatabaseMigrations(options.knex);
    return new QuotaLedger(options.knex);
  }

  private constructor(private readonly knex: Knex) {
    if (!isPostgres(knex)) this.writes = writeQueueFor(knex);
  }

  private write<T>(task: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    const run = () => this.knex.transaction(task);
    return this.writes ? this.writes.run(run) : run();
  }

  /**
   * Charges `amounts` to `subject` if they fit its `limits` (a missing limit is none); the charge
   * belongs to the VM namespace/name about to be created (`attach` it once it has a uid).
   */
  admit(
    subject: string,
    limits: QuotaLimits,
    amounts: QuotaAmounts,
    target: { namespace: string; name: string },
    now = Date.now(),
  ): Promise<Admission> {
    return this.write(async trx => {
      await trx(QUOTA_USAGE_TABLE)
        .insert({ subject, ...columnsOf(ZERO_QUOTA_AMOUNTS) })
        .onConflict('subject')
        .ignore();
      const update = trx(QUOTA_USAGE_TABLE).where('subject', subject);
      const increments: Record<string, Knex.Raw> = {};
      for (const resource of QUOTA_RESOURCES) {
        const column = COLUMNS[resource];
        const limit = limits[resource];
        if (limit !== undefined)
          update.andWhereRaw(`?? + ? <= ?`, [column, amounts[resource], limit]);
        increments[column] = trx.raw('?? + ?', [column, amounts[resource]]);
      }
      const matched = await update.update(increments);
      if (matched !== 1) {
        const row = await trx<UsageRow>(QUOTA_USAGE_TABLE)
          .where('subject', subject)
          .first();
        return { admitted: false, used: amountsOf(row) };
      }
      const chargeId = randomUUID();
      await trx(QUOTA_CHARGES_TABLE).insert({
        id: chargeId,
        subject,
        namespace: target.namespace,
        name: target.name,
        uid: null,
        created_at: now,
        ...columnsOf(amounts),
      });
      return { admitted: true, chargeId };
    });
  }

  /** Ties an admitted charge to the VM that was created with it. */
  async attach(chargeId: string, uid: string): Promise<void> {
    await this.write(trx =>
      trx(QUOTA_CHARGES_TABLE).where('id', chargeId).update({ uid }),
    );
  }

  /** Gives back an admitted charge whose VM was never created. */
  async cancel(chargeId: string): Promise<boolean> {
    return this.removeCharge(q => q.where('id', chargeId));
  }

  /** Gives back the charge of a VM that was finally removed; a second call finds nothing to give. */
  async release(uid: string): Promise<boolean> {
    return this.removeCharge(q => q.where('uid', uid));
  }

  private removeCharge(
    select: (q: Knex.QueryBuilder) => Knex.QueryBuilder,
  ): Promise<boolean> {
    return this.write(async trx => {
      const charge: ChargeRow | undefined = await select(
        trx<ChargeRow>(QUOTA_CHARGES_TABLE),
      ).first();
      if (!charge) return false;
      // Only the transaction that really deletes the row gives the usage back (concurrent releases
      // of one VM by several replicas give it back once).
      const deleted = await trx(QUOTA_CHARGES_TABLE)
        .where('id', charge.id)
        .delete();
      if (deleted !== 1) return false;
      await this.subtract(trx, charge.subject, amountsOf(charge));
      return true;
    });
  }

  private async subtract(
    trx: Knex.Transaction,
    subject: string,
    amounts: QuotaAmounts,
  ) {
    const decrements: Record<string, Knex.Raw> = {};
    for (const resource of QUOTA_RESOURCES) {
      const column = COLUMNS[resource];
      decrements[column] = trx.raw('?? - ?', [column, amounts[resource]]);
    }
    await trx(QUOTA_USAGE_TABLE).where('subject', subject).update(decrements);
  }

  /** What each subject uses; all subjects with a usage row when `subjects` is absent. */
  async usage(subjects?: string[]): Promise<Map<string, QuotaAmounts>> {
    const query = this.knex<UsageRow>(QUOTA_USAGE_TABLE).select('*');
    if (subjects) query.whereIn('subject', subjects);
    const rows: UsageRow[] = await query;
    const result = new Map<string, QuotaAmounts>();
    for (const row of rows) result.set(row.subject, amountsOf(row));
    for (const subject of subjects ?? [])
      if (!result.has(subject)) result.set(subject, { ...ZERO_QUOTA_AMOUNTS });
    return result;
  }

  /**
   * Makes the ledger agree with the VMs that exist, after a crash between an admission and the
   * create, or a removal this replica did not see: charges every VM without a charge, drops the
   * charges of VMs that are gone, and recomputes every subject's usage from the charges. A charge
   * younger than `graceMs` without a VM is kept: its create may still be on its way.
   *
   * `instances` is read before this transaction, so a VM removed in between is charged again and
   * that charge dropped by a later recount: the error is a refusal too many for a while, never an
   * admission too many.
   */
  heal(
    instances: ChargedInstance[],
    options: { graceMs: number; now?: number },
  ): Promise<{ added: number; dropped: number }> {
    const now = options.now ?? Date.now();
    return this.write(async trx => {
      // Admissions wait until the recount is done, so none is lost between reading and writing.
      if (isPostgres(this.knex))
        await trx.raw(`LOCK TABLE ?? IN SHARE ROW EXCLUSIVE MODE`, [
          QUOTA_USAGE_TABLE,
        ]);
      const charges: ChargeRow[] =
        await trx<ChargeRow>(QUOTA_CHARGES_TABLE).select('*');
      const byUid = new Map(
        charges.filter(c => c.uid).map(c => [c.uid as string, c]),
      );
      const pending = charges.filter(c => !c.uid);
      const existing = new Set(instances.map(i => i.uid));
      let added = 0;
      let dropped = 0;
      for (const instance of instances) {
        if (byUid.has(instance.uid)) continue;
        const waiting = pending.find(
          c => c.namespace === instance.namespace && c.name === instance.name,
        );
        if (waiting) {
          await trx(QUOTA_CHARGES_TABLE)
            .where('id', waiting.id)
            .update({ uid: instance.uid });
          pending.splice(pending.indexOf(waiting), 1);
          continue;
        }
        await trx(QUOTA_CHARGES_TABLE).insert({
          id: randomUUID(),
          subject: instance.subject,
          namespace: instance.namespace,
          name: instance.name,
          uid: instance.uid,
          created_at: now,
          ...columnsOf(instance.amounts),
        });
        added++;
      }
      for (const charge of charges) {
        const gone = charge.uid
          ? !existing.has(charge.uid)
          : pending.includes(charge);
        if (!gone || Number(charge.created_at) > now - options.graceMs)
          continue;
        await trx(QUOTA_CHARGES_TABLE).where('id', charge.id).delete();
        dropped++;
      }
      const sums: UsageRow[] = await trx(QUOTA_CHARGES_TABLE)
        .select('subject')
        .sum({ instances: 'instances' })
        .sum({ cores: 'cores' })
        .sum({ memory_gib: 'memory_gib' })
        .sum({ disk_gib: 'disk_gib' })
        .groupBy('subject');
      await trx(QUOTA_USAGE_TABLE).update(columnsOf(ZERO_QUOTA_AMOUNTS));
      for (const sum of sums) {
        await trx(QUOTA_USAGE_TABLE)
          .insert({ subject: sum.subject, ...columnsOf(amountsOf(sum)) })
          .onConflict('subject')
          .merge();
      }
      return { added, dropped };
    });
  }
}
