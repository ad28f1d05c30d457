import { CsvError, parse } from 'csv-parse/sync';
import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import type { LearnersTable } from '../db/schema.js';
import { HttpError } from '../http-error.js';
import { learnerFields, learnerRow } from '@xcredit/sdk/contracts';

export type LearnerRow = z.infer<typeof learnerRow>;

const COLUMNS = ['learnerId', 'displayName', 'department', 'role', 'managerId', 'email', 'language', 'managerEmail', 'remindersOptOut'] as const;
const YES = /^(true|yes|1|y)$/i;
const NO = /^(false|no|0|n)$/i;
const MAX_ROWS = 50_000;

/** One problem in an import, by line (1 = the header line of a CSV) and field. */
export interface ImportIssue {
  line: number;
  field: string;
  message: string;
}

/**
 * Reads RFC 4180 CSV with csv-parse: quoted fields may hold commas, quotes ("") and line breaks;
 * lines may end in CRLF, LF or CR; blank lines are skipped. Returns rows with the line each
 * starts on. A malformed file is a 400 `invalid_csv` naming the line.
 */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  let records: { record: string[]; raw: string }[];
  try {
    records = parse(text, { bom: true, raw: true, relax_quotes: true, relax_column_count: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n', '\r'] }) as unknown as typeof records;
  } catch (err) {
    if (err instanceof CsvError) throw new HttpError(400, 'invalid_csv', `line ${(err as CsvError & { lines?: number }).lines ?? '?'}: ${err.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted field is not closed' : err.message}`);
    throw err;
  }
  // Each record's raw text runs from the end of the one before (blank lines skipped included), so
  // counting its line breaks gives the line it starts on.
  const rows: { line: number; cells: string[] }[] = [];
  let line = 1;
  for (const { record, raw } of records) {
    const start = line + (/^[\r\n]*/.exec(raw)![0].match(BREAK)?.length ?? 0);
    line += raw.match(BREAK)?.length ?? 0;
    if (record.some((cell) => cell !== '')) rows.push({ line: start, cells: record });
  }
  return rows;
}

const BREAK = /\r\n|\r|\n/g;

/** Turns CSV text into learner rows, or every problem found with its line and field. */
export function csvToLearners(text: string): { rows: LearnerRow[]; issues: ImportIssue[] } {
  const table = parseCsv(text);
  const header = table.shift();
  if (!header) return { rows: [], issues: [{ line: 1, field: '(header)', message: 'the file is empty' }] };
  const names = header.cells.map((c) => c.trim());
  const issues: ImportIssue[] = [];
  for (const n of names) if (!COLUMNS.includes(n as (typeof COLUMNS)[number])) issues.push({ line: header.line, field: n || '(empty)', message: `unknown column; expected ${COLUMNS.join(', ')}` });
  if (!names.includes('learnerId')) issues.push({ line: header.line, field: 'learnerId', message: 'the header needs a learnerId column' });
  if (issues.length) return { rows: [], issues };
  return validate(
    table.map(({ line, cells }) => {
      if (cells.length !== names.length) issues.push({ line, field: '(row)', message: `has ${cells.length} fields; the header has ${names.length}` });
      const value: Record<string, unknown> = Object.fromEntries(names.map((n, i) => [n, cells[i]?.trim() || undefined]));
      // A CSV cell is text: the opt-out column reads yes/no, true/false or 1/0; anything else is reported as it is.
      const optOut = value.remindersOptOut;
      if (typeof optOut === 'string' && (YES.test(optOut) || NO.test(optOut))) value.remindersOptOut = YES.test(optOut);
      return { line, value };
    }),
    issues,
  );
}

/** Validates rows (from CSV or JSON); duplicate learner ids are errors too. */
export function validate(input: { line: number; value: unknown }[], issues: ImportIssue[] = []): { rows: LearnerRow[]; issues: ImportIssue[] } {
  if (input.length > MAX_ROWS) return { rows: [], issues: [{ line: 0, field: '(file)', message: `at most ${MAX_ROWS} learners per import (got ${input.length})` }] };
  const rows: LearnerRow[] = [];
  const seen = new Map<string, number>();
  for (const { line, value } of input) {
    const parsed = learnerRow.safeParse(value);
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        const field = String(i.path[0] ?? '(row)');
        issues.push({ line, field, message: i.code === 'invalid_type' && /undefined/.test(i.message) ? 'is required' : i.code === 'unrecognized_keys' ? `unknown field ${i.keys.join(', ')}` : i.message });
      }
      continue;
    }
    const first = seen.get(parsed.data.learnerId);
    if (first !== undefined) issues.push({ line, field: 'learnerId', message: `"${parsed.data.learnerId}" is also on line ${first}` });
    seen.set(parsed.data.learnerId, line);
    rows.push(parsed.data);
  }
  return { rows, issues };
}

