import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** Plugin-specific, so the plugin's migrations never mix with another plugin's in a shared database. */
export const MIGRATIONS_TABLE = 'vm_lifecycle__knex_migrations';

export const INSTANCES_TABLE = 'vm_lifecycle_instances';
export const COUNTERS_TABLE = 'vm_lifecycle_counters';
export const EVENTS_TABLE = 'vm_lifecycle_events';
export const TOMBSTONES_TABLE = 'vm_lifecycle_tombstones';
export const HISTORY_TABLE = 'vm_lifecycle_instance_history';
export const RESOURCE_VERSION_SEQUENCE = 'vm_lifecycle_resource_version_seq';
export const RESOURCE_VERSION_COUNTER = 'resourceVersion';

const LOCK_RETRY_DELAY_MS = 500;
const LOCK_RETRY_ATTEMPTS = 60;

// The instance store and the event store share one knex and both migrate it; running knex's
// migrator twice at once on one database fails with MigrationLocked, so each knex migrates once.
const migrations = new WeakMap<Knex, Promise<void>>();

export function migrationsDirectory(): string {
  return resolvePackagePath(
    '@vm-selfservice/plugin-vm-lifecycle-backend',
    'migrations',
  );
}

/** Brings the plugin's tables up to date. Safe to call many times and from several replicas. */
export function applyDatabaseMigrations(knex: Knex): Promise<void> {
  let done = migrations.get(knex);
  if (!done) {
    done = migrateWithLockRetry(knex);
    migrations.set(knex, done);
    // A failure is not cached: the next caller tries again.
    done.catch(() => migrations.delete(knex));
  }
  return done;
}

async function migrateWithLockRetry(knex: Knex): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await knex.migrate.latest({
        directory: migrationsDirectory(),
        tableName: MIGRATIONS_TABLE,
        loadExtensions: ['.js'],
      });
      return;
    } catch (error) {
      // Another replica holds the migration lock: wait for it rather than fail the plugin start.
      if (
        (error as Error)?.name !== 'MigrationLocked' ||
        attempt >= LOCK_RETRY_ATTEMPTS
      ) {
        throw error;
      }
      await new Promise(resolve => setTimeout(resolve, LOCK_RETRY_DELAY_MS));
    }
  }
}
