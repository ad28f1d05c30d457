import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { lockFolder, type FolderLock } from './lock.js';
import { migrationProvider } from './migrations/index.js';
import { PGliteDialect } from './pglite-dialect.js';
import { preparedPool } from './prepared.js';
import type { ReplicaHandle } from './replica.js';
import type { Database } from './schema.js';

export type { Database } from './schema.js';
export type Db = Kysely<Database>;

export interface StoreOptions {
  /** postgres://… to use PostgreSQL; otherwise PGlite in `dataDir`. */
  databaseUrl?: string | undefined;
  /** PostgreSQL connections kept at most (default 20); the replica's pool is as large. */
  databasePoolSize?: number | undefined;
  /** postgres://… of a streaming read replica of `databaseUrl` (see `Reads`). */
  databaseReadUrl?: string | undefined;
  /** Folder for PGlite's files, or `memory://` for a throwaway database. */
  dataDir: string;
  /** What opens it (`start`, `create-client`…), named to a second process the folder's lock refuses. */
  command?: string | undefined;
  /** For `memory://`: start from this copy of a database (`pgliteImage()`) instead of an empty one. */
  pgliteImage?: Blob | undefined;
}

export type Engine = 'postgres' | 'pglite';

export interface Store {
  db: Db;
  engine: Engine;
  /** Where the data lives, for people: a folder or a URL without its password. */
  location: string;
  /** PGlite in a folder: this process's exclusive lock on it. */
  lock?: FolderLock | undefined;
  /** The read replica, when `databaseReadUrl` was given. */
  replica?: ReplicaHandle | undefined;
  close(): Promise<void>;
}

/** A pool of PostgreSQL connections with this server's type parsers and a name `pg_stat_activity` shows. */
function postgresDb(connectionString: string, max: number, applicationName: string): { db: Db; location: string } {
  // pg's own parsers already keep int8 (bigserial) a string and numeric exact; timestamps arrive as Date.
  const pool = new pg.Pool({ connectionString, max, application_name: applicationName, connectionTimeoutMillis: 10_000 });
  // A client losing its server, idle or in use (a restart, pg_terminate_backend), must not crash
  // the process: the query under way rejects with the error, and the next query reports it.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const url = new URL(connectionString);
  url.password = '';
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparedPool(pool) }) }), location: url.toString() };
}

/** Opens PostgreSQL when a URL is given, else PGlite persisted in a folder. */
export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    const max = options.databasePoolSize ?? 20;
    const { db, location } = postgresDb(options.databaseUrl, max, 'xcredit');
    const replica = options.databaseReadUrl ? postgresDb(options.databaseReadUrl, max, 'xcredit-read') : undefined;
    return {
      db,
      engine: 'postgres',
      location,
      replica,
      async close() {
        await Promise.all([db.destroy(), replica?.db.destroy()]);
      },
    };
  }
  if (options.databaseReadUrl) throw new Error('DATABASE_READ_URL needs DATABASE_URL: a read replica is of a PostgreSQL primary, not of PGlite');
  const memory = options.dataDir === 'memory://';
  if (memory) {
    const db = new Kysely<Database>({ dialect: new PGliteDialect(new PGlite(options.pgliteImage ? { loadDataDir: options.pgliteImage } : {})) });
    return { db, engine: 'pglite', location: 'memory', close: () => db.destroy() };
  }
  mkdirSync(options.dataDir, { recursive: true });
  // One process per folder: PGlite would let a second one in, and the two would lose each other's writes.
  const lock = await lockFolder(options.dataDir, options.command ?? 'start');
  try {
    const lite = new PGlite(options.dataDir);
    await lite.waitReady;
    const db = new Kysely<Database>({ dialect: new PGliteDialect(lite) });
    return {
      db,
      engine: 'pglite',
      location: options.dataDir,
      lock,
      async close() {
        try {
          await db.destroy();
        } finally {
          lock.release();
        }
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * Runs `work` while no other process on the same PostgreSQL runs its own: a session advisory lock
 * held on one connection of the pool while `work` uses the others (the pool has at least two).
 * PGlite has one process by construction, so it just runs.
 *
 * @example
 * await withStartupLock(store, async () => { await migrate(store.db); await upgradeCreditRules(store.db, events); });
 */
export async function withStartupLock<T>(store: Pick<Store, 'db' | 'engine'>, work: () => Promise<T>): Promise<T> {
  if (store.engine !== 'postgres') return work();
  return store.db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(hashtextextended('xcredit:startup', 0))`.execute(conn);
    try {
      return await work();
    } finally {
      await sql`select pg_advisory_unlock(hashtextextended('xcredit:startup', 0))`.execute(conn);
    }
  });
}

/**
 * A throwaway database with every migration applied, as a PGlite data folder packed in a tarball:
 * `openStore({ dataDir: 'memory://', pgliteImage })` starts from it in a second instead of migrating
 * from scratch (what the tests' servers do).
 */
export async function pgliteImage(): Promise<Blob> {
  const lite = new PGlite();
  const db = new Kysely<Database>({ dialect: new PGliteDialect(lite) });
  try {
    await migrate(db);
    return await lite.dumpDataDir('none');
  } finally {
    await db.destroy();
  }
}

/** Brings the schema up to date; safe to run at every start. */
export async function migrate(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableName: 'xcredit_migrations', migrationLockTableName: 'xcredit_migrations_lock', allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return (results ?? []).map((r) => r.migrationName);
}
