import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient } from './auth/clients.js';
import { loadConfig } from './config.js';
import { manualClock } from './clock.js';
import { startServer, type RunningServer } from './server.js';

/**
 * Helpers to run a real xcredit server in integration tests: on a throwaway PGlite database,
 * or on a fresh database created in a PostgreSQL server and dropped afterwards.
 *
 * @example
 * const server = await startTestServer({ engine: 'pglite' });
 * const res = await fetch(`${server.url}/xapi/about`);
 * await server.close();
 */
export type Engine = 'pglite' | 'postgres';

export interface TestServer extends RunningServer {
  /** The server's clock when `manualClock` was asked for. */
  clock?: ReturnType<typeof manualClock>;
  engine: Engine;
  /** An all-scopes client of the default tenant. */
  admin: { key: string; secret: string; authorization: string };
}

export interface TestServerOptions {
  engine: Engine;
  /** For `postgres`: a URL of a server and database allowed to CREATE DATABASE. */
  postgresUrl?: string;
  demo?: boolean;
  /** Install a clock the test moves by hand (`server.clock.advance(seconds)`) for receipt times. */
  manualClock?: boolean;
  /**
   * XCREDIT_LTI_ALLOW_PRIVATE_HOSTS: by default the loopback addresses and `localhost`, where test
   * LMS simulators listen; '' for the production default (public addresses only).
   */
  ltiAllowPrivateHosts?: string;
  /** More configuration, as environment variables (e.g. `XCREDIT_FRAME_ANCESTORS`). */
  env?: Record<string, string>;
}

/** Where the tests' LMS simulators run. */
export const TEST_LTI_HOSTS = '127.0.0.1, ::1, localhost';

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const admin = { key: `test-admin-${randomBytes(4).toString('hex')}`, secret: randomBytes(18).toString('base64url') };
  let database: { url: string; drop(): Promise<void> } | undefined;
  if (options.engine === 'postgres') {
    if (!options.postgresUrl) throw new Error('startTestServer: engine "postgres" needs postgresUrl');
    database = await createTestDatabase(options.postgresUrl);
  }
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database?.url,
    XCREDIT_DATA_DIR: 'memory://',
    XCREDIT_ADMIN_KEY: admin.key,
    XCREDIT_ADMIN_SECRET: admin.secret,
    XCREDIT_SECRET_KEY: randomBytes(32).toString('base64url'),
    XCREDIT_LTI_ALLOW_PRIVATE_HOSTS: options.ltiAllowPrivateHosts ?? TEST_LTI_HOSTS,
    ...options.env,
  });
  const clock = options.manualClock ? manualClock() : undefined;
  let server: RunningServer;
  try {
    server = await startServer(config, { demo: options.demo ?? false, clock });
  } catch (err) {
    await database?.drop();
    throw err;
  }
  return {
    ...server,
    engine: options.engine,
    clock,
    admin: { ...admin, authorization: `Basic ${Buffer.from(`${admin.key}:${admin.secret}`).toString('base64')}` },
    async close() {
      await server.close();
      await database?.drop();
    },
  };
}

/** Creates a uniquely named database next to `adminUrl`'s and returns its URL. */
export async function createTestDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `xcredit_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withClient(adminUrl, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** Whether a PostgreSQL server answers at `url`; the reason when it does not. */
export async function probePostgres(url: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await withClient(url, (c) => c.query('select 1'));
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message || err.constructor.name : String(err) };
  }
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export { createClient };
