import { randomBytes } from 'node:crypto';
import knexFactory, { Knex } from 'knex';

export type BenchStoreKind = 'sqlite' | 'postgres';

/** The connection string the PostgreSQL tests use; the benchmark reads the same variable. */
export const POSTGRES_URL_ENV =
  'BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING';
export const DEFAULT_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/test';

export interface BenchDatabase {
  knex: Knex;
  /** e.g. "SQLite (in memory)" or "PostgreSQL 15.2, database vm_bench_1a2b..." */
  description: string;
  /** PostgreSQL: where another process (the second replica) reaches the same database. */
  url?: string;
  /** Closes the pool and, for PostgreSQL, drops the database the benchmark created. */
  destroy(): Promise<void>;
}

/**
 * SQLite: in memory, as `app-config.yaml` configures the embedded default (one connection, which is
 * what knex uses for better-sqlite3). PostgreSQL: a fresh, randomly named database on the server of
 * `postgresUrl`, dropped afterwards, so runs never see each other's rows.
 */
export async function openBenchDatabase(
  kind: BenchStoreKind,
  postgresUrl: string = process.env[POSTGRES_URL_ENV] || DEFAULT_POSTGRES_URL,
): Promise<BenchDatabase> {
  if (kind === 'sqlite') {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    return {
      knex,
      description: 'SQLite (better-sqlite3, in memory)',
      destroy: () => knex.destroy(),
    };
  }
  const admin = knexFactory({
    client: 'pg',
    connection: postgresUrl,
    pool: { min: 0, max: 1 },
  });
  const name = `vm_bench_${randomBytes(6).toString('hex')}`;
  await admin.raw('CREATE DATABASE ??', [name]);
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const knex = knexFactory({ client: 'pg', connection: url.toString() });
  const version = await knex
    .raw('SHOW server_version')
    .then(
      (r: { rows: Array<{ server_version: string }> }) =>
        r.rows[0]?.server_version ?? '?',
    );
  let dropped = false;
  return {
    knex,
    url: url.toString(),
    description: `PostgreSQL ${version} (database ${name} on ${url.host}, dropped after the run)`,
    async destroy() {
      if (dropped) return;
      dropped = true;
      await knex.destroy();
      try {
        await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
      } finally {
        await admin.destroy();
      }
    },
  };
}
