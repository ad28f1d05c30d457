import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './schema.js';

// `Db` of index.ts, named here so that index.ts (which opens the replica) and this file do not import each other.
type Db = Kysely<Database>;

/** A read replica's database handle, opened by `openStore` from `DATABASE_READ_URL`. */
export interface ReplicaHandle {
  db: Db;
  /** The replica's URL without its password, for logs. */
  location: string;
}

export interface ReadsOptions {
  /** How long a read waits for a replica that is behind before it goes to the primary (ms). */
  waitMs?: number;
  /** After the replica failed, how long reads stay on the primary before the replica is tried again (ms). */
  retryMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'> | undefined;
  /** Wall time for the waits above: never the server's (manual) clock, which a test may hold still. */
  now?: () => number;
}

export type ReplicaState = { state: 'none' } | { state: 'streaming' } | { state: 'down'; reason: string; since: string };

/**
 * Where a read-only request reads: the read replica when it has everything the request must see,
 * else the primary.
 *
 * The rule: a read goes to the replica only when the replica has replayed the primary's WAL up to
 * where the primary's was when the read began (`pg_current_wal_insert_lsn()` on the primary,
 * compared with `pg_last_wal_replay_lsn()` on the replica; checked before the read, whose snapshot
 * is taken after). Everything any process committed before the read began (a statement
 * acknowledged, a batch's credits) is therefore in what it reads. A replica that is behind gets
 * `waitMs` to catch up; a replica that fails sends reads to the primary for `retryMs`, logged once.
 * A read that fails on the replica for a reason other than its own input is run again on the
 * primary. Callers that promise a time (xAPI's Consistent-Through) fix it before calling `read`.
 *
 * @example
 * const reads = new Reads(store.db, store.replica, { logger });
 * const report = await reads.read((db) => summaryReport(db, scope, 'department'));
 */
export class Reads {
  /** Reads served by each side, and why the primary served them. */
  readonly stats = { replica: 0, primary: 0, behind: 0, down: 0, retried: 0 };
  #down: { reason: string; since: number; retryAt: number } | undefined;
  readonly #waitMs: number;
  readonly #retryMs: number;
  readonly #now: () => number;

  constructor(
    private readonly primary: Db,
    private readonly replica?: ReplicaHandle | undefined,
    private readonly options: ReadsOptions = {},
  ) {
    this.#waitMs = options.waitMs ?? 50;
    this.#retryMs = options.retryMs ?? 5000;
    this.#now = options.now ?? Date.now;
  }

  /** Runs a read-only `fn` on the replica when the rule allows, else on the primary. */
  async read<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const db = await this.pick();
    if (db === this.primary) return fn(db);
    try {
      return await fn(db);
    } catch (err) {
      if (!replicaFault(err)) throw err;
      // The replica went away or cancelled the query (a conflict with recovery): the primary answers.
      this.#fail(err);
      this.stats.retried++;
      return fn(this.primary);
    }
  }

  /** The database a read starting now may use (see the class). */
  async pick(): Promise<Db> {
    const replica = this.replica;
    if (!replica) return this.primary;
    if (this.#down) {
      if (this.#now() < this.#down.retryAt) return this.#onPrimary('down');
      // This read tries the replica again; the reads meanwhile do not wait for it.
      this.#down.retryAt = this.#now() + this.#retryMs;
    }
    try {
      const { rows } = await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(this.primary);
      const needed = rows[0]!.lsn;
      const deadline = this.#now() + this.#waitMs;
      for (;;) {
        const caught = await sql<{ caught: boolean | null }>`select pg_last_wal_replay_lsn() >= ${needed}::pg_lsn as caught`.execute(replica.db);
        const verdict = caught.rows[0]!.caught;
        if (verdict === null) throw new Error('DATABASE_READ_URL is not a standby (pg_last_wal_replay_lsn() is null)');
        if (verdict) {
          this.#up();
          this.stats.replica++;
          return replica.db;
        }
        if (this.#now() >= deadline) return this.#onPrimary('behind');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } catch (err) {
      // Only the replica's failure is handled here; the primary's reaches the caller as any query's would.
      if (!(await this.#primaryAnswers())) throw err;
      this.#fail(err);
      return this.#onPrimary('down');
    }
  }

  /** What `/readyz` says of the replica. */
  state(): ReplicaState {
    if (!this.replica) return { state: 'none' };
    if (this.#down) return { state: 'down', reason: this.#down.reason, since: new Date(this.#down.since).toISOString() };
    return { state: 'streaming' };
  }

  /** Asks the replica now (for `/readyz`), whatever the retry interval says. */
  async probe(): Promise<ReplicaState> {
    if (!this.replica) return this.state();
    try {
      const { rows } = await sql<{ standby: boolean }>`select pg_is_in_recovery() as standby`.execute(this.replica.db);
      if (!rows[0]!.standby) throw new Error('DATABASE_READ_URL is not a standby (pg_is_in_recovery() is false)');
      this.#up();
    } catch (err) {
      this.#fail(err);
    }
    return this.state();
  }

  #onPrimary(why: 'behind' | 'down') {
    this.stats.primary++;
    this.stats[why]++;
    return this.primary;
  }

  #fail(err: unknown) {
    const reason = err instanceof Error ? err.message || err.constructor.name : String(err);
    const now = this.#now();
    if (!this.#down) this.options.logger?.warn({ replica: this.replica?.location, reason }, 'read replica unavailable: reads go to the primary');
    this.#down = { reason, since: this.#down?.since ?? now, retryAt: now + this.#retryMs };
  }

  #up() {
    if (!this.#down) return;
    this.options.logger?.info({ replica: this.replica?.location }, 'read replica back: reads use it again');
    this.#down = undefined;
  }

  async #primaryAnswers() {
    try {
      await sql`select 1`.execute(this.primary);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Whether an error thrown by a read on the replica is the replica's (so the primary may answer):
 * a lost or refused connection, a server shutting down, or a query cancelled by recovery. A
 * request's own error (an HttpError, a bad value) is not.
 */
function replicaFault(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return /connection|terminat|ECONN|timeout/i.test(err.message);
  // 08: connection exception; 57: operator intervention (shutdown, cannot connect now); 40001: cancelled by recovery conflict.
  return /^(08|57)/.test(code) || code === '40001' || /^E[A-Z]+$/.test(code);
}
