import type { StatementStore } from './statement-writer.js';
import type { Request } from 'express';
import { sql, type RawBuilder } from 'kysely';
import { actor as actorSchema } from '@xcredit/sdk/xapi';
import { allows } from '../auth/scopes.js';
import type { Db } from '../db/index.js';
import { rejectBadText, storableDate } from '../edge.js';
import { HttpError } from '../http-error.js';
import { actorKey } from './actors.js';
import { buildMultipart, type Part } from './body.js';
import { acceptLanguages, FORMATS, formatStatement, type Format } from './format.js';

/** Most statements one page holds; `limit=0` or a larger limit means this many. */
export const LIST_LIMIT = 500;

interface Reader {
  tenantId: string;
  key: string;
  mineOnly: boolean;
}

function reader(req: Request): Reader {
  const p = req.principal;
  if (p?.kind !== 'client') throw new HttpError(403, 'forbidden', 'reading statements needs a client with the "statements/read" scope; a launch token cannot read them');
  if (allows(p.scopes, 'statements/read')) return { tenantId: p.tenant.id, key: p.key, mineOnly: false };
  if (allows(p.scopes, 'statements/read/mine')) return { tenantId: p.tenant.id, key: p.key, mineOnly: true };
  throw new HttpError(403, 'forbidden', 'this client lacks the "statements/read" scope');
}

const SINGLE_PARAMS = new Set(['statementId', 'voidedStatementId', 'format', 'attachments']);
const QUERY_PARAMS = new Set(['agent', 'verb', 'activity', 'registration', 'since', 'until', 'limit', 'ascending', 'format', 'attachments', 'related_activities', 'related_agents', 'cursor']);
/** The largest statement sequence number (a bigint); a cursor past it is malformed. */
const MAX_SEQ = 9223372036854775807n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/;

export interface StatementsOut {
  json?: unknown;
  /** The answer as JSON text, when it is spliced from stored statements. */
  raw?: string;
  multipart?: { body: Buffer; contentType: string };
  consistentThrough: string;
  lastModified?: Date;
}

function flag(q: Record<string, unknown>, name: string): boolean {
  const v = q[name];
  if (v === undefined) return false;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new HttpError(400, 'invalid_input', `${name} must be true or false (got ${JSON.stringify(v)})`);
}

/**
 * GET /statements: one statement by id, or a filtered page of them. Read on the replica when it
 * has every statement committed before Consistent-Through was fixed (the `Reads` rule), else on
 * the primary.
 */
export async function getStatements({ reads, clock, statements: writer }: StatementStore, req: Request): Promise<StatementsOut> {
  const who = reader(req);
  // Statements received before now, by this process or another, may still be on their way to the
  // database: the answer is complete only up to just before the oldest of them. Fixed before the
  // database is chosen, so the one chosen has every statement stored up to it.
  const consistentThrough = (await writer.consistentThroughAll(clock())).toISOString();
  return reads.read((db) => query(db, req, who, consistentThrough));
}

