import { execFile } from 'node:child_process';
import { appendFile, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** Debian's PostgreSQL binaries; `XCREDIT_PG_BIN` names another folder. */
export const PG_BIN = process.env.XCREDIT_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** The line `ensureReplicationAllowed` adds to the primary's pg_hba.conf when no rule lets a local replication connection in. */
export const REPLICATION_HBA_LINE = 'host replication all 127.0.0.1/32 trust';

/**
 * A streaming read replica of a local PostgreSQL server, made for a test: a second cluster
 * (pg_basebackup -R) in a temporary folder on a free port, removed by `remove`.
 *
 * @example
 * const replica = await startReplica('postgres://postgres@127.0.0.1:5432/test');
 * await replica.sql('select pg_wal_replay_pause()');
 * await replica.remove();
 */
export interface TestReplica {
  /** The replica's URL with `database` in place of the primary URL's, e.g. `replica.urlOf('xcredit_test_…')`. */
  urlOf(database: string): string;
  port: number;
  /** Runs a query on the replica (database `postgres` unless named). */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], database?: string): Promise<R[]>;
  /** Stops the replica's server (fast shutdown), keeping its files. */
  stop(): Promise<void>;
  /** Starts it again after `stop` and waits until it takes connections. */
  start(): Promise<void>;
  /** Stops it if running and deletes its files. */
  remove(): Promise<void>;
}

/**
 * Makes the primary at `primaryUrl` (a server on this machine) accept a local replication
 * connection: when none of its pg_hba.conf rules does, appends `REPLICATION_HBA_LINE` to its
 * pg_hba.conf and reloads it. Idempotent; throws what to change when the primary cannot stream
 * (wal_level minimal, no WAL senders) or its pg_hba.conf is not ours to write.
 */
export async function ensureReplicationAllowed(primaryUrl: string): Promise<void> {
  await withClient(primaryUrl, async (c) => {
    const setting = async (name: string) => (await c.query<{ setting: string }>('select setting from pg_settings where name = $1', [name])).rows[0]?.setting;
    const walLevel = await setting('wal_level');
    if (walLevel === 'minimal') throw new Error('the primary has wal_level = minimal; set wal_level = replica in postgresql.conf and restart it');
    if (Number(await setting('max_wal_senders')) < 1) throw new Error('the primary has max_wal_senders = 0; set it to 10 in postgresql.conf and restart it');
    const rules = await c.query<{ n: string }>(
      `select count(*) as n from pg_hba_file_rules where error is null and type like 'host%' and auth_method <> 'reject' and 'replication' = any(database) and (address in ('all', 'samehost', 'samenet', 'localhost') or address like '127.%')`,
    );
    if (Number(rules.rows[0]!.n) > 0) return;
    const hba = (await c.query<{ hba_file: string }>('show hba_file')).rows[0]!.hba_file;
    const text = await readFile(hba, 'utf8').catch((err: Error) => {
      throw new Error(`the primary's pg_hba.conf (${hba}) lets no local replication connection in and cannot be read here (${err.message}); add "${REPLICATION_HBA_LINE}" to it and reload`);
    });
    if (!text.split('\n').some((line) => line.trim() === REPLICATION_HBA_LINE)) await appendFile(hba, `${text.endsWith('\n') ? '' : '\n'}${REPLICATION_HBA_LINE}\n`);
    await c.query('select pg_reload_conf()');
    // The reload is asynchronous: wait until the postmaster has read the new rules.
    for (let i = 0; i < 50; i++) {
      const again = await c.query<{ n: string }>(`select count(*) as n from pg_hba_file_rules where error is null and 'replication' = any(database) and address like '127.%'`);
      if (Number(again.rows[0]!.n) > 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
}

/** Creates, starts and returns a streaming replica of the local primary at `primaryUrl`. */
export async function startReplica(primaryUrl: string): Promise<TestReplica> {
  const primary = new URL(primaryUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(primary.hostname)) throw new Error(`a test replica is made of a primary on this machine, not ${primary.hostname}`);
  await ensureReplicationAllowed(primaryUrl);
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'xcredit-replica-'));
  const data = join(dir, 'data');
  // PostgreSQL refuses to run as root: as root, the cluster belongs to and runs as `postgres`.
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await postgresIds() : undefined;
  if (owner) await chown(dir, owner.uid, owner.gid);
  const pgRun = (bin: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]) : run(join(PG_BIN, bin), args));
  let started = false;
  const stop = async () => {
    if (!started) return;
    await pgRun('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => pgRun('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => {}));
    started = false;
  };
  const remove = async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  };
  const urlOf = (database: string) => {
    const u = new URL(primaryUrl);
    u.hostname = '127.0.0.1';
    u.port = String(port);
    u.pathname = `/${database}`;
    return u.toString();
  };
  const start = async () => {
    await pgRun('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '120', 'start']);
    started = true;
    for (let i = 0; ; i++) {
      try {
        const standby = await withClient(urlOf('postgres'), (c) => c.query<{ standby: boolean }>('select pg_is_in_recovery() as standby'));
        if (standby.rows[0]!.standby) return;
        throw new Error('the new cluster is not in recovery');
      } catch (err) {
        if (i >= 100) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  try {
    const user = decodeURIComponent(primary.username || 'postgres');
    await pgRun('pg_basebackup', ['-h', '127.0.0.1', '-p', primary.port || '5432', '-U', user, '-D', data, '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
    // A hot standby needs these at least as large as its primary's.
    const copied = await withClient(primaryUrl, (c) =>
      c.query<{ name: string; setting: string }>(`select name, setting from pg_settings where name in ('max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction')`),
    );
    const conf = [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${dir}'`,
      'hot_standby = on',
      'shared_buffers = 32MB',
      'fsync = off',
      ...copied.rows.map((r) => `${r.name} = ${r.setting}`),
    ];
    await writeFile(join(data, 'postgresql.conf'), `${conf.join('\n')}\n`);
    await writeFile(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    if (owner) for (const f of ['postgresql.conf', 'pg_hba.conf']) await chown(join(data, f), owner.uid, owner.gid);
    await start();
  } catch (err) {
    const log = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '');
    await remove();
    const detail = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    throw new Error(`could not start a read replica of ${primary.host}: ${detail}${log ? `\n${log.slice(-2000)}` : ''}`, { cause: err });
  }
  return {
    urlOf,
    port,
    sql: async (text, values, database = 'postgres') => (await withClient(urlOf(database), (c) => c.query(text, values))).rows,
    stop,
    start,
    remove,
  };
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
