// @ts-check

/*
 * Tables of the vm-lifecycle database store.
 *
 * vm_lifecycle_instances: one row per ComputeInstance. The whole object is kept as JSON (read back
 * with a single parse); the columns beside it exist for lookups, filtering and the optimistic
 * concurrency check. Timestamps are ISO 8601 UTC strings so that SQLite and PostgreSQL store and
 * sort them identically.
 * vm_lifecycle_counters: the table-wide resourceVersion counter. Bumping it is the first statement
 * of every write transaction, which serialises writers the way etcd's revision does.
 * vm_lifecycle_events: lifecycle event history, kept after the instance is deleted.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('vm_lifecycle_instances', table => {
    table.string('uid', 36).primary().notNullable();
    table.string('namespace', 63).notNullable();
    table.string('name', 63).notNullable();
    table.bigInteger('resource_version').notNullable();
    table.string('created_at', 40).notNullable();
    table.string('deletion_timestamp', 40).nullable();
    table.string('requested_by', 255).nullable();
    table.string('owner', 255).nullable();
    table.text('object').notNullable();
    table.unique(['namespace', 'name'], {
      indexName: 'vm_lifecycle_instances_namespace_name_uniq',
    });
    table.index(['requested_by'], 'vm_lifecycle_instances_requested_by_idx');
    table.index(['owner'], 'vm_lifecycle_instances_owner_idx');
    table.index(
      ['deletion_timestamp'],
      'vm_lifecycle_instances_deletion_timestamp_idx',
    );
  });

  await knex.schema.createTable('vm_lifecycle_counters', table => {
    table.string('name', 64).primary().notNullable();
    table.bigInteger('value').notNullable();
  });
  await knex('vm_lifecycle_counters').insert({
    name: 'resourceVersion',
    value: 0,
  });

  await knex.schema.createTable('vm_lifecycle_events', table => {
    table.bigIncrements('id');
    table.string('uid', 36).notNullable();
    table.string('namespace', 63).notNullable();
    table.string('name', 63).notNullable();
    table.string('timestamp', 40).notNullable();
    table.string('type', 16).notNullable();
    table.string('reason', 255).notNullable();
    table.text('message').notNullable();
    table.string('job_id', 255).nullable();
    table.index(['uid', 'timestamp'], 'vm_lifecycle_events_uid_timestamp_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vm_lifecycle_events');
  await knex.schema.dropTable('vm_lifecycle_counters');
  await knex.schema.dropTable('vm_lifecycle_instances');
};
