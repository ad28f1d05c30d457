import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { sql, type Kysely } from 'kysely';
import { Verbs } from '@xcredit/sdk/xapi';
import type { Clock } from '../clock.js';
import type { Database, Db, Engine } from '../db/index.js';
import type { Reads } from '../db/replica.js';
import type { StatementsTable } from '../db/schema.js';
import { HttpError } from '../http-error.js';
import { KnownDefinitions, rememberDefinitions, type Definition } from './activities.js';
import { sameStatement } from './normalize.js';

/** One statement as the statements table stores it (the columns the database does not fill in), ready to serialize. */
export type StatementRow = Omit<StatementsTable, 'seq' | 'voided' | 'stored' | 'statement' | 'related_agents' | 'related_activities'> & {
  stored: string;
  statement: Record<string, unknown>;
  related_agents: string[];
  related_activities: string[];
};

/**
 * A statement ready to store. The row is kept as JSON text: requests wait for their turn with a
 * flat string each instead of a graph of objects, which keeps the garbage collector's work small
 * under load.
 */
export interface PreparedStatement {
  id: string;
  verbId: string;
  /** `StatementRow` as JSON, UTF-8: off the JavaScript heap while it waits. */
  json: Buffer;
  /** Whether the client gave the timestamp (else the LRS filled it in from `stored`). */
  timestampGiven: boolean;
  /** For a voiding statement, the id of the statement it voids. */
  voids?: string;
}

/** The row of a statement as it will be stored; throws a 400 naming `where` if PostgreSQL could not store its text. */
export function prepareStatement(row: StatementRow, timestampGiven: boolean, where: string): PreparedStatement {
  const text = JSON.stringify(row);
  // JSON.stringify escapes NUL and lone surrogates; PostgreSQL's jsonb refuses both.
  if (UNSTORABLE.test(text)) checkStorable(row.statement, where);
  const voids = row.verb_id === Verbs.voided ? String((row.statement.object as { id: string }).id).toLowerCase() : undefined;
  return { id: row.id, verbId: row.verb_id, json: Buffer.from(text), timestampGiven, ...(voids ? { voids } : {}) };
}

const UNSTORABLE = /\\u(0000|d[89a-f])/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws a 400 at the first string or key holding a NUL character or half of a surrogate pair. */
function checkStorable(value: unknown, path: string): void {
  const bad = (s: string) => s.includes('\u0000') || LONE_SURROGATE.test(s);
  if (typeof value === 'string' && bad(value)) {
    throw new HttpError(400, 'invalid_input', `${path}: text must not contain the NUL character (\\u0000) or half of a UTF-16 surrogate pair`, [
      { path, message: 'must not contain the NUL character or half of a surrogate pair' },
    ]);
  }
  if (Array.isArray(value)) value.forEach((v, i) => checkStorable(v, `${path}[${i}]`));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (bad(k)) throw new HttpError(400, 'invalid_input', `${path}: the key ${JSON.stringify(k)} must not contain the NUL character or half of a surrogate pair`, [{ path, message: 'has a key with a NUL character or half of a surrogate pair' }]);
      checkStorable(v, `${path}.${k}`);
    }
  }
}

/** One request's statements, validated and ready to store, all or nothing. */
export interface StatementWrite {
  tenantId: string;
  statements: PreparedStatement[];
  definitions: Definition[];
  /** Attachment contents to keep, by SHA-2 hash. */
  files: [string, { contentType: string; content: Buffer }][];
  /** Runs in the transaction after the statements are stored, given the verbs of those that are new; throwing rolls the write back. */
  after?: (trx: Kysely<Database>, freshVerbs: string[]) => Promise<void>;
}