/** Creates or updates learners, all or nothing. */
export async function importLearners(db: Db, tenantId: string, rows: LearnerRow[]): Promise<{ created: number; updated: number }> {
  return db.transaction().execute(async (trx) => {
    const existing = new Set<string>();
    for (let i = 0; i < rows.length; i += 1000) {
      const ids = rows.slice(i, i + 1000).map((r) => r.learnerId);
      for (const r of await trx.selectFrom('learners').select('id').where('tenant_id', '=', tenantId).where('id', 'in', ids).execute()) existing.add(r.id);
    }
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500).map((r) => ({
        tenant_id: tenantId,
        id: r.learnerId,
        display_name: r.displayName ?? null,
        department: r.department ?? null,
        role: r.role ?? null,
        manager_id: r.managerId ?? null,
        email: r.email ?? null,
        language: r.language ?? null,
        manager_email: r.managerEmail ?? null,
        reminders_opt_out: r.remindersOptOut ?? false,
      }));
      await trx
        .insertInto('learners')
        .values(chunk)
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'id']).doUpdateSet((eb) => ({
            display_name: eb.ref('excluded.display_name'),
            department: eb.ref('excluded.department'),
            role: eb.ref('excluded.role'),
            manager_id: eb.ref('excluded.manager_id'),
            email: eb.ref('excluded.email'),
            language: eb.ref('excluded.language'),
            manager_email: eb.ref('excluded.manager_email'),
            reminders_opt_out: eb.ref('excluded.reminders_opt_out'),
          })),
        )
        .execute();
    }
    return { created: rows.length - existing.size, updated: existing.size };
  });
}

/** A learner as the API shows it. */
export interface Learner {
  learnerId: string;
  displayName: string | null;
  department: string | null;
  role: string | null;
  managerId: string | null;
  email: string | null;
  language: 'en' | 'zh' | null;
  managerEmail: string | null;
  remindersOptOut: boolean;
}

const LEARNER_COLUMNS = ['id', 'display_name', 'department', 'role', 'manager_id', 'email', 'language', 'manager_email', 'reminders_opt_out'] as const;

function toLearner(r: Pick<Selectable<LearnersTable>, (typeof LEARNER_COLUMNS)[number]>): Learner {
  return { learnerId: r.id, displayName: r.display_name, department: r.department, role: r.role, managerId: r.manager_id, email: r.email, language: r.language, managerEmail: r.manager_email, remindersOptOut: r.reminders_opt_out };
}

/** One learner; 404 if the tenant has none by that id. */
export async function getLearner(db: Db, tenantId: string, learnerId: string): Promise<Learner> {
  const row = await db.selectFrom('learners').select(LEARNER_COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', learnerId).executeTakeFirst();
  if (!row) throw new HttpError(404, 'learner_not_found', `no learner "${learnerId}" in this tenant`);
  return toLearner(row);
}

/** Learners by id, `limit` at a time after `after`; `next` is the `after` of the following page, if any. */
export async function listLearners(db: Db, tenantId: string, page: { limit: number; after?: string | undefined; department?: string | undefined }): Promise<{ learners: Learner[]; next: string | null }> {
  let query = db.selectFrom('learners').select(LEARNER_COLUMNS).where('tenant_id', '=', tenantId);
  if (page.after) query = query.where('id', '>', page.after);
  if (page.department) query = query.where('department', '=', page.department);
  const rows = await query.orderBy('id').limit(page.limit + 1).execute();
  const shown = rows.slice(0, page.limit);
  return { learners: shown.map(toLearner), next: rows.length > page.limit ? shown[shown.length - 1]!.id : null };
}

/** Up to 20 learners whose id or name contains `text` (case-insensitive), by id. */
export async function searchLearners(db: Db, tenantId: string, text: string): Promise<Learner[]> {
  const like = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db
    .selectFrom('learners')
    .select(LEARNER_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('id', 'ilike', like), eb('display_name', 'ilike', like)]))
    .orderBy('id')
    .limit(20)
    .execute();
  return rows.map(toLearner);
}

/** Creates or updates one learner; fields left out are cleared. */
export async function putLearner(db: Db, tenantId: string, learnerId: string, input: z.infer<typeof learnerFields>): Promise<{ created: boolean }> {
  const values = {
    display_name: input.displayName ?? null,
    department: input.department ?? null,
    role: input.role ?? null,
    manager_id: input.managerId ?? null,
    email: input.email ?? null,
    language: input.language ?? null,
    manager_email: input.managerEmail ?? null,
    reminders_opt_out: input.remindersOptOut ?? false,
  };
  const existed = await db.selectFrom('learners').select('id').where('tenant_id', '=', tenantId).where('id', '=', learnerId).executeTakeFirst();
  await db
    .insertInto('learners')
    .values({ tenant_id: tenantId, id: learnerId, ...values })
    .onConflict((oc) => oc.columns(['tenant_id', 'id']).doUpdateSet(values))
    .execute();
  return { created: !existed };
}
