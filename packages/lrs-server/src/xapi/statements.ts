import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { describeIssues, statement as statementSchema, Verbs, type InputIssue, type Statement } from '@xcredit/sdk/xapi';
import { requireScope, type Principal } from '../auth/principal.js';
import { allows } from '../auth/scopes.js';
import type { Db } from '../db/index.js';
import { HttpError, invalidInput } from '../http-error.js';
import { actorKey, learnerActor } from './actors.js';
import { normalizeStatement, sameStatement } from './normalize.js';

/** Largest batch one request may carry. */
export const MAX_BATCH = 1000;
const LIST_LIMIT = 500;

/** Statements resource: POST and PUT store, GET reads one or queries many. */
export function statementsRouter(db: Db): Router {
  const router = Router();

  router.post('/statements', async (req, res) => {
    const ids = await storeStatements(db, req, jsonBody(req));
    res.status(200).json(ids);
  });

  router.put('/statements', async (req, res) => {
    const statementId = String(req.query.statementId ?? '');
    if (!statementId) throw new HttpError(400, 'invalid_input', 'statementId query parameter is required for PUT');
    const body = jsonBody(req);
    if (Array.isArray(body)) throw new HttpError(400, 'invalid_input', 'PUT takes one statement, not an array');
    const given = (body as Record<string, unknown>).id;
    if (given !== undefined && String(given).toLowerCase() !== statementId.toLowerCase()) {
      throw new HttpError(400, 'invalid_input', `statement.id "${String(given)}" differs from statementId "${statementId}"`);
    }
    await storeStatements(db, req, { ...(body as object), id: statementId });
    res.status(204).end();
  });

  router.get('/statements', async (req, res) => {
    const principal = readPrincipal(req);
    res.set('X-Experience-API-Consistent-Through', new Date().toISOString());
    const q = req.query as Record<string, string | undefined>;
    if (q.statementId !== undefined || q.voidedStatementId !== undefined) {
      const extra = Object.keys(q).filter((k) => !['statementId', 'voidedStatementId', 'format', 'attachments'].includes(k));
      if (extra.length || (q.statementId !== undefined && q.voidedStatementId !== undefined)) {
        throw new HttpError(400, 'invalid_input', `statementId/voidedStatementId cannot be combined with ${extra.join(', ') || 'each other'}`);
      }
      const voided = q.voidedStatementId !== undefined;
      const id = (q.statementId ?? q.voidedStatementId ?? '').toLowerCase();
      if (!UUID.test(id)) throw new HttpError(400, 'invalid_input', `${voided ? 'voidedStatementId' : 'statementId'} must be a UUID`);
      let query = db.selectFrom('statements').select(['statement', 'stored']).where('tenant_id', '=', principal.tenant.id).where('id', '=', id).where('voided', '=', voided);
      if (principal.mineOnly) query = query.where('client_key', '=', principal.key);
      const row = await query.executeTakeFirst();
      if (!row) throw new HttpError(404, 'not_found', `no ${voided ? 'voided ' : ''}statement with id ${id}`);
      res.set('Last-Modified', new Date(row.stored).toUTCString());
      res.json(row.statement);
      return;
    }
    res.json(await queryStatements(db, principal, q, req.baseUrl));
  });

  return router;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function jsonBody(req: Request): unknown {
  if (!req.is('application/json')) throw new HttpError(400, 'invalid_input', `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`);
  if (req.body === undefined) throw new HttpError(400, 'invalid_input', 'request body is empty');
  return req.body;
}

interface Prepared {
  row: {
    tenant_id: string;
    id: string;
    stored: string;
    verb_id: string;
    actor_key: string;
    activity_id: string | null;
    registration: string | null;
    launch_registration: string | null;
    client_key: string | null;
    statement: string;
  };
  full: Record<string, unknown>;
}

/**
 * Validates and stores a statement or a batch, all or nothing: every statement is checked
 * before any is written, and the batch commits in one transaction.
 */
export async function storeStatements(db: Db, req: Request, body: unknown): Promise<string[]> {
  const principal = req.principal;
  if (!principal) throw new HttpError(401, 'unauthorized', 'not authenticated');
  if (principal.kind === 'client') requireScope(req, 'statements/write');
  const batch = Array.isArray(body);
  const list = batch ? (body as unknown[]) : [body];
  const where = (i: number) => (batch ? `statements[${i}]` : 'statement');
  if (list.length === 0) throw new HttpError(400, 'invalid_input', 'the batch is empty');
  if (list.length > MAX_BATCH) throw new HttpError(413, 'too_large', `a batch holds at most ${MAX_BATCH} statements (got ${list.length})`);

  const issues: InputIssue[] = [];
  const statements: Statement[] = [];
  list.forEach((item, i) => {
    const parsed = statementSchema.safeParse(item);
    if (parsed.success) statements.push(parsed.data);
    else issues.push(...describeIssues(parsed.error, where(i)));
  });
  if (issues.length) throw invalidInput(issues, batch ? 'invalid statement batch' : 'invalid statement');
  if (principal.kind === 'launch') checkLaunchGrant(statements, principal, where);

  const stored = new Date().toISOString();
  const authority =
    principal.kind === 'client'
      ? { objectType: 'Agent', account: { homePage: principal.tenant.homePage, name: principal.key } }
      : { objectType: 'Agent', account: { homePage: principal.tenant.homePage, name: `launch/${principal.launch.registration}` } };
  const seen = new Map<string, number>();
  const prepared: Prepared[] = statements.map((s, i) => {
    const id = (s.id ?? randomUUID()).toLowerCase();
    const first = seen.get(id);
    if (first !== undefined) throw new HttpError(400, 'invalid_input', `${where(i)}.id: ${id} is also used by ${where(first)}`);
    seen.set(id, i);
    const full = normalizeStatement({ ...s, id, stored, authority, version: s.version ?? (req.xapiVersion === '2.0.0' ? '2.0.0' : '1.0.0') });
    const object = s.object as { objectType?: string; id?: string };
    return {
      full,
      row: {
        tenant_id: principal.tenant.id,
        id,
        stored,
        verb_id: s.verb.id,
        actor_key: actorKey(s.actor),
        activity_id: (object.objectType ?? 'Activity') === 'Activity' ? (object.id ?? null) : null,
        registration: s.context?.registration?.toLowerCase() ?? null,
        launch_registration: principal.kind === 'launch' ? principal.launch.registration : null,
        client_key: principal.kind === 'client' ? principal.key : null,
        statement: JSON.stringify(full),
      },
    };
  });

  await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('statements')
      .values(prepared.map((p) => p.row))
      .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
      .returning('id')
      .execute();
    const fresh = new Set(inserted.map((r) => r.id));
    const repeats = prepared.filter((p) => !fresh.has(p.row.id));
    if (repeats.length) {
      const existing = await trx
        .selectFrom('statements')
        .select(['id', 'statement'])
        .where('tenant_id', '=', principal.tenant.id)
        .where('id', 'in', repeats.map((p) => p.row.id))
        .execute();
      const byId = new Map(existing.map((r) => [r.id, r.statement]));
      for (const p of repeats) {
        const old = byId.get(p.row.id);
        if (!old || !sameStatement(old, p.full)) {
          throw new HttpError(409, 'conflict', `statement ${p.row.id} already exists with different content; statements are immutable`);
        }
      }
    }
    const voidedIds = prepared
      .filter((p) => fresh.has(p.row.id) && p.row.verb_id === Verbs.voided)
      .map((p) => String((p.full.object as { id: string }).id).toLowerCase());
    if (voidedIds.length) {
      await trx
        .updateTable('statements')
        .set({ voided: true })
        .where('tenant_id', '=', principal.tenant.id)
        .where('id', 'in', voidedIds)
        .where('verb_id', '!=', Verbs.voided)
        .execute();
    }
  });
  return prepared.map((p) => p.row.id);
}

