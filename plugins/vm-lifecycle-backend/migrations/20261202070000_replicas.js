// @ts-check

/*
 * What several replicas on one PostgreSQL database need (docs/replicas.md):
 *
 * - vm_lifecycle_resource_version_seq: resourceVersions from a sequence instead of the counter row,
 *   so writers no longer queue on one locked row. It starts after the counter, so every
 *   resourceVersion handed out from now on is higher than any stored one. SQLite (one process)
 *   keeps the counter.
 * - changed_at and created_resource_version on vm_lifecycle_instances, and an index on
 *   resource_version: the change feed reads "rows newer than the last seen resourceVersion".
 * - vm_lifecycle_tombstones: the last state of a removed instance, so that the change feed also
 *   sees removals; pruned after a retention by the store.
 * - a statement-level trigger that NOTIFYs the vm_lifecycle_changes channel (payload: the schema)
 *   after every change of either table, which wakes the change feed of every replica.
 *
 * Forward-only: a database migrated past this point is not taken back by a rollback.
 */

const INSTANCES = 'vm_lifecycle_instances';
const TOMBSTONES = 'vm_lifecycle_tombstones';

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  const postgres = knex.client.config.client === 'pg';

  await knex.schema.alterTable(INSTANCES, table => {
    if (postgres) {
      table
        .timestamp('changed_at', { useTz: true })
        .notNullable()
        .defaultTo(knex.fn.now());
    } else {
      table.string('changed_at', 40).nullable();
    }
    table.bigInteger('created_resource_version').nullable();
    table.index(
      ['resource_version'],
      'vm_lifecycle_instances_resource_version_idx',
    );
  });

  await knex.schema.createTable(TOMBSTONES, table => {
    table.string('uid', 36).primary().notNullable();
    table.string('namespace', 63).notNullable();
    table.string('name', 63).notNullable();
    table.bigInteger('resource_version').notNullable();
    if (postgres) {
      table
        .timestamp('deleted_at', { useTz: true })
        .notNullable()
        .defaultTo(knex.fn.now());
    } else {
      table.string('deleted_at', 40).notNullable();
    }
    table.text('object').notNullable();
    table.index(
      ['resource_version'],
      'vm_lifecycle_tombstones_resource_version_idx',
    );
    table.index(['deleted_at'], 'vm_lifecycle_tombstones_deleted_at_idx');
  });

  if (!postgres) return;

  const counter = await knex('vm_lifecycle_counters')
    .where({ name: 'resourceVersion' })
    .first('value');
  const start = Number(counter?.value ?? 0) + 1;
  await knex.raw(
    `CREATE SEQUENCE vm_lifecycle_resource_version_seq AS bigint START WITH ${start}`,
  );
  await knex.raw(`
    CREATE FUNCTION vm_lifecycle_notify_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('vm_lifecycle_changes', TG_TABLE_SCHEMA);
      RETURN NULL;
    END
    $$`);
  for (const table of [INSTANCES, TOMBSTONES]) {
    await knex.raw(
      `CREATE TRIGGER ${table}_notify AFTER INSERT OR UPDATE OR DELETE ON ${table}
       FOR EACH STATEMENT EXECUTE FUNCTION vm_lifecycle_notify_change()`,
    );
  }
};

/**
 * @param {import('knex').Knex} _knex
 */
exports.down = async function down(_knex) {
  throw new Error(
    'The vm-lifecycle migrations are forward-only: restore a backup to go back before 20261202070000_replicas',
  );
};
