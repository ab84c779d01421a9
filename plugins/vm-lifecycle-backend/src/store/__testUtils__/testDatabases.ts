import { TestDatabases } from '@backstage/backend-test-utils';
import { randomBytes } from 'node:crypto';
import knexFactory, { Knex } from 'knex';

/**
 * PostgreSQL tests run only when this variable holds a connection string, e.g.
 * `postgresql://postgres@127.0.0.1:5432/test`. It is the variable Backstage's `TestDatabases` reads
 * for its POSTGRES_16 id; the server version does not have to be 16. Each test file gets a fresh,
 * randomly named database on that server (dropped after the file), each test its own schema in it.
 */
export const POSTGRES_CONNECTION_ENV =
  'BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING';

export const postgresConfigured = Boolean(process.env[POSTGRES_CONNECTION_ENV]);

export function createSqliteKnex(
  filename = ':memory:',
  pool?: Knex.PoolConfig,
): Knex {
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    ...(pool ? { pool } : {}),
  });
}

/**
 * Must be called while jest collects tests (inside a `describe` gated on `postgresConfigured`):
 * `TestDatabases` registers its cleanup with `afterAll`. Without the variable set and with CI=true
 * it would try to start a Docker container instead, which is why callers gate on it first.
 *
 * One database per test file (created by `TestDatabases`, dropped after the file), and a fresh
 * schema in it for every call: CREATE/DROP DATABASE forces a checkpoint each, so a database per test
 * made the file's cleanup alone outlast jest's hook timeout.
 */
export function postgresDatabaseFactory(): DatabaseFactory {
  const databases = TestDatabases.create({ ids: ['POSTGRES_16'] });
  let database: Promise<Knex> | undefined;
  return async () => {
    database ??= databases.init('POSTGRES_16');
    const admin = await database;
    const schema = `test_${randomBytes(8).toString('hex')}`;
    await admin.raw('CREATE SCHEMA ??', [schema]);
    // Everything, the migration tables included, lands in the first schema of the search path.
    return knexFactory({ ...admin.client.config, searchPath: [schema] });
  };
}

export type DatabaseFactory = () => Promise<Knex>;

/** The database backends available in this run: SQLite always, PostgreSQL when configured. */
export function availableDatabases(): Array<[string, DatabaseFactory]> {
  const backends: Array<[string, DatabaseFactory]> = [
    ['SQLite', async () => createSqliteKnex()],
  ];
  if (postgresConfigured)
    backends.push(['PostgreSQL', postgresDatabaseFactory()]);
  return backends;
}
