import { sql, type ColumnType, type Generated, type Kysely, type Transaction } from 'kysely';
import type { Db } from '../db/index.js';

type Moment = ColumnType<Date, Date | string | undefined, Date | string>;
type MaybeMoment = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** The `outbox` table (migration 0020): one row per outbound call still owed, or done. */
export interface OutboxTable {
  id: Generated<string>;
  tenant_id: string;
  kind: string;
  dedupe_key: string | null;
  payload: ColumnType<Record<string, unknown>, string, string>;
  attempts: Generated<number>;
  next_attempt_at: Moment;
  locked_until: MaybeMoment;
  enqueued_at: Moment;
  last_error: string | null;
  done_at: MaybeMoment;
  created_at: Moment;
}

type OutboxDb = Kysely<{ outbox: OutboxTable }>;
const outboxDb = (db: Db | Transaction<any>): OutboxDb => (db as Kysely<any>).withTables<{ outbox: OutboxTable }>() as unknown as OutboxDb;

export interface OutboxJob {
  id: string;
  tenantId: string;
  kind: string;
  payload: Record<string, unknown>;
  /** 1 on the first try. */
  attempt: number;
}

/** Thrown by a handler for a job that can never succeed: it is closed with the error, not retried. */
export class PermanentJobError extends Error {}

export interface EnqueueInput {
  tenantId: string;
  kind: string;
  payload: Record<string, unknown>;
  /**
   * Jobs with the same key coalesce while pending: the newest payload wins and, unless the job is
   * already backing off after a failure, its start moves to `delayMs` from now (a debounce).
   */
  dedupeKey?: string;
  delayMs?: number;
}

/**
 * Records an outbound call to make, inside the caller's transaction when given one, so the call
 * is owed exactly when the change that needs it commits.
 *
 * @example
 * await enqueue(trx, { tenantId, kind: 'lti.score', payload: { learnerId, courseId }, dedupeKey: `${learnerId}|${courseId}`, delayMs: 2000 });
 */
export async function enqueue(db: Db | Transaction<any>, input: EnqueueInput): Promise<void> {
  const at = new Date(Date.now() + (input.delayMs ?? 0));
  const payload = JSON.stringify(input.payload);
  if (input.dedupeKey === undefined) {
    await outboxDb(db).insertInto('outbox').values({ tenant_id: input.tenantId, kind: input.kind, payload, next_attempt_at: at, enqueued_at: new Date() }).execute();
    return;
  }
  await sql`insert into outbox (tenant_id, kind, dedupe_key, payload, next_attempt_at, enqueued_at)
    values (${input.tenantId}, ${input.kind}, ${input.dedupeKey}, ${payload}::jsonb, ${at}, now())
    on conflict (tenant_id, kind, dedupe_key) where done_at is null and dedupe_key is not null
    do update set payload = excluded.payload, enqueued_at = now(),
      next_attempt_at = case when outbox.attempts = 0 then excluded.next_attempt_at else outbox.next_attempt_at end`.execute(db);
}

export type JobHandler = (job: OutboxJob) => Promise<void>;

export interface WorkerOptions {
  /** How often due jobs are looked for (default 1 s). */
  pollMs?: number;
  /** First retry delay; each failure doubles it, up to `maxBackoffMs` (defaults 1 s and 5 min). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** After this many failed attempts a job is closed with its last error (default 25). */
  maxAttempts?: number;
  /** Called each round before jobs run, e.g. to find work that arrived without an enqueue. */
  beforeRound?: () => Promise<void>;
  onError?: (err: unknown) => void;
}

export interface OutboxWorker {
  /** Looks for due jobs now instead of at the next poll. */
  kick(): void;
  /** Runs one round and waits for it; for tests and shutdown. */
  drain(): Promise<void>;
  /** Finishes the job running, gives back the others it claimed, and runs no more. */
  stop(): Promise<void>;
}