async function query(db: Db, req: Request, who: Reader, consistentThrough: string): Promise<StatementsOut> {
  const q = req.query as Record<string, unknown>;
  for (const [k, v] of Object.entries(q)) if (typeof v !== 'string') throw new HttpError(400, 'invalid_input', `query parameter ${k} is given more than once or malformed`);
  const format = (q.format ?? 'exact') as Format;
  if (!FORMATS.includes(format)) throw new HttpError(400, 'invalid_input', `format must be exact, ids or canonical (got "${String(q.format)}")`);
  const withAttachments = flag(q, 'attachments');
  const languages = acceptLanguages(req.get('accept-language'));
  const shape = (s: Record<string, unknown>) => formatStatement(s, format, languages);

  if (q.statementId !== undefined || q.voidedStatementId !== undefined) {
    const extra = Object.keys(q).filter((k) => !SINGLE_PARAMS.has(k));
    if (extra.length || (q.statementId !== undefined && q.voidedStatementId !== undefined)) {
      throw new HttpError(400, 'invalid_input', `statementId/voidedStatementId cannot be combined with ${extra.join(', ') || 'each other'}`);
    }
    const voided = q.voidedStatementId !== undefined;
    const id = String(q.statementId ?? q.voidedStatementId).toLowerCase();
    if (!UUID.test(id)) throw new HttpError(400, 'invalid_input', `${voided ? 'voidedStatementId' : 'statementId'} must be a UUID`);
    let query = db.selectFrom('statements').select(['statement', 'stored']).where('tenant_id', '=', who.tenantId).where('id', '=', id).where('voided', '=', voided);
    if (who.mineOnly) query = query.where('client_key', '=', who.key);
    const row = await query.executeTakeFirst();
    if (!row) throw new HttpError(404, 'not_found', `no ${voided ? 'voided ' : ''}statement with id ${id}`);
    const statement = shape(row.statement);
    const out: StatementsOut = { consistentThrough, lastModified: new Date(row.stored), json: statement };
    if (withAttachments) out.multipart = await withParts(db, who.tenantId, statement, [statement]);
    return out;
  }

  const unknown = Object.keys(q).filter((k) => !QUERY_PARAMS.has(k));
  if (unknown.length) throw new HttpError(400, 'invalid_input', `unknown query parameter${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  // Filters say which statements match; a statement whose StatementRef targets a match matches too.
  const filters: ((t: string) => RawBuilder<unknown>)[] = [];
  const col = (t: string, c: string) => sql.ref(`${t}.${c}`);
  const relatedAgents = flag(q, 'related_agents');
  const relatedActivities = flag(q, 'related_activities');
  if (q.agent !== undefined) {
    const key = agentParam(String(q.agent));
    filters.push(relatedAgents ? (t) => sql`${col(t, 'related_agents')} @> array[${key}]::text[]` : (t) => sql`(${col(t, 'actor_key')} = ${key} or ${col(t, 'object_agent_key')} = ${key})`);
  }
  if (q.verb !== undefined) {
    const verb = String(q.verb);
    filters.push((t) => sql`${col(t, 'verb_id')} = ${verb}`);
  }
  if (q.activity !== undefined) {
    const activity = String(q.activity);
    filters.push(relatedActivities ? (t) => sql`${col(t, 'related_activities')} @> array[${activity}]::text[]` : (t) => sql`${col(t, 'activity_id')} = ${activity}`);
  }
  if (q.registration !== undefined) {
    const registration = String(q.registration).toLowerCase();
    if (!UUID.test(registration)) throw new HttpError(400, 'invalid_input', 'registration must be a UUID');
    filters.push((t) => sql`${col(t, 'registration')} = ${registration}`);
  }
  // Conditions on the returned statements themselves.
  const own: RawBuilder<unknown>[] = [sql`s.tenant_id = ${who.tenantId}`, sql`s.voided = false`];
  if (who.mineOnly) own.push(sql`s.client_key = ${who.key}`);
  for (const [param, op] of [['since', '>'], ['until', '<=']] as const) {
    const v = q[param];
    if (v === undefined) continue;
    if (!TIMESTAMP.test(String(v)) || !storableDate(new Date(String(v)))) throw new HttpError(400, 'invalid_input', `${param} must be an ISO 8601 timestamp with a time zone, in the years 0001 to 9999`);
    own.push(sql`s.stored ${sql.raw(op)} ${new Date(String(v))}`);
  }
  const limitText = String(q.limit ?? '0');
  if (!/^\d+$/.test(limitText)) throw new HttpError(400, 'invalid_input', 'limit must be a non-negative integer');
  const limit = Math.min(Number(limitText) || LIST_LIMIT, LIST_LIMIT);
  const ascending = flag(q, 'ascending');
  if (q.cursor !== undefined) {
    if (!/^\d{1,19}$/.test(String(q.cursor)) || BigInt(String(q.cursor)) > MAX_SEQ) throw new HttpError(400, 'invalid_input', 'cursor is malformed; use the "more" URL as given');
    own.push(sql`s.seq ${sql.raw(ascending ? '>' : '<')} ${String(q.cursor)}`);
  }
  const order = sql.raw(ascending ? 'asc' : 'desc');
  const and = (parts: RawBuilder<unknown>[]) => sql.join(parts, sql` and `);
  // Statements come back as JSON text: an exact page is spliced into the answer without parsing.
  type Row = { seq: string; statement: string; stored: Date };
  const direct = await sql<Row>`select s.seq, s.statement::text as statement, s.stored from statements s where ${and([...own, ...filters.map((f) => f('s'))])} order by s.seq ${order} limit ${limit + 1}`.execute(db);
  let rows = direct.rows;
  if (filters.length) {
    // Statements that point (through StatementRefs, however deep) at a matching statement. Few
    // statements are StatementRefs, so their ids are found first and fetched only when there are any.
    const refs = await sql<{ ref_id: string }>`
      with recursive refs(ref_id, target) as (
        select r.id, r.object_statement_id from statements r where r.tenant_id = ${who.tenantId} and r.object_statement_id is not null
        union
        select refs.ref_id, t.object_statement_id from refs join statements t on t.tenant_id = ${who.tenantId} and t.id = refs.target where t.object_statement_id is not null
      )
      select distinct refs.ref_id from refs join statements t on t.tenant_id = ${who.tenantId} and t.id = refs.target where ${and(filters.map((f) => f('t')))}`.execute(db);
    if (refs.rows.length) {
      const refIds = refs.rows.map((r) => r.ref_id);
      const referring = await sql<Row>`select s.seq, s.statement::text as statement, s.stored from statements s where ${and(own)} and s.id = any(${refIds}::uuid[]) order by s.seq ${order} limit ${limit + 1}`.execute(db);
      const bySeq = new Map([...rows, ...referring.rows].map((r) => [String(r.seq), r]));
      rows = [...bySeq.values()].sort((x, y) => (BigInt(x.seq) < BigInt(y.seq) ? -1 : 1) * (ascending ? 1 : -1)).slice(0, limit + 1);
    }
  }
  const page = rows.slice(0, limit);
  let more = '';
  if (rows.length > limit) {
    const params = new URLSearchParams(Object.entries(q).filter(([k]) => k !== 'cursor') as [string, string][]);
    params.set('cursor', String(page[page.length - 1]!.seq));
    more = `${req.baseUrl}/statements?${params}`;
  }
  const newest = page.reduce<Date | undefined>((m, r) => (!m || new Date(r.stored) > m ? new Date(r.stored) : m), undefined);
  if (format === 'exact' && !withAttachments) {
    const raw = `{"statements":[${page.map((r) => r.statement).join(',')}],"more":${JSON.stringify(more)}}`;
    return { consistentThrough, raw, lastModified: newest ?? new Date(consistentThrough) };
  }
  const statements = page.map((r) => shape(JSON.parse(r.statement) as Record<string, unknown>));
  const result = { statements, more };
  const out: StatementsOut = { consistentThrough, json: result, lastModified: newest ?? new Date(consistentThrough) };
  if (withAttachments) out.multipart = await withParts(db, who.tenantId, result, statements);
  return out;
}

function agentParam(text: string): string {
  let agent: unknown;
  try {
    agent = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_input', 'agent must be a JSON Agent or Group object');
  }
  rejectBadText(agent, 'agent');
  const parsed = actorSchema.safeParse(agent);
  if (!parsed.success) throw new HttpError(400, 'invalid_input', 'agent must be an Agent or identified Group with exactly one of mbox, mbox_sha1sum, openid, account');
  const key = actorKey(parsed.data);
  if (key === 'anonymous') throw new HttpError(400, 'invalid_input', 'agent must be identified (an anonymous Group cannot be queried)');
  return key;
}

/** The response as multipart/mixed: the JSON first, then every attachment of the statements whose content is stored. */
async function withParts(db: Db, tenantId: string, json: unknown, statements: Record<string, unknown>[]) {
  const hashes = [...new Set(statements.flatMap((s) => ((s.attachments as { sha2: string }[] | undefined) ?? []).map((a) => a.sha2.toLowerCase())))];
  const files = hashes.length
    ? await db.selectFrom('xapi_attachments').select(['sha2', 'content_type', 'content']).where('tenant_id', '=', tenantId).where('sha2', 'in', hashes).execute()
    : [];
  const parts: Part[] = [{ headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(json)) }];
  for (const f of files) {
    parts.push({ headers: { 'Content-Type': f.content_type, 'Content-Transfer-Encoding': 'binary', 'X-Experience-API-Hash': f.sha2 }, body: Buffer.from(f.content) });
  }
  return buildMultipart(parts);
}
