import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { appendEntry, isClosed, lockLearner, type CreditEvents } from '../credits/ledger.js';
import { idText } from '@xcredit/sdk/contracts';
import { periodAt } from '../period.js';

/**
 * Credits and completions from the system a tenant used before: a CSV or XLSX file, checked line
 * by line (a dry run shows the report), then written all or nothing as `import` ledger entries
 * with their original dates. Each line has an external id; importing it again changes nothing.
 */

export const MAX_HISTORY_ROWS = 50_000;

/** The columns, as the header line names them (case and spaces do not matter). */
export const HISTORY_COLUMNS = ['external_id', 'learner_id', 'date', 'credits', 'kind', 'title', 'category'] as const;
const REQUIRED_COLUMNS = ['external_id', 'learner_id', 'date', 'credits', 'title'] as const;

const historyRow = z.strictObject({
  external_id: z.string().trim().min(1, 'is empty').max(200, 'must be at most 200 characters'),
  learner_id: idText,
  date: z.iso.date('must be a date as YYYY-MM-DD'),
  credits: z
    .string()
    .trim()
    .regex(/^\d{1,4}(\.\d)?$/, 'must be a number of credits with at most one decimal, such as 2 or 1.5')
    .transform((v) => Math.round(Number(v) * 10))
    .refine((tenths) => tenths > 0, 'must be more than 0'),
  kind: z.enum(['required', 'elective'], { error: 'must be required or elective' }).default('elective'),
  title: z.string().trim().min(1, 'is empty').max(300, 'must be at most 300 characters'),
  category: z.string().trim().max(100, 'must be at most 100 characters').optional(),
});

export type HistoryFormat = 'csv' | 'xlsx';

export interface HistoryLine {
  /** The line in the file: 1 is the header line, so the first record is 2. */
  line: number;
  externalId: string | null;
  learnerId: string | null;
  date: string | null;
  period: string | null;
  credits: number | null;
  /** `new`: written by this import; `already_imported`: the same line came before; `invalid`: see problems. */
  status: 'new' | 'already_imported' | 'invalid';
  problems: { field: string; message: string }[];
}

export interface HistoryReport {
  file: string;
  dryRun: boolean;
  /** Whether the import was (or, in a dry run, would be) written: false when any line is invalid. */
  ok: boolean;
  counts: { lines: number; new: number; alreadyImported: number; invalid: number };
  lines: HistoryLine[];
}

export class HistoryFileError extends Error {}