/** A launch token writes only for its learner, its registration and its course's activities. */
function checkLaunchGrant(statements: Statement[], principal: Extract<Principal, { kind: 'launch' }>, where: (i: number) => string) {
  const { launch, tenant } = principal;
  const learnerKey = actorKey(learnerActor(tenant.homePage, launch.learnerId));
  statements.forEach((s, i) => {
    if (actorKey(s.actor) !== learnerKey) {
      throw new HttpError(403, 'forbidden', `${where(i)}.actor: this launch token writes only for learner "${launch.learnerId}" (account ${tenant.homePage})`);
    }
    if (s.context?.registration?.toLowerCase() !== launch.registration) {
      throw new HttpError(403, 'forbidden', `${where(i)}.context.registration must be this launch's registration ${launch.registration}`);
    }
    if (s.verb.id === Verbs.voided) throw new HttpError(403, 'forbidden', `${where(i)}.verb: a launch token cannot void statements`);
    const object = s.object as { objectType?: string; id?: string };
    const id = object.id ?? '';
    const ours = (object.objectType ?? 'Activity') === 'Activity' && (id === launch.activityId || id.startsWith(`${launch.activityId}/`));
    if (!ours) throw new HttpError(403, 'forbidden', `${where(i)}.object.id: this launch token writes only about ${launch.activityId} and its sub-activities`);
  });
}