const LEASE_MS = 60_000;

/**
 * Runs due outbox jobs with their kind's handler. A job is leased before it runs, so two workers
 * (or two server processes) never run it at once; it is closed only when its handler succeeds and
 * nothing re-enqueued it meanwhile, so a change that lands during a call is never lost.
 */
export function startOutboxWorker(db: Db, handlers: Record<string, JobHandler>, options: WorkerOptions = {}): OutboxWorker {
  const o = outboxDb(db);
  const pollMs = options.pollMs ?? 1000;
  const backoffMs = options.backoffMs ?? 1000;
  const maxBackoffMs = options.maxBackoffMs ?? 5 * 60_000;
  const maxAttempts = options.maxAttempts ?? 25;
  const kinds = Object.keys(handlers);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  async function round() {
    if (options.beforeRound) await options.beforeRound();
    for (;;) {
      if (stopped) return;
      const claimed = await sql<{ id: string; tenant_id: string; kind: string; payload: Record<string, unknown>; attempts: number; enqueued: string }>`
        update outbox set locked_until = ${new Date(Date.now() + LEASE_MS)}, attempts = attempts + 1
        where id in (select id from outbox where done_at is null and next_attempt_at <= now() and (locked_until is null or locked_until < now())
                     and kind in (${sql.join(kinds)}) order by next_attempt_at limit 10 for update skip locked)
        returning id, tenant_id, kind, payload, attempts, enqueued_at::text as enqueued`.execute(db);
      if (claimed.rows.length === 0) return;
      for (const [i, row] of claimed.rows.entries()) {
        if (stopped) {
          // Shutting down: the jobs claimed but not started go back, for another worker to run now rather than when the lease ends.
          const ids = claimed.rows.slice(i).map((r) => String(r.id));
          await sql`update outbox set locked_until = null, attempts = attempts - 1 where id in (${sql.join(ids)})`.execute(db);
          return;
        }
        const job: OutboxJob = { id: String(row.id), tenantId: row.tenant_id, kind: row.kind, payload: row.payload, attempt: row.attempts };
        try {
          await handlers[row.kind]!(job);
          // Closed only if no newer enqueue arrived while the call ran; otherwise it runs again.
          // Compared as text: PostgreSQL keeps microseconds, which a JavaScript Date would drop.
          const closed = await o.updateTable('outbox').set({ done_at: new Date(), locked_until: null, last_error: null }).where('id', '=', job.id).where(sql<boolean>`enqueued_at::text = ${row.enqueued}`).executeTakeFirst();
          if (Number(closed.numUpdatedRows) === 0) await o.updateTable('outbox').set({ locked_until: null, attempts: 0, next_attempt_at: new Date() }).where('id', '=', job.id).execute();
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          const giveUp = err instanceof PermanentJobError || row.attempts >= maxAttempts;
          const delay = Math.min(maxBackoffMs, backoffMs * 2 ** (row.attempts - 1));
          await o
            .updateTable('outbox')
            .set({ locked_until: null, last_error: message.slice(0, 2000), next_attempt_at: new Date(Date.now() + delay), ...(giveUp ? { done_at: new Date() } : {}) })
            .where('id', '=', job.id)
            .execute();
        }
      }
    }
  }

  function schedule(ms: number) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, ms);
    timer.unref?.();
  }

  function tick() {
    running = running
      .then(round)
      .catch((err) => (options.onError ?? ((e) => console.error('outbox worker:', e)))(err))
      .finally(() => schedule(pollMs));
  }

  schedule(0);
  return {
    kick: () => schedule(0),
    drain: () => {
      tick();
      return running;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** A job's state, for tests and operators. */
export async function outboxJobs(db: Db, tenantId: string, kind: string) {
  return outboxDb(db).selectFrom('outbox').selectAll().where('tenant_id', '=', tenantId).where('kind', '=', kind).orderBy('id').execute();
}
