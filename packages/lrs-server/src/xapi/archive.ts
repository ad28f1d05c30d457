import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { currentPeriod, parsePeriod, periodAt } from '../period.js';
import { ensureMonth, monthName, monthPartitions, monthStart, partitionName } from './partitions.js';

/**
 * Retention for statements: whole months before a date are written to archive files (gzipped
 * JSON lines, one row of `statements` each, exactly as stored), checked, and dropped; an archive
 * file can be loaded back. Ids stay taken in `statement_ids`, so an archived id is never reused.
 * Credits do not change: the ledger keeps them, and nothing recomputes a period that has
 * archived months (`evidenceArchived`).
 */

/** A request the archive cannot carry out as asked; the message says why. */
export class ArchiveError extends Error {}

const PAGE = 2000;

export interface ArchivedMonth {
  month: string;
  rows: number;
  file: string;
  sha256: string;
}

/**
 * The first instant of a month: `2025-01` or `2025-01-01` (UTC); an ArchiveError for anything
 * else, including a day that is not the first.
 */
export function parseMonth(text: string, option = '--before'): Date {
  const m = /^(\d{4})-(\d{2})(?:-01(?:T00:00(?::00(?:\.000)?)?Z?)?)?$/.exec(text);
  const month = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) : undefined;
  if (!m || !month || month.getUTCMonth() !== Number(m[2]) - 1) {
    throw new ArchiveError(`${option} "${text}" must be the first day of a month, e.g. 2025-01 or 2025-01-01 (archives hold whole months)`);
  }
  return month;
}

/**
 * Archives every month before `before` into `dir` (`statements-2024-01.jsonl.gz`), oldest first.
 * For each month: its partition is detached (queries no longer see it), its rows are written and
 * read back (count and SHA-256 checked), recorded in `statement_archives`, and the partition is
 * dropped. A run cut short leaves a detached partition, which the next run archives first.
 * `before` must not be past the start of the current period: its statements still make credits.
 */
export async function archiveStatements(
  db: Kysely<Database>,
  options: { before: Date; dir: string; now: Date; print?: (line: string) => void },
): Promise<ArchivedMonth[]> {
  const { before, dir, now } = options;
  const print = options.print ?? (() => {});
  const open = currentPeriod(() => now);
  if (before.getTime() !== monthStart(before).getTime()) throw new ArchiveError(`--before ${before.toISOString()} must be the first instant of a month`);
  if (before > open.from) {
    throw new ArchiveError(`--before ${monthName(before)} is past the start of the current period ${open.name} (${monthName(open.from)}): its statements still make credits`);
  }
  await mkdir(dir, { recursive: true });
  // Rows of those months that sit in the default partition move to a partition of their own first.
  const strays = await sql<{ month: Date }>`select distinct date_trunc('month', stored, 'UTC') as month from statements_default where stored < ${before}`.execute(db);
  for (const { month } of strays.rows) await ensureMonth(db, new Date(month));

  const done: ArchivedMonth[] = [];
  for (const partition of await monthPartitions(db)) {
    if (partition.month >= before) continue;
    if (partition.attached) await detach(db, partition.name);
    const archived = await exportPartition(db, partition.name, partition.month, dir);
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('statement_archives')
        .values({ month: partition.month, rows: String(archived.rows), file: archived.file, sha256: archived.sha256 })
        .onConflict((oc) => oc.column('month').doUpdateSet({ rows: String(archived.rows), file: archived.file, sha256: archived.sha256, archived_at: new Date(), restored_at: null }))
        .execute();
      await sql`drop table ${sql.id(partition.name)}`.execute(trx);
    });
    print(`${archived.month}: ${archived.rows} statements → ${archived.file} (sha256 ${archived.sha256.slice(0, 16)}…)`);
    done.push(archived);
  }
  if (!done.length) print(`nothing to archive before ${monthName(before)}`);
  return done;
}

/** Takes a partition out of `statements`, waiting at most a few seconds at a time for queries under way. */
async function detach(db: Kysely<Database>, name: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.transaction().execute(async (trx) => {
        await sql`set local lock_timeout = '5s'`.execute(trx);
        await sql`alter table statements detach partition ${sql.id(name)}`.execute(trx);
      });
      return;
    } catch (err) {
      if (attempt >= 5 || (err as { code?: string }).code !== '55P03') throw err;
    }
  }
}

/** Writes a detached partition's rows to `dir`, reads the file back and checks it. */
async function exportPartition(db: Kysely<Database>, name: string, month: Date, dir: string): Promise<ArchivedMonth> {
  const expected = Number((await sql<{ n: string }>`select count(*) as n from ${sql.id(name)}`.execute(db)).rows[0]!.n);
  const file = join(dir, `statements-${monthName(month)}.jsonl.gz`);
  const partial = `${file}.partial`;
  async function* lines() {
    let after: { tenant_id: string; id: string } | undefined;
    for (;;) {
      // Each row as PostgreSQL renders it (row_to_json): timestamps to the microsecond, nothing reinterpreted.
      const page = await sql<{ tenant_id: string; id: string; line: string }>`
        select tenant_id, id::text, row_to_json(s)::text as line from ${sql.id(name)} s
        ${after ? sql`where (tenant_id, id) > (${after.tenant_id}, ${after.id}::uuid)` : sql``}
        order by tenant_id, id limit ${PAGE}`.execute(db);
      for (const row of page.rows) yield `${row.line}\n`;
      if (page.rows.length < PAGE) return;
      after = page.rows[page.rows.length - 1]!;
    }
  }
  await pipeline(lines, createGzip(), createWriteStream(partial));
  const handle = await open(partial, 'r');
  await handle.sync();
  await handle.close();
  const check = await readArchive(partial);
  if (check.rows !== expected) {
    await rm(partial, { force: true });
    throw new Error(`archive of ${monthName(month)} holds ${check.rows} rows where ${name} has ${expected}; nothing was dropped`);
  }
  await rename(partial, file);
  return { month: monthName(month), rows: expected, file, sha256: check.sha256 };
}