/** Reads the file into header-keyed records with their line numbers. */
export async function readHistoryFile(format: HistoryFormat, body: Buffer): Promise<{ line: number; values: Record<string, string> }[]> {
  let table: string[][];
  if (format === 'csv') {
    try {
      table = parseCsv(body, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: false }) as string[][];
    } catch (err) {
      throw new HistoryFileError(`the CSV cannot be read: ${(err as Error).message}`);
    }
  } else {
    table = await readXlsx(body);
  }
  const [header, ...records] = table;
  if (!header) throw new HistoryFileError('the file is empty: it needs a header line naming the columns');
  const columns = header.map((h) => String(h).trim().toLowerCase().replace(/[\s-]+/g, '_'));
  const unknown = columns.filter((c) => c && !(HISTORY_COLUMNS as readonly string[]).includes(c));
  if (unknown.length) throw new HistoryFileError(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')}; the columns are ${HISTORY_COLUMNS.join(', ')}`);
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length) throw new HistoryFileError(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the columns are ${HISTORY_COLUMNS.join(', ')}`);
  if (!records.some((cells) => cells.some((c) => String(c).trim() !== ''))) throw new HistoryFileError('the file has no lines under its header line: nothing to import');
  if (records.length > MAX_HISTORY_ROWS) throw new HistoryFileError(`at most ${MAX_HISTORY_ROWS} lines per import (got ${records.length})`);
  return records.map((cells, i) => ({
    line: i + 2,
    values: Object.fromEntries(columns.flatMap((c, j) => (c && cells[j] !== undefined && String(cells[j]).trim() !== '' ? [[c, String(cells[j])]] : []))),
  }));
}

/** The first worksheet as text cells; dates become YYYY-MM-DD and numbers their plain spelling. */
async function readXlsx(body: Buffer): Promise<string[][]> {
  const book = new ExcelJS.Workbook();
  try {
    await book.xlsx.load(body as unknown as ArrayBuffer);
  } catch (err) {
    throw new HistoryFileError(`the XLSX file cannot be read: ${(err as Error).message}`);
  }
  const sheet = book.worksheets[0];
  if (!sheet) throw new HistoryFileError('the XLSX file has no worksheet');
  const rows: string[][] = [];
  sheet.eachRow({ includeEmpty: false }, (row) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cellText(cell.value);
    });
    rows.push(Array.from(cells, (c) => c ?? ''));
  });
  return rows;
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    if ('result' in value) return cellText(value.result as ExcelJS.CellValue);
    if ('richText' in value) return value.richText.map((r) => r.text).join('');
    if ('text' in value) return String(value.text);
    return '';
  }
  return String(value);
}

/**
 * Checks every line against the file itself and what the tenant already has; with `dryRun`
 * false and no invalid line, writes the new lines in one transaction.
 */
export async function importHistory(
  db: Db,
  input: { events: CreditEvents; tenantId: string; file: string; records: { line: number; values: Record<string, string> }[]; dryRun: boolean; actor: string; now: Date },
): Promise<HistoryReport> {
  const lines: HistoryLine[] = [];
  const valid: { line: HistoryLine; row: z.output<typeof historyRow> }[] = [];
  const seen = new Map<string, number>();
  for (const { line, values } of input.records) {
    const parsed = historyRow.safeParse(values);
    const entry: HistoryLine = { line, externalId: values.external_id?.trim() ?? null, learnerId: values.learner_id ?? null, date: values.date ?? null, period: null, credits: null, status: 'invalid', problems: [] };
    lines.push(entry);
    if (!parsed.success) {
      entry.problems = parsed.error.issues.map((i) => ({ field: String(i.path[0] ?? '(line)'), message: i.path.length && values[String(i.path[0])] === undefined ? 'is missing' : i.message }));
      continue;
    }
    const row = parsed.data;
    entry.period = periodAt(new Date(row.date)).name;
    entry.credits = row.credits / 10;
    if (Date.parse(row.date) > input.now.getTime()) entry.problems.push({ field: 'date', message: `${row.date} is in the future` });
    const twin = seen.get(row.external_id);
    if (twin !== undefined) entry.problems.push({ field: 'external_id', message: `"${row.external_id}" is also on line ${twin}` });
    else seen.set(row.external_id, line);
    if (entry.problems.length === 0) valid.push({ line: entry, row });
  }

  const run = async (trx: Db) => {
    await checkAgainstTenant(trx, input.tenantId, valid);
    const ok = lines.every((l) => l.problems.length === 0);
    for (const l of lines) l.status = l.problems.length ? 'invalid' : l.status === 'already_imported' ? 'already_imported' : 'new';
    if (!ok || input.dryRun) return ok;
    for (const { line, row } of valid) {
      if (line.status !== 'new') continue;
      await lockLearner(trx, input.tenantId, row.learner_id);
      await appendEntry(trx, input.events, {
        tenantId: input.tenantId,
        learnerId: row.learner_id,
        period: periodAt(new Date(row.date)).name,
        source: 'import',
        amountTenths: row.credits,
        category: row.category ?? null,
        kind: row.kind,
        reason: `imported: ${row.title}`,
        evidence: { file: input.file, line: line.line, externalId: row.external_id, title: row.title, date: row.date, importedAt: input.now.toISOString() },
        externalId: row.external_id,
        occurredAt: new Date(`${row.date}T00:00:00Z`),
        createdBy: input.actor,
      });
    }
    return true;
  };
  const ok = input.dryRun ? await run(db) : await db.transaction().execute(async (trx) => run(trx));
  const count = (s: HistoryLine['status']) => lines.filter((l) => l.status === s).length;
  return { file: input.file, dryRun: input.dryRun, ok, counts: { lines: lines.length, new: count('new'), alreadyImported: count('already_imported'), invalid: count('invalid') }, lines };
}

/** Unknown learners, closed periods, and external ids imported before (the same: skipped; different: a problem). */
async function checkAgainstTenant(db: Db, tenantId: string, valid: { line: HistoryLine; row: z.output<typeof historyRow> }[]): Promise<void> {
  if (valid.length === 0) return;
  const learnerIds = [...new Set(valid.map((v) => v.row.learner_id))];
  const known = new Set<string>();
  for (let i = 0; i < learnerIds.length; i += 1000) {
    const rows = await db.selectFrom('learners').select('id').where('tenant_id', '=', tenantId).where('id', 'in', learnerIds.slice(i, i + 1000)).execute();
    for (const r of rows) known.add(r.id);
  }
  const before = new Map<string, { learner_id: string; amount_tenths: number; period: string }>();
  const externalIds = valid.map((v) => v.row.external_id);
  for (let i = 0; i < externalIds.length; i += 1000) {
    const rows = await db
      .selectFrom('ledger')
      .select(['external_id', 'learner_id', 'amount_tenths', 'period'])
      .where('tenant_id', '=', tenantId)
      .where('source', '=', 'import')
      .where('external_id', 'in', externalIds.slice(i, i + 1000))
      .execute();
    for (const r of rows) before.set(r.external_id!, r);
  }
  const closed = new Map<string, boolean>();
  for (const { line, row } of valid) {
    if (!known.has(row.learner_id)) line.problems.push({ field: 'learner_id', message: `no learner "${row.learner_id}" in this tenant: import the learners first (POST /api/v1/learners/import)` });
    const period = periodAt(new Date(row.date)).name;
    if (!closed.has(period)) closed.set(period, await isClosed(db, tenantId, period));
    const earlier = before.get(row.external_id);
    if (earlier) {
      if (earlier.learner_id !== row.learner_id || earlier.amount_tenths !== row.credits || earlier.period !== period) {
        line.problems.push({ field: 'external_id', message: `"${row.external_id}" was imported before with other values (${earlier.learner_id}, ${earlier.amount_tenths / 10} credits in ${earlier.period})` });
      } else line.status = 'already_imported';
    } else if (closed.get(period)) {
      line.problems.push({ field: 'date', message: `period ${period} is closed: reopen it to import into it` });
    }
  }
}
