// @ts-check

/*
 * Quota ledger (issue 17).
 *
 * vm_lifecycle_quota_usage: one row per quota subject (a group or user entity ref) with what its VMs
 * use. A request is admitted by one conditional UPDATE of that row (`... WHERE cores + ? <= limit`),
 * which takes the row's lock on PostgreSQL and the database's write lock on SQLite, so two requests
 * that each fit alone but not together cannot both pass, whichever replica they reach.
 *
 * vm_lifecycle_quota_charges: what each VM was charged, so that the charge is released exactly once
 * when the VM is finally removed (deleted by instance uid, and only a deleted row gives usage back),
 * and so that usage can be recomputed from the charges when the plugin starts. uid is null between
 * the admission and the VM's creation.
 *
 * Rows that exist when this runs are charged at once, to their owner annotation or else their
 * requester, as the service charges new ones.
 */

const USAGE = 'vm_lifecycle_quota_usage';
const CHARGES = 'vm_lifecycle_quota_charges';
const INSTANCES = 'vm_lifecycle_instances';
const BATCH = 500;

/** @param {any} spec */
function amountsOf(spec) {
  const disks = Array.isArray(spec?.additionalDisks)
    ? spec.additionalDisks
    : [];
  return {
    instances: 1,
    cores: Number(spec?.cores) || 0,
    memory_gib: Number(spec?.memoryGiB) || 0,
    disk_gib:
      (Number(spec?.bootDisk?.sizeGiB) || 0) +
      disks.reduce(
        (/** @type {number} */ sum, /** @type {any} */ d) =>
          sum + (Number(d?.sizeGiB) || 0),
        0,
      ),
  };
}

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable(USAGE, table => {
    table.string('subject', 255).primary().notNullable();
    table.integer('instances').notNullable().defaultTo(0);
    table.integer('cores').notNullable().defaultTo(0);
    table.integer('memory_gib').notNullable().defaultTo(0);
    table.bigInteger('disk_gib').notNullable().defaultTo(0);
  });
  await knex.schema.createTable(CHARGES, table => {
    table.string('id', 64).primary().notNullable();
    table.string('subject', 255).notNullable().index();
    table.string('namespace', 253).notNullable();
    table.string('name', 253).notNullable();
    table.string('uid', 64).nullable().unique();
    table.integer('instances').notNullable();
    table.integer('cores').notNullable();
    table.integer('memory_gib').notNullable();
    table.bigInteger('disk_gib').notNullable();
    table.bigInteger('created_at').notNullable();
  });

  /** @type {Map<string, {instances: number, cores: number, memory_gib: number, disk_gib: number}>} */
  const totals = new Map();
  const now = Date.now();
  for (let offset = 0; ; offset += BATCH) {
    const rows = await knex(INSTANCES)
      .select('uid', 'namespace', 'name', 'owner', 'requested_by', 'object')
      .orderBy('uid')
      .limit(BATCH)
      .offset(offset);
    if (rows.length === 0) break;
    const charges = [];
    for (const row of rows) {
      const subject = row.owner || row.requested_by;
      if (!subject) continue;
      const amounts = amountsOf(JSON.parse(row.object).spec);
      charges.push({
        id: `migrated-${row.uid}`,
        subject,
        namespace: row.namespace,
        name: row.name,
        uid: row.uid,
        created_at: now,
        ...amounts,
      });
      const total = totals.get(subject) ?? {
        instances: 0,
        cores: 0,
        memory_gib: 0,
        disk_gib: 0,
      };
      for (const key of /** @type {const} */ ([
        'instances',
        'cores',
        'memory_gib',
        'disk_gib',
      ]))
        total[key] += amounts[key];
      totals.set(subject, total);
    }
    if (charges.length > 0) await knex(CHARGES).insert(charges);
  }
  const usage = [...totals].map(([subject, total]) => ({ subject, ...total }));
  for (let i = 0; i < usage.length; i += BATCH)
    await knex(USAGE).insert(usage.slice(i, i + BATCH));
};

/**
 * @param {import('knex').Knex} _knex
 */
exports.down = async function down(_knex) {
  throw new Error(
    'The vm-lifecycle migrations are forward-only: restore a backup to go back before 20261202150000_quota_ledger',
  );
};
