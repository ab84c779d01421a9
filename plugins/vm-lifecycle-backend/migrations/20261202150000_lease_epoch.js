// @ts-check

/*
 * vm_lifecycle_leases.epoch: a fencing token, incremented on every acquisition of the lease. The
 * controller's writes to instance rows carry the epoch of the lease they were made under, and the
 * store refuses them in the same statement when that epoch is no longer the current, unexpired
 * lease (docs/replicas.md, "Fencing"). From this version on, the lease's times (acquired_at,
 * renewed_at, expires_at: epoch milliseconds as before) are the database's own time, not a
 * replica's clock.
 *
 * An existing row gets epoch 0; the next acquisition makes it 1. Forward-only.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('vm_lifecycle_leases', table => {
    table.bigInteger('epoch').notNullable().defaultTo(0);
  });
};

/**
 * @param {import('knex').Knex} _knex
 */
exports.down = async function down(_knex) {
  throw new Error(
    'The vm-lifecycle migrations are forward-only: restore a backup to go back before 20261202150000_lease_epoch',
  );
};
