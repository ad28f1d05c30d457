import { createHash } from 'node:crypto';
import { Router, type Request } from 'express';
import { actor as actorSchema, agent as agentSchema } from '@xcredit/sdk/xapi';
import type { Principal, Tenant } from '../auth/principal.js';
import type { Db } from '../db/index.js';
import { rejectBadText, storableDate } from '../edge.js';
import { HttpError } from '../http-error.js';
import { actorKey } from './actors.js';
import { isMediaType, mediaType, sendStored } from './body.js';
import { launchDocumentTenant } from './launch-scope.js';
import { readScope, writeScope } from './scope.js';

type Kind = 'state' | 'activity_profile' | 'agent_profile';

interface Resource {
  kind: Kind;
  path: string;
  /** Name of the document id parameter. */
  idParam: 'stateId' | 'profileId';
  scope: 'state' | 'profile';
  params: { activityId: boolean; agent: boolean; registration: boolean };
}

const RESOURCES: Resource[] = [
  { kind: 'state', path: '/activities/state', idParam: 'stateId', scope: 'state', params: { activityId: true, agent: true, registration: true } },
  { kind: 'activity_profile', path: '/activities/profile', idParam: 'profileId', scope: 'profile', params: { activityId: true, agent: false, registration: false } },
  { kind: 'agent_profile', path: '/agents/profile', idParam: 'profileId', scope: 'profile', params: { activityId: false, agent: true, registration: false } },
];

/** Where a request points: the document set, and the one document when its id is given. */
interface Target {
  tenantId: string;
  kind: Kind;
  activityId: string;
  agentKey: string;
  registration: string;
  documentId: string | undefined;
  since: Date | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/;

/**
 * State, Activity Profile and Agent Profile documents: GET (one, or the ids since a time), PUT
 * (replace), POST (create, or merge JSON objects), DELETE (one, or every state of an activity
 * and agent). Writes honour If-Match / If-None-Match (412) and refuse a blind overwrite (409).
 */
export function documentsRouter(db: Db): Router {
  const router = Router();
  for (const r of RESOURCES) {
    router.get(r.path, async (req, res) => {
      const t = target(req, r, 'read');
      if (t.documentId === undefined) {
        let q = db.selectFrom('xapi_documents').select('document_id').where('tenant_id', '=', t.tenantId).where('kind', '=', t.kind).where('activity_id', '=', t.activityId).where('agent_key', '=', t.agentKey);
        if (r.kind === 'state' && req.query.registration !== undefined) q = q.where('registration', '=', t.registration);
        if (t.since) q = q.where('updated', '>', t.since);
        const rows = await q.orderBy('document_id').execute();
        res.json([...new Set(rows.map((row) => row.document_id))]);
        return;
      }
      const doc = await find(db, t);
      if (!doc) throw new HttpError(404, 'not_found', `no ${r.idParam} "${t.documentId}" here`);
      res.set('ETag', doc.etag).set('Last-Modified', new Date(doc.updated).toUTCString());
      sendStored(res, doc.content_type, Buffer.from(doc.content));
    });

    router.put(r.path, async (req, res) => {
      const t = target(req, r, 'write', true);
      const body = req.rawBody ?? Buffer.alloc(0);
      const contentType = documentType(req);
      if (mediaType(contentType) === 'application/json') parseDocument(body);
      // A blind overwrite is refused: in 1.0.3 for profiles (which must also be created
      // conditionally), in 2.0.0 for every document resource.
      const blindOverwrite = req.xapiVersion === '2.0.0' ? 'refuse' : r.kind === 'state' ? 'allow' : 'refuse-unconditional';
      await write(db, t, req, blindOverwrite, () => ({ content: body, contentType }));
      res.status(204).end();
    });

    router.post(r.path, async (req, res) => {
      const t = target(req, r, 'write', true);
      const body = req.rawBody ?? Buffer.alloc(0);
      const contentType = documentType(req);
      const isJson = mediaType(contentType) === 'application/json';
      const incoming = isJson ? parseDocument(body) : undefined;
      await write(db, t, req, 'allow', (existing) => {
        if (!existing) return { content: body, contentType };
        if (!isJson || !isObject(incoming)) throw new HttpError(400, 'invalid_input', `POST merges JSON objects only: send Content-Type application/json and an object, or PUT to replace the document`);
        if (mediaType(existing.content_type) !== 'application/json') throw new HttpError(400, 'invalid_input', `the stored document is ${existing.content_type}, not JSON, so it cannot be merged; PUT to replace it`);
        const old = parseDocument(Buffer.from(existing.content));
        if (!isObject(old)) throw new HttpError(400, 'invalid_input', 'the stored document is not a JSON object, so it cannot be merged; PUT to replace it');
        return { content: Buffer.from(JSON.stringify({ ...old, ...incoming })), contentType: 'application/json' };
      });
      res.status(204).end();
    });

    router.delete(r.path, async (req, res) => {
      const t = target(req, r, 'write');
      if (t.documentId === undefined) {
        if (r.kind !== 'state') throw new HttpError(400, 'invalid_input', `${r.idParam} is required to DELETE a profile`);
        if (req.principal?.kind === 'launch') throw new HttpError(403, 'forbidden', 'a launch token deletes one state document at a time; give stateId');
        let q = db.deleteFrom('xapi_documents').where('tenant_id', '=', t.tenantId).where('kind', '=', t.kind).where('activity_id', '=', t.activityId).where('agent_key', '=', t.agentKey);
        if (req.query.registration !== undefined) q = q.where('registration', '=', t.registration);
        await q.execute();
        res.status(204).end();
        return;
      }
      await db.transaction().execute(async (trx) => {
        const doc = await find(trx, t, true);
        checkPreconditions(req, doc);
        if (doc) await key(trx.deleteFrom('xapi_documents'), t).execute();
      });
      res.status(204).end();
    });
  }
  return router;
}

/** The document's Content-Type, stored as given; one that is not a media type is refused. */
function documentType(req: Request): string {
  const type = req.get('content-type') ?? 'application/octet-stream';
  if (!isMediaType(type)) throw new HttpError(400, 'invalid_input', `Content-Type ${JSON.stringify(type)} is not a media type (type/subtype, e.g. application/json)`);
  return type;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function parseDocument(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, 'malformed_json', `the document is sent as application/json but is not valid JSON: ${(err as Error).message}`);
  }
}

