// @ts-check

/*
 * The history of deleted instances (issue 16): the last state of each instance, by uid, kept for
 * vmLifecycle.history.retention after it was deleted, so its requester, owner and the admins can
 * still read how it ended (jobs, status) next to its lifecycle events (vm_lifecycle_events, which
 * cluster mode now also fills, as its own copy of the Kubernetes Events).
 *
 * deleted_at is an ISO 8601 UTC text, compared as text, as everywhere in these tables.
 */

const TABLE = 'vm_lifecycle_instance_history';

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable(TABLE, table => {
    table.string('uid', 64).primary();
    table.string('namespace', 63).notNullable();
    table.string('name', 63).notNullable();
    table.text('object').notNullable();
    table.string('deleted_at', 40).notNullable();
    table.index(['namespace', 'name', 'deleted_at']);
    table.index(['deleted_at']);
  });
};

/**
 * @param {import('knex').Knex} _knex
 */
exports.down = async function down(_knex) {
  throw new Error(
    'The vm-lifecycle migrations are forward-only: restore a backup to go back before 20261202160000_instance_history',
  );
};
