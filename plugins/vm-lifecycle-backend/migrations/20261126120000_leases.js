// @ts-check

/*
 * vm_lifecycle_leases: leader election between backend replicas that share a database, with the
 * semantics of a coordination.k8s.io Lease: one holder, renewed periodically, taken over by
 * another replica only after it expired. Times are epoch milliseconds.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('vm_lifecycle_leases', table => {
    table.string('name', 128).primary().notNullable();
    table.string('holder', 255).notNullable();
    table.bigInteger('acquired_at').notNullable();
    table.bigInteger('renewed_at').notNullable();
    table.bigInteger('expires_at').notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vm_lifecycle_leases');
};