function key<Q extends { where: (...args: any[]) => any }>(q: Q, t: Target): Q {
  return q
    .where('tenant_id', '=', t.tenantId)
    .where('kind', '=', t.kind)
    .where('activity_id', '=', t.activityId)
    .where('agent_key', '=', t.agentKey)
    .where('registration', '=', t.registration)
    .where('document_id', '=', t.documentId!);
}

type DocRow = { content: Buffer; content_type: string; etag: string; updated: Date };

async function find(db: Db, t: Target, lock = false): Promise<DocRow | undefined> {
  let q = key(db.selectFrom('xapi_documents').select(['content', 'content_type', 'etag', 'updated']), t);
  if (lock) q = q.forUpdate();
  return (await q.executeTakeFirst()) as DocRow | undefined;
}

/**
 * Writes one document under a row lock, so concurrent writers see each other's ETags: the
 * check, the merge and the write happen against the version being replaced. A document created
 * by someone else between our look and our insert makes the transaction start over.
 */
async function write(db: Db, t: Target, req: Request, blind: 'allow' | 'refuse' | 'refuse-unconditional', next: (existing: DocRow | undefined) => { content: Buffer; contentType: string }) {
  for (let attempt = 0; ; attempt++) {
    const done = await db.transaction().execute(async (trx) => {
      const existing = await find(trx, t, true);
      checkPreconditions(req, existing);
      if (blind !== 'allow' && req.get('if-match') === undefined && req.get('if-none-match') === undefined) {
        if (existing) throw new HttpError(409, 'conflict', 'this document exists: send If-Match with its ETag to replace it (or If-None-Match: * to create only)');
        if (blind === 'refuse-unconditional') throw new HttpError(400, 'invalid_input', 'a PUT of a profile needs If-Match (its ETag) or If-None-Match: * (create only)');
      }
      const { content, contentType } = next(existing);
      const values = { content, content_type: contentType, etag: etagOf(content), updated: new Date() };
      if (existing) {
        await key(trx.updateTable('xapi_documents').set(values), t).execute();
        return true;
      }
      const inserted = await trx
        .insertInto('xapi_documents')
        .values({ tenant_id: t.tenantId, kind: t.kind, activity_id: t.activityId, agent_key: t.agentKey, registration: t.registration, document_id: t.documentId!, ...values })
        .onConflict((oc) => oc.columns(['tenant_id', 'kind', 'activity_id', 'agent_key', 'registration', 'document_id']).doNothing())
        .returning('document_id')
        .executeTakeFirst();
      return inserted !== undefined;
    });
    if (done) return;
    if (attempt > 5) throw new HttpError(409, 'conflict', 'the document kept changing while it was written; retry');
  }
}

function etagOf(content: Buffer): string {
  return `"${createHash('sha1').update(content).digest('hex')}"`;
}