interface Pending {
  write: StatementWrite;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Stores each request's statements in one transaction, and when requests arrive together, the
 * statements of several requests in one transaction: under load the database then takes one
 * insert and one commit for many requests instead of one each, and concurrent writers stop
 * queuing behind each other on the same index pages. At most `concurrency` transactions run at
 * once; requests arriving meanwhile wait and go together in the next one. A request is never
 * half written and never fails because of another: if anything in a shared transaction fails
 * (one request's conflicting statement, say), it is rolled back and each of its requests is
 * written again on its own, so each gets its own answer. A write that runs code of its own
 * (`after`) or carries attachments is written on its own, within the same limit.
 */
/** What the statement API reads and writes with: the server's database, clock and its one writer (the server's `AppContext` has them). */
export interface StatementStore {
  db: Db;
  /** Where statement queries read (the primary, or a replica that has caught up). */
  reads: Reads;
  clock: Clock;
  statements: StatementWriter;
}

export class StatementWriter {
  readonly #queue: Pending[] = [];
  readonly #known = new KnownDefinitions();
  #running = 0;
  /** Receipt times (ms) of writes not yet committed, with how many share each. */
  readonly #open = new Map<number, number>();
  /** Transactions committed, how many of them held several requests, and requests written again on their own after a shared transaction failed. */
  readonly stats = { transactions: 0, shared: 0, retried: 0 };

  constructor(
    private readonly db: Db,
    /** What the database runs on: PostgreSQL takes the batch as binary jsonb. */
    private readonly engine: Engine,
    /** Transactions writing statements at once. */
    private readonly concurrency = 8,
    /** Most statements one shared transaction takes. */
    private readonly maxStatements = 4000,
  ) {}

  /**
   * Marks a write received at `stored` as under way until the returned function is called: from
   * its receipt time on, statements may still appear, so `consistentThrough` stays before it.
   */
  begin(stored: Date): () => void {
    const t = stored.getTime();
    this.#open.set(t, (this.#open.get(t) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const n = this.#open.get(t)! - 1;
      if (n) this.#open.set(t, n);
      else this.#open.delete(t);
    };
  }

  /** The latest time up to which every statement received by this process is stored: `now`, or just before the oldest write under way. */
  consistentThrough(now: Date): Date {
    let oldest = now.getTime() + 1;
    for (const t of this.#open.keys()) if (t < oldest) oldest = t;
    return new Date(Math.min(now.getTime(), oldest - 1));
  }

  /** Names this process's row in `xapi_write_horizons`. */
  readonly processId = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;

  /**
   * The latest time up to which every statement received by any server process on this database
   * is stored: this process's own `consistentThrough`, held back by the horizon each other live
   * process last published (`publishHorizon`). A published horizon stays a lower bound however old
   * it is (a process's later writes are received later), so it may lag, never lead. PGlite has one
   * process by construction: only its own writes count.
   */
  async consistentThroughAll(now: Date): Promise<Date> {
    const own = this.consistentThrough(now);
    if (this.engine !== 'postgres') return own;
    const { rows } = await sql<{ horizon: Date | string | null }>`
      select min(horizon) as horizon from xapi_write_horizons
      where process_id <> ${this.processId} and expires_at > clock_timestamp()`.execute(this.db);
    const others = rows[0]?.horizon;
    return others != null && new Date(others).getTime() < own.getTime() ? new Date(others) : own;
  }

  /**
   * Publishes this process's horizon (every statement it received before it is stored or refused)
   * for the other processes' `consistentThroughAll`, valid for `leaseMs` of the database's time:
   * a process that stops publishing (it crashed) holds the others back no longer than that.
   */
  async publishHorizon(now: Date, leaseMs: number): Promise<void> {
    const horizon = this.consistentThrough(now);
    await sql`insert into xapi_write_horizons (process_id, horizon, expires_at)
      values (${this.processId}, ${horizon}, clock_timestamp() + ${leaseMs} * interval '1 millisecond')
      on conflict (process_id) do update set horizon = excluded.horizon, expires_at = excluded.expires_at`.execute(this.db);
  }

  /** Removes this process's horizon (it has stopped writing), and those of processes gone for an hour. */
  async withdrawHorizon(): Promise<void> {
    await sql`delete from xapi_write_horizons where process_id = ${this.processId} or expires_at < clock_timestamp() - interval '1 hour'`.execute(this.db);
  }

  /** Writes waiting for a transaction to take them. */
  get waiting(): number {
    return this.#queue.length;
  }

  write(write: StatementWrite): Promise<void> {
    // Every write waits its turn, a launch's with its credit hook too: past `concurrency`
    // transactions, more at once only hold connections other requests need.
    return new Promise((resolve, reject) => {
      this.#queue.push({ write, resolve, reject });
      this.#pump();
    });
  }

  #pump() {
    while (this.#running < this.concurrency && this.#queue.length) {
      const group = this.#take();
      this.#running++;
      void this.#flush(group).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }

  /**
   * The next group: queued writes in order up to the size limit, leaving for later any that names
   * a statement id another in the group already names. A write with code of its own or
   * attachments goes in a group of its own.
   */
  #take() {
    const group: Pending[] = [];
    const ids = new Set<string>();
    let size = 0;
    for (let i = 0; i < this.#queue.length; ) {
      const item = this.#queue[i]!;
      if (alone(item.write)) {
        if (group.length) {
          i++;
          continue;
        }
        this.#queue.splice(i, 1);
        return [item];
      }
      const keys = item.write.statements.map((s) => `${item.write.tenantId}\u0000${s.id}`);
      if (group.length && (size + keys.length > this.maxStatements || keys.some((k) => ids.has(k)))) {
        i++;
        continue;
      }
      for (const k of keys) ids.add(k);
      size += keys.length;
      group.push(item);
      this.#queue.splice(i, 1);
      if (size >= this.maxStatements) break;
    }
    return group;
  }

  async #flush(group: Pending[]) {
    if (group.length === 1) {
      const [{ write, resolve, reject }] = group as [Pending];
      return this.#alone(write).then(resolve, reject);
    }
    try {
      await this.#transaction(group.map((g) => g.write));
      this.stats.shared++;
      for (const g of group) g.resolve();
    } catch {
      // Each request again on its own: the ones that are fine are stored, the others get their own error.
      this.stats.retried += group.length;
      await Promise.all(group.map((g) => this.#alone(g.write).then(g.resolve, g.reject)));
    }
  }

  #alone(write: StatementWrite) {
    return this.#transaction([write]);
  }

  async #transaction(writes: StatementWrite[]) {
    const known = this.#known;
    const written = await this.db.transaction().execute((trx) => writeStatements(trx, writes, known, this.engine));
    this.stats.transactions++;
    known.add(written);
  }
}

const alone = (w: StatementWrite) => Boolean(w.after || w.files.length);

/**
 * Stores the writes' statements in the given transaction: new ones are inserted, a repeated id
 * must repeat the same statement (else 409), voiding marks its target, then each write's own
 * code runs and its attachments and activity definitions are kept. Returns the definition keys
 * written, for `KnownDefinitions.add` once the transaction commits.
 */
async function writeStatements(trx: Kysely<Database>, writes: StatementWrite[], known: KnownDefinitions, engine: Engine): Promise<string[]> {
  // One JSON parameter for all the statements: the statement text does not grow with their
  // number, and each statement was serialized once, when it was prepared. PostgreSQL takes the
  // bytes as they are, in jsonb's binary format (a version byte, then the text). A row whose id
  // is taken is skipped by the table's trigger (ids are unique across its partitions through
  // statement_ids), so only the fresh ones come back.
  const rows = writes.flatMap((w) => w.statements.map((p) => p.json));
  const bytes = Buffer.concat([engine === 'postgres' ? JSONB_BINARY_OPEN : OPEN, ...rows.flatMap((row, i) => (i ? [COMMA, row] : [row])), CLOSE]);
  const batchJson = engine === 'postgres' ? bytes : bytes.toString('utf8');
  const inserted = await sql<{ tenant_id: string; id: string }>`
    insert into statements (tenant_id, id, stored, verb_id, actor_key, activity_id, registration, launch_registration, client_key, statement, object_agent_key, object_statement_id, related_agents, related_activities)
    select r.tenant_id, r.id, r.stored, r.verb_id, r.actor_key, r.activity_id, r.registration, r.launch_registration, r.client_key, r.statement, r.object_agent_key, r.object_statement_id, r.related_agents, r.related_activities
    from jsonb_to_recordset(${batchJson}::jsonb) as r(tenant_id text, id uuid, stored timestamptz, verb_id text, actor_key text, activity_id text, registration uuid, launch_registration uuid, client_key text, statement jsonb, object_agent_key text, object_statement_id uuid, related_agents text[], related_activities text[])
    returning tenant_id, id`.execute(trx);
  const fresh = new Set(inserted.rows.map((r) => `${r.tenant_id}\u0000${r.id}`));
  const isFresh = (w: StatementWrite, p: PreparedStatement) => fresh.has(`${w.tenantId}\u0000${p.id}`);

  for (const w of writes) {
    const repeats = w.statements.filter((p) => !isFresh(w, p));
    if (repeats.length) await checkRepeats(trx, w.tenantId, repeats);
    const voidedIds = w.statements.filter((p) => p.voids && isFresh(w, p)).map((p) => p.voids!);
    if (voidedIds.length) {
      await trx.updateTable('statements').set({ voided: true }).where('tenant_id', '=', w.tenantId).where('id', 'in', voidedIds).where('verb_id', '!=', Verbs.voided).execute();
    }
    const freshVerbs = w.statements.filter((p) => isFresh(w, p)).map((p) => p.verbId);
    if (w.after && freshVerbs.length) await w.after(trx, freshVerbs);
    const files = [...w.files].sort(([a], [b]) => (a < b ? -1 : 1));
    if (files.length) {
      await trx
        .insertInto('xapi_attachments')
        .values(files.map(([sha2, f]) => ({ tenant_id: w.tenantId, sha2, content_type: f.contentType, content: f.content })))
        .onConflict((oc) => oc.columns(['tenant_id', 'sha2']).doNothing())
        .execute();
    }
  }

  const byTenant = new Map<string, Definition[]>();
  for (const w of writes) byTenant.set(w.tenantId, [...(byTenant.get(w.tenantId) ?? []), ...w.definitions]);
  const written: string[] = [];
  for (const [tenantId, definitions] of byTenant) written.push(...(await rememberDefinitions(trx, tenantId, definitions, known)));
  return written;
}

const JSONB_BINARY_OPEN = Buffer.from([1, 0x5b]); // jsonb binary format version 1, then "["
const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** Statements are immutable: an id stored before must come with the same statement. */
async function checkRepeats(trx: Kysely<Database>, tenantId: string, repeats: PreparedStatement[]) {
  const existing = await trx
    .selectFrom('statements')
    .select(['id', 'statement'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', repeats.map((p) => p.id))
    .execute();
  const byId = new Map(existing.map((r) => [r.id, r.statement]));
  const missing = repeats.filter((p) => !byId.has(p.id)).map((p) => p.id);
  if (missing.length) {
    // Taken by a statement in a month since archived: it can be neither compared nor stored again.
    const archived = await trx.selectFrom('statement_ids').select(['id', 'stored']).where('tenant_id', '=', tenantId).where('id', 'in', missing).executeTakeFirst();
    if (archived) {
      throw new HttpError(409, 'conflict', `statement ${archived.id} was stored on ${new Date(archived.stored).toISOString()} and has since been archived; its id cannot be used again`);
    }
  }
  for (const p of repeats) {
    const old = byId.get(p.id);
    const full = (JSON.parse(p.json.toString('utf8')) as StatementRow).statement;
    // A timestamp the LRS filled in (from `stored`) is not part of what the client said.
    const said = p.timestampGiven || !old ? full : { ...full, timestamp: old.timestamp };
    if (!old || !sameStatement(old, said)) {
      throw new HttpError(409, 'conflict', `statement ${p.id} already exists with different content; statements are immutable`);
    }
  }
}
