import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { requireScope, type Principal } from '../auth/principal.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { mediaType, parseJson, parseMultipart, sendStored, type Part } from './body.js';
import { prepareWrite, type AttachmentParts } from './prepare.js';
import type { StatementStore, StatementWrite } from './statement-writer.js';
import type { ValidationPool } from './validation-pool.js';
import { getStatements } from './statement-query.js';

/** What writing statements takes: the database and the server's clock (receipt times). */
type Writing = StatementStore;

/**
 * What runs inside the transaction that stores a launch's statements (the credits engine's
 * `StatementHooks` has this shape); a hook that throws rolls the batch back.
 */
export interface StatementHooks {
  run(event: { trx: Kysely<Database>; tenantId: string; learnerId: string; courseId: string; registration: string; verbs: string[]; stored: Date }): Promise<void>;
}

/** Statements resource: POST and PUT store, GET (and HEAD) read one or query many. */
export function statementsRouter(context: Writing, hooks?: StatementHooks, validation?: ValidationPool): Router {
  const router = Router();

  router.post('/statements', async (req, res) => {
    const raw = req.rawBody ?? Buffer.alloc(0);
    // A large JSON batch is checked on a validation thread; the event loop meanwhile serves others.
    if (validation?.available && raw.length >= POOLED_BYTES && mediaType(req.get('content-type')) === 'application/json') {
      const version = req.xapiVersion ?? '2.0.0';
      res.status(200).json(await store(context, req, hooks, (principal, stored) => validation.prepare({ bytes: raw, principal, version, stored })));
      return;
    }
    const { body, attachments } = statementBody(req);
    const ids = await storeStatements(context, req, body, attachments, hooks);
    res.status(200).json(ids);
  });

  router.put('/statements', async (req, res) => {
    const extra = Object.keys(req.query).filter((k) => k !== 'statementId');
    if (extra.length) throw new HttpError(400, 'invalid_input', `PUT /statements takes only statementId (got ${extra.join(', ')})`);
    const statementId = req.query.statementId;
    if (typeof statementId !== 'string' || !statementId) throw new HttpError(400, 'invalid_input', 'statementId query parameter is required for PUT');
    if (!UUID.test(statementId)) throw new HttpError(400, 'invalid_input', `statementId "${statementId}" must be a UUID`);
    const { body, attachments } = statementBody(req);
    if (Array.isArray(body)) throw new HttpError(400, 'invalid_input', 'PUT takes one statement, not an array');
    if (!body || typeof body !== 'object') throw new HttpError(400, 'invalid_input', 'statement must be a JSON object');
    const given = (body as Record<string, unknown>).id;
    if (given !== undefined && String(given).toLowerCase() !== statementId.toLowerCase()) {
      throw new HttpError(400, 'invalid_input', `statement.id "${String(given)}" differs from statementId "${statementId}"`);
    }
    await storeStatements(context, req, { ...(body as object), id: statementId }, attachments, hooks);
    res.status(204).end();
  });

  router.get('/statements', async (req, res) => {
    // Set before anything can fail: clients read it from error responses too.
    res.set('X-Experience-API-Consistent-Through', context.statements.consistentThrough(context.clock()).toISOString());
    sendStatements(res, await getStatements(context, req));
  });
  return router;
}

function sendStatements(res: Response, out: Awaited<ReturnType<typeof getStatements>>) {
  res.set('X-Experience-API-Consistent-Through', out.consistentThrough);
  if (out.lastModified) res.set('Last-Modified', out.lastModified.toUTCString());
  if (out.multipart) {
    res.status(200);
    sendStored(res, out.multipart.contentType, out.multipart.body);
    return;
  }
  if (out.raw !== undefined) {
    res.status(200).type('application/json').send(out.raw);
    return;
  }
  res.status(200).json(out.json);
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The statement(s) of a POST or PUT, from a JSON body or the first part of a multipart/mixed one. */
function statementBody(req: Request): { body: unknown; attachments: AttachmentParts } {
  const type = mediaType(req.get('content-type'));
  const raw = req.rawBody ?? Buffer.alloc(0);
  const attachments: AttachmentParts = new Map();
  if (type === 'application/json') return { body: parseJson(raw, 'statement body'), attachments };
  if (type === 'multipart/mixed') {
    const [first, ...rest] = parseMultipart(raw, req.get('content-type'));
    if (!first) throw new HttpError(400, 'invalid_input', 'multipart/mixed body has no parts');
    if (mediaType(first.headers['content-type']) !== 'application/json') {
      throw new HttpError(400, 'invalid_input', 'the first part of a multipart/mixed statement request must be application/json');
    }
    rest.forEach((part, i) => addAttachmentPart(attachments, part, i + 1));
    return { body: parseJson(first.body, 'statement part'), attachments };
  }
  throw new HttpError(400, 'invalid_input', `Content-Type must be application/json or multipart/mixed (got ${req.get('content-type') ?? 'none'})`);
}

function addAttachmentPart(into: AttachmentParts, part: Part, index: number) {
  const hash = part.headers['x-experience-api-hash'];
  if (!hash) throw new HttpError(400, 'invalid_input', `multipart part ${index} lacks the X-Experience-API-Hash header`);
  if (part.headers['content-transfer-encoding']?.toLowerCase() !== 'binary') {
    throw new HttpError(400, 'invalid_input', `multipart part ${index} must have Content-Transfer-Encoding: binary`);
  }
  const contentType = part.headers['content-type'];
  if (!contentType) throw new HttpError(400, 'invalid_input', `multipart part ${index} lacks a Content-Type`);
  const algorithm = { 56: 'sha224', 64: 'sha256', 96: 'sha384', 128: 'sha512' }[hash.length];
  if (!algorithm || createHash(algorithm).update(part.body).digest('hex') !== hash.toLowerCase()) {
    throw new HttpError(400, 'invalid_input', `multipart part ${index}: content does not match its X-Experience-API-Hash ${hash}`);
  }
  into.set(hash.toLowerCase(), { contentType, content: part.body });
}

/**
 * Validates and stores a statement or a batch, all or nothing: every statement is checked
 * before any is written, and the batch (with its attachments and activity definitions) commits
 * in one transaction.
 */
export function storeStatements(context: Writing, req: Request, body: unknown, attachments: AttachmentParts = new Map(), hooks?: StatementHooks): Promise<string[]> {
  return store(context, req, hooks, (principal, stored) => prepareWrite(principal, body, { version: req.xapiVersion ?? '2.0.0', stored, attachments }));
}

/** Bodies from this size up are checked on a validation thread, when there are any: below it, handing over costs more than it saves. */
const POOLED_BYTES = 16 * 1024;

async function store({ clock, statements: writer }: Writing, req: Request, hooks: StatementHooks | undefined, prepare: (principal: Principal, stored: Date) => StatementWrite | Promise<StatementWrite>): Promise<string[]> {
  const principal = req.principal;
  if (!principal) throw new HttpError(401, 'unauthorized', 'not authenticated');
  if (principal.kind === 'client') requireScope(req, 'statements/write');
  const stored = clock();
  const done = writer.begin(stored);
  try {
    const write = await prepare(principal, stored);
    // Credits and grade passback change in the same transaction as the statements they come from.
    if (hooks && principal.kind === 'launch') {
      const { launch } = principal;
      write.after = (trx, verbs) =>
        hooks.run({ trx, tenantId: principal.tenant.id, learnerId: launch.learnerId, courseId: launch.courseId, registration: launch.registration, verbs, stored });
    }
    await writer.write(write);
    return write.statements.map((p) => p.id);
  } finally {
    done();
  }
}

