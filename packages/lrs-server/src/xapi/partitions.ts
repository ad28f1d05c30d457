import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * `statements` is partitioned by `stored`, one partition per calendar month in UTC
 * (`statements_2026_12`), with `statements_default` for any month that has none yet. Ids stay
 * unique across partitions through `statement_ids`, which a trigger on `statements` fills: a row
 * whose id is taken is skipped, so `insert … returning` returns only the fresh ones.
 *
 * Months are made ahead of time (this month and the next, at start and every few hours), so
 * the default partition normally stays empty; rows that land there anyway (a server that was
 * down past its months, a clock set ahead) move to their month when it is made.
 */

/** How many months past the current one have a partition made ahead. */
export const MONTHS_AHEAD = 1;

/** The first instant (UTC) of the month `instant` is in, `shift` months later. */
export function monthStart(instant: Date, shift = 0): Date {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth() + shift, 1));
}

/** `2026-12` for December 2026. */
export function monthName(month: Date): string {
  return `${month.getUTCFullYear()}-${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The partition holding a month: `statements_2026_12`. */
export function partitionName(month: Date): string {
  return `statements_${monthName(month).replace('-', '_')}`;
}

const PARTITION = /^statements_(\d{4})_(\d{2})$/;

/** The month a partition's name stands for, or undefined for another table. */
function monthOfPartition(name: string): Date | undefined {
  const m = PARTITION.exec(name);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) : undefined;
}

const literal = (d: Date) => sql.lit(d.toISOString());

export interface MonthPartition {
  name: string;
  month: Date;
  /** Part of `statements` (false: detached by an archive run that did not finish). */
  attached: boolean;
}

/** The month partitions there are, attached or left detached, oldest first. */
export async function monthPartitions(db: Kysely<Database>): Promise<MonthPartition[]> {
  const rows = await sql<{ name: string; attached: boolean }>`
    select c.relname as name, exists (select 1 from pg_inherits i where i.inhrelid = c.oid and i.inhparent = 'statements'::regclass) as attached
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind = 'r' and c.relname ~ '^statements_[0-9]{4}_[0-9]{2}$'`.execute(db);
  return rows.rows.map((r) => ({ name: r.name, month: monthOfPartition(r.name)!, attached: r.attached })).sort((a, b) => a.month.getTime() - b.month.getTime());
}

/**
 * Makes the month's partition if it has none, moving into it any rows the default partition
 * holds for that month. Safe to call from several processes at once: they take turns, and the
 * later ones find it made. Returns whether it made one.
 */
export async function ensureMonth(db: Kysely<Database>, month: Date): Promise<boolean> {
  const name = partitionName(month);
  const from = month;
  const to = monthStart(month, 1);
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended('xcredit:statement-partitions', 0))`.execute(trx);
    const exists = await sql<{ r: string | null }>`select to_regclass(${name})::text as r`.execute(trx);
    if (exists.rows[0]?.r) return false;
    // Writers of this month wait while its rows (usually none) move: a row they put in the
    // default partition between the move and the attach would make the attach fail.
    await sql`lock table statements_default in exclusive mode`.execute(trx);
    await sql`create table ${sql.id(name)} (like statements including defaults including constraints)`.execute(trx);
    await sql`insert into ${sql.id(name)} select * from statements_default where stored >= ${from} and stored < ${to}`.execute(trx);
    await sql`delete from statements_default where stored >= ${from} and stored < ${to}`.execute(trx);
    await sql`alter table statements attach partition ${sql.id(name)} for values from (${literal(from)}) to (${literal(to)})`.execute(trx);
    return true;
  });
}

/**
 * This month's partition and the next `ahead` months', made where missing. Run at start and by
 * the periodic job; returns the names of the ones it made.
 */
export async function ensureStatementPartitions(db: Kysely<Database>, now: Date, ahead = MONTHS_AHEAD): Promise<string[]> {
  const made: string[] = [];
  for (let i = 0; i <= ahead; i++) {
    const month = monthStart(now, i);
    if (await ensureMonth(db, month)) made.push(partitionName(month));
  }
  return made;
}