function tags(header: string): string[] {
  return header.split(',').map((t) => t.trim().replace(/^W\//, '')).filter(Boolean);
}

/** If-Match / If-None-Match as RFC 7232 describes them; a failed precondition is 412. */
function checkPreconditions(req: Request, existing: DocRow | undefined) {
  const ifMatch = req.get('if-match');
  const ifNoneMatch = req.get('if-none-match');
  if (ifMatch !== undefined) {
    const list = tags(ifMatch);
    const ok = existing !== undefined && (list.includes('*') || list.includes(existing.etag));
    if (!ok) throw new HttpError(412, 'precondition_failed', existing ? `If-Match ${ifMatch} does not match the document's ETag ${existing.etag}` : `If-Match ${ifMatch} given but there is no such document`);
  }
  if (ifNoneMatch !== undefined && existing) {
    const list = tags(ifNoneMatch);
    if (list.includes('*') || list.includes(existing.etag)) throw new HttpError(412, 'precondition_failed', `If-None-Match ${ifNoneMatch}: the document exists (ETag ${existing.etag})`);
  }
}

/** Validates the request's parameters and decides who may touch which documents. */
function target(req: Request, r: Resource, access: 'read' | 'write', needsId = false): Target {
  const q = req.query as Record<string, unknown>;
  const allowed = new Set<string>([r.idParam, ...(r.params.activityId ? ['activityId'] : []), ...(r.params.agent ? ['agent'] : []), ...(r.params.registration ? ['registration'] : [])]);
  if (req.method === 'GET') allowed.add('since');
  const extra = Object.keys(q).filter((k) => !allowed.has(k));
  if (extra.length) throw new HttpError(400, 'invalid_input', `unknown query parameter${extra.length > 1 ? 's' : ''} for ${r.path}: ${extra.join(', ')}`);
  for (const [k, v] of Object.entries(q)) if (typeof v !== 'string') throw new HttpError(400, 'invalid_input', `query parameter ${k} is given more than once or malformed`);
  const str = (k: string) => q[k] as string | undefined;

  let activityId = '';
  if (r.params.activityId) {
    activityId = str('activityId') ?? '';
    if (!activityId) throw new HttpError(400, 'invalid_input', 'activityId query parameter is required');
    if (!/^[a-z][a-z0-9+.-]*:\S*$/i.test(activityId)) throw new HttpError(400, 'invalid_input', `activityId "${activityId}" must be an IRI`);
  }
  let agentKey = '';
  let agent: Record<string, unknown> | undefined;
  if (r.params.agent) {
    const text = str('agent');
    if (!text) throw new HttpError(400, 'invalid_input', 'agent query parameter is required (a JSON Agent)');
    try {
      agent = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'invalid_input', 'agent must be a JSON Agent object');
    }
    rejectBadText(agent, 'agent');
    const parsed = (r.kind === 'state' ? agentSchema : actorSchema).safeParse(agent);
    if (!parsed.success) throw new HttpError(400, 'invalid_input', 'agent must be an Agent with exactly one of mbox, mbox_sha1sum, openid, account');
    agentKey = actorKey(parsed.data);
    if (agentKey === 'anonymous') throw new HttpError(400, 'invalid_input', 'agent must be identified');
  }
  let registration = '';
  if (r.params.registration && str('registration') !== undefined) {
    registration = str('registration')!.toLowerCase();
    if (!UUID.test(registration)) throw new HttpError(400, 'invalid_input', 'registration must be a UUID');
  }
  const documentId = str(r.idParam);
  if (documentId === '' || (needsId && documentId === undefined)) throw new HttpError(400, 'invalid_input', `${r.idParam} query parameter is required`);
  let since: Date | undefined;
  if (str('since') !== undefined) {
    if (documentId !== undefined) throw new HttpError(400, 'invalid_input', `since applies only when listing documents, not with ${r.idParam}`);
    const s = str('since')!;
    if (!TIMESTAMP.test(s) || !storableDate(new Date(s))) throw new HttpError(400, 'invalid_input', 'since must be an ISO 8601 timestamp with a time zone, in the years 0001 to 9999');
    since = new Date(s);
  }
  const tenant = authorize(req, r, access, { activityId, agentKey, registration, documentId });
  return { tenantId: tenant.id, kind: r.kind, activityId, agentKey, registration, documentId, since };
}

/** Clients need the resource's scope (`all/read` reads); a launch token, see launch-scope.ts. */
function authorize(req: Request, r: Resource, access: 'read' | 'write', where: { activityId: string; agentKey: string; registration: string; documentId: string | undefined }): Tenant {
  const p = req.principal as Principal | undefined;
  if (p?.kind !== 'launch') return access === 'read' ? readScope(req, r.scope) : writeScope(req, r.scope);
  return launchDocumentTenant(p, r, access, where);
}