interface Reader {
  tenant: { id: string };
  key: string;
  mineOnly: boolean;
}

function readPrincipal(req: Request): Reader {
  const p = req.principal;
  if (p?.kind !== 'client') throw new HttpError(403, 'forbidden', 'reading statements needs a client with the "statements/read" scope');
  if (allows(p.scopes, 'statements/read')) return { tenant: p.tenant, key: p.key, mineOnly: false };
  if (allows(p.scopes, 'statements/read/mine')) return { tenant: p.tenant, key: p.key, mineOnly: true };
  throw new HttpError(403, 'forbidden', 'this client lacks the "statements/read" scope');
}

const QUERY_PARAMS = new Set(['agent', 'verb', 'activity', 'registration', 'since', 'until', 'limit', 'ascending', 'format', 'attachments', 'related_activities', 'related_agents', 'cursor']);

async function queryStatements(db: Db, reader: Reader, q: Record<string, string | undefined>, base: string) {
  const unknown = Object.keys(q).filter((k) => !QUERY_PARAMS.has(k));
  if (unknown.length) throw new HttpError(400, 'invalid_input', `unknown query parameter${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  let query = db.selectFrom('statements').select(['seq', 'statement']).where('tenant_id', '=', reader.tenant.id).where('voided', '=', false);
  if (reader.mineOnly) query = query.where('client_key', '=', reader.key);
  if (q.agent !== undefined) {
    let agent: unknown;
    try {
      agent = JSON.parse(q.agent);
    } catch {
      throw new HttpError(400, 'invalid_input', 'agent must be a JSON Agent object');
    }
    if (!agent || typeof agent !== 'object') throw new HttpError(400, 'invalid_input', 'agent must be a JSON Agent object');
    query = query.where('actor_key', '=', actorKey(agent as Parameters<typeof actorKey>[0]));
  }
  if (q.verb !== undefined) query = query.where('verb_id', '=', q.verb);
  if (q.activity !== undefined) query = query.where('activity_id', '=', q.activity);
  if (q.registration !== undefined) {
    if (!UUID.test(q.registration.toLowerCase())) throw new HttpError(400, 'invalid_input', 'registration must be a UUID');
    query = query.where('registration', '=', q.registration.toLowerCase());
  }
  for (const [param, op] of [['since', '>'], ['until', '<=']] as const) {
    const v = q[param];
    if (v === undefined) continue;
    if (Number.isNaN(Date.parse(v))) throw new HttpError(400, 'invalid_input', `${param} must be an ISO 8601 timestamp`);
    query = query.where('stored', op, new Date(v));
  }
  const limitText = q.limit ?? '0';
  if (!/^\d+$/.test(limitText)) throw new HttpError(400, 'invalid_input', 'limit must be a non-negative integer');
  const limit = Math.min(Number(limitText) || LIST_LIMIT, LIST_LIMIT);
  const ascending = q.ascending === 'true';
  if (q.cursor !== undefined) {
    if (!/^\d+$/.test(q.cursor)) throw new HttpError(400, 'invalid_input', 'cursor is malformed; use the "more" URL as given');
    query = query.where('seq', ascending ? '>' : '<', q.cursor);
  }
  const rows = await query.orderBy('seq', ascending ? 'asc' : 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  let more = '';
  if (rows.length > limit) {
    const params = new URLSearchParams(Object.entries(q).filter(([k, v]) => k !== 'cursor' && v !== undefined) as [string, string][]);
    params.set('cursor', String(page[page.length - 1]!.seq));
    more = `${base}/statements?${params}`;
  }
  return { statements: page.map((r) => r.statement), more };
}