/** Counts an archive file's rows and hashes the file. */
async function readArchive(file: string): Promise<{ rows: number; sha256: string }> {
  const hash = createHash('sha256');
  const raw = createReadStream(file);
  raw.on('data', (chunk) => hash.update(chunk));
  let rows = 0;
  for await (const line of createInterface({ input: raw.pipe(createGunzip()), crlfDelay: Infinity })) if (line) rows++;
  return { rows, sha256: hash.digest('hex') };
}

/**
 * Loads an archive file back as its month's partition, in one transaction: the month must have
 * no partition now, and the file must be the one archived (same SHA-256) when the database
 * recorded it. Returns the month and its row count.
 */
export async function restoreStatements(db: Kysely<Database>, file: string): Promise<{ month: string; rows: number }> {
  const name = /^statements-(\d{4}-\d{2})\.jsonl\.gz$/.exec(basename(file));
  if (!name) throw new ArchiveError(`--from ${file}: an archive file is named statements-YYYY-MM.jsonl.gz`);
  try {
    await stat(file);
  } catch {
    throw new ArchiveError(`--from ${file}: no such file`);
  }
  const month = parseMonth(name[1]!, '--from');
  const table = partitionName(month);
  const { sha256 } = await readArchive(file);
  const recorded = await db.selectFrom('statement_archives').select('sha256').where('month', '=', month).executeTakeFirst();
  if (recorded && recorded.sha256 !== sha256) throw new ArchiveError(`--from ${file} is not the archive of ${name[1]} this database made (its SHA-256 differs)`);
  if ((await monthPartitions(db)).some((p) => p.month.getTime() === month.getTime())) {
    throw new ArchiveError(`${name[1]} has a partition in the database already (${table}); archive it before loading its file again`);
  }
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended('xcredit:statement-partitions', 0))`.execute(trx);
    await sql`create table ${sql.id(table)} (like statements including defaults including constraints)`.execute(trx);
    let rows = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (!batch.length) return;
      await sql`insert into ${sql.id(table)} select * from json_populate_recordset(null::statements, ${`[${batch.join(',')}]`}::json)`.execute(trx);
      rows += batch.length;
      batch = [];
    };
    for await (const line of createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity })) {
      if (!line) continue;
      batch.push(line);
      if (batch.length >= PAGE) await flush();
    }
    await flush();
    const outside = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(table)} where stored < ${month} or stored >= ${monthStart(month, 1)}`.execute(trx);
    if (outside.rows[0]!.n) throw new ArchiveError(`--from ${file}: ${outside.rows[0]!.n} rows were stored outside ${name[1]}`);
    // Ids stay taken while archived; a file from elsewhere brings its own.
    await sql`insert into statement_ids (tenant_id, id, stored) select tenant_id, id, stored from ${sql.id(table)} on conflict do nothing`.execute(trx);
    await ensureDefaultHasNone(trx, month);
    await sql`alter table statements attach partition ${sql.id(table)} for values from (${sql.lit(month.toISOString())}) to (${sql.lit(monthStart(month, 1).toISOString())})`.execute(trx);
    await trx.updateTable('statement_archives').set({ restored_at: new Date() }).where('month', '=', month).execute();
    return { month: name[1]!, rows };
  });
}

async function ensureDefaultHasNone(trx: Kysely<Database>, month: Date) {
  const n = await sql<{ n: number }>`select count(*)::int as n from statements_default where stored >= ${month} and stored < ${monthStart(month, 1)}`.execute(trx);
  if (n.rows[0]!.n) throw new ArchiveError(`${monthName(month)} has ${n.rows[0]!.n} newer statements in the default partition; they would clash with the archive`);
}

/**
 * Whether some of a period's statements are archived: what its videos earned then stays as it
 * is (the ledger and the engagement rows), since the evidence left would say less.
 */
export function evidenceArchived(period: string) {
  const { from, to } = parsePeriod(period);
  return sql<boolean>`exists (select 1 from statement_archives where restored_at is null and month >= ${from} and month < ${to})`;
}

/** The periods with archived statements (see `evidenceArchived`). */
export async function archivedPeriods(db: Kysely<Database>): Promise<Set<string>> {
  const rows = await db.selectFrom('statement_archives').select('month').where('restored_at', 'is', null).execute();
  return new Set(rows.map((r) => periodAt(new Date(r.month)).name));
}
