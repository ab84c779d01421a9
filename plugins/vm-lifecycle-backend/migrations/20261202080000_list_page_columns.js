// @ts-check

/*
 * Columns and indexes for paged lists (GET /instances?limit=&continue=, issue 12).
 *
 * phase and failed_jobs are generated from the object JSON by the database itself, so no write path
 * has to keep them in step: PostgreSQL stores them (text::jsonb is immutable), SQLite computes them
 * as VIRTUAL columns (ALTER TABLE can only add those) and keeps their values in the indexes. Rows
 * that exist when this runs get their values at once.
 *
 * Every list order has an index that ends in a unique key, so a page is an index range scan
 * (keyset pagination) however deep it is. On PostgreSQL the text columns are indexed and compared
 * COLLATE "C": a locale collation ignores '-' and would order names unlike SQLite and the other
 * stores.
 */

const TABLE = 'vm_lifecycle_instances';

/** @param {import('knex').Knex} knex */
function isPostgres(knex) {
  const client = String(knex.client.config.client ?? '');
  return client === 'pg' || client.startsWith('postgres');
}

/** Index name -> columns, in order. */
const INDEXES = {
  vm_lifecycle_instances_page_namespace_idx: ['namespace', 'name'],
  vm_lifecycle_instances_page_name_idx: ['name', 'namespace'],
  vm_lifecycle_instances_page_created_idx: ['created_at', 'uid'],
  vm_lifecycle_instances_page_phase_idx: ['phase', 'namespace', 'name'],
  vm_lifecycle_instances_page_owner_idx: ['owner', 'namespace', 'name'],
  vm_lifecycle_instances_page_requested_by_idx: [
    'requested_by',
    'namespace',
    'name',
  ],
};

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  const pg = isPostgres(knex);
  if (pg) {
    await knex.raw(`
      ALTER TABLE ${TABLE}
        ADD COLUMN phase text NOT NULL
          GENERATED ALWAYS AS (COALESCE((object::jsonb) #>> '{status,phase}', '')) STORED,
        ADD COLUMN failed_jobs smallint NOT NULL
          GENERATED ALWAYS AS (
            CASE WHEN ((object::jsonb) -> 'status' -> 'provisioningJobs') @> '[{"state":"Failed"}]'::jsonb
            THEN 1 ELSE 0 END
          ) STORED`);
  } else {
    await knex.raw(`
      ALTER TABLE ${TABLE} ADD COLUMN phase TEXT
        GENERATED ALWAYS AS (COALESCE(json_extract(object, '$.status.phase'), '')) VIRTUAL`);
    // json_extract gives an array as minified JSON text, where an unescaped "state":"Failed" can
    // only be a job's state (a quote inside a string value is always escaped).
    await knex.raw(`
      ALTER TABLE ${TABLE} ADD COLUMN failed_jobs INTEGER
        GENERATED ALWAYS AS (
          CASE WHEN instr(json_extract(object, '$.status.provisioningJobs'), '"state":"Failed"') > 0
          THEN 1 ELSE 0 END
        ) VIRTUAL`);
  }
  // A name filter is rare; the owner and requester filters are the common ones and are covered.
  for (const [index, columns] of Object.entries(INDEXES)) {
    const list = columns
      .map(c =>
        pg && c !== 'owner' && c !== 'requested_by'
          ? `"${c}" COLLATE "C"`
          : `"${c}"`,
      )
      .join(', ');
    await knex.raw(`CREATE INDEX ${index} ON ${TABLE} (${list})`);
  }
};

/**
 * @param {import('knex').Knex} _knex
 */
exports.down = async function down(_knex) {
  throw new Error(
    'The vm-lifecycle migrations are forward-only: restore a backup to go back before 20261202080000_list_page_columns',
  );
};
