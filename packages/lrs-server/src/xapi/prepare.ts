import { randomUUID } from 'node:crypto';
import { describeIssues, statement as statementSchema, Verbs, VideoExt, type InputIssue, type Statement } from '@xcredit/sdk/xapi';
import type { Principal } from '../auth/principal.js';
import { HttpError, invalidInput } from '../http-error.js';
import { definitionsOf, type Definition } from './activities.js';
import { actorKey, learnerActor } from './actors.js';
import { checkLaunchReach } from './launch-scope.js';
import { CONTEXT_ACTIVITY_KINDS, normalizeStatement } from './normalize.js';
import { SIGNATURE_USAGE, verifySignature } from './signature.js';
import { prepareStatement, type PreparedStatement, type StatementWrite } from './statement-writer.js';
import { checkStatement } from './validate.js';
import type { XapiVersion } from './version.js';

/** Largest batch one request may carry. */
export const MAX_BATCH = 1000;

/** Attachment contents that came with the statements, by SHA-2 hash. */
export type AttachmentParts = Map<string, { contentType: string; content: Buffer }>;

/**
 * Checks a statement or a batch sent by `principal` and prepares it for the statements table:
 * ids, `stored`, authority and version filled in, context activities as arrays, the keys the
 * queries use. Throws a 400 (403 for a launch token's overreach) naming every problem.
 */
export async function prepareWrite(principal: Principal, body: unknown, options: { version: XapiVersion; stored: Date; attachments?: AttachmentParts }): Promise<StatementWrite> {
  const { version, attachments = new Map() } = options;
  const batch = Array.isArray(body);
  const list = batch ? (body as unknown[]) : [body];
  const where = (i: number) => (batch ? `statements[${i}]` : 'statement');
  if (list.length === 0) throw new HttpError(400, 'invalid_input', 'the batch is empty');
  if (list.length > MAX_BATCH) throw new HttpError(413, 'too_large', `a batch holds at most ${MAX_BATCH} statements (got ${list.length})`);

  const issues: InputIssue[] = [];
  const statements: Statement[] = [];
  list.forEach((item, i) => {
    const extra = checkStatement(item, version, where(i));
    const parsed = statementSchema.safeParse(item);
    if (parsed.success && !extra.length) statements.push(parsed.data);
    else issues.push(...extra, ...(parsed.success ? [] : describeIssues(parsed.error, where(i))));
  });
  if (issues.length) throw invalidInput(issues, batch ? 'invalid statement batch' : 'invalid statement');
  if (principal.kind === 'launch') checkLaunchGrant(statements, principal, where);
  await checkAttachments(statements, attachments, where);

  const stored = options.stored.toISOString();
  const authority =
    principal.kind === 'client'
      ? { objectType: 'Agent', account: { homePage: principal.tenant.homePage, name: principal.key } }
      : { objectType: 'Agent', account: { homePage: principal.tenant.homePage, name: `launch/${principal.launch.registration}` } };
  const seen = new Map<string, number>();
  const definitions: Definition[] = [];
  const used = new Set<string>();
  const prepared = statements.map((s, i): PreparedStatement => {
    const id = (s.id ?? randomUUID()).toLowerCase();
    const first = seen.get(id);
    if (first !== undefined) throw new HttpError(400, 'invalid_input', `${where(i)}.id: ${id} is also used by ${where(first)}`);
    seen.set(id, i);
    const full = normalizeStatement({
      ...s,
      id,
      timestamp: s.timestamp ?? stored,
      stored,
      authority,
      version: s.version ?? (version === '2.0.0' ? '2.0.0' : '1.0.0'),
    });
    definitions.push(...definitionsOf(full));
    for (const a of s.attachments ?? []) used.add(a.sha2.toLowerCase());
    const object = s.object as { objectType?: string; id?: string };
    const objectType = object.objectType ?? 'Activity';
    return prepareStatement(
      {
        tenant_id: principal.tenant.id,
        id,
        stored,
        verb_id: s.verb.id,
        actor_key: actorKey(s.actor),
        activity_id: objectType === 'Activity' ? (object.id ?? null) : null,
        registration: s.context?.registration?.toLowerCase() ?? null,
        launch_registration: principal.kind === 'launch' ? principal.launch.registration : null,
        client_key: principal.kind === 'client' ? principal.key : null,
        object_agent_key: objectType === 'Agent' || objectType === 'Group' ? actorKey(object as Parameters<typeof actorKey>[0]) : null,
        object_statement_id: objectType === 'StatementRef' ? String(object.id).toLowerCase() : null,
        related_agents: relatedAgents(full),
        related_activities: relatedActivities(full),
        statement: full,
      },
      s.timestamp !== undefined,
      where(i),
    );
  });
  return { tenantId: principal.tenant.id, statements: prepared, definitions, files: [...attachments].filter(([sha2]) => used.has(sha2)) };
}

/** Every attachment without a fileUrl has its content in the request; every part belongs to an attachment; signatures verify. */
async function checkAttachments(statements: Statement[], parts: AttachmentParts, where: (i: number) => string): Promise<void> {
  const declared = new Set<string>();
  for (const [i, s] of statements.entries()) {
    for (const [j, a] of (s.attachments ?? []).entries()) {
      const sha2 = a.sha2.toLowerCase();
      declared.add(sha2);
      const part = parts.get(sha2);
      if (!part && !a.fileUrl) throw new HttpError(400, 'invalid_input', `${where(i)}.attachments[${j}]: no multipart part carries its content (sha2 ${a.sha2}) and it has no fileUrl`);
      if (a.usageType === SIGNATURE_USAGE) {
        if (a.contentType !== 'application/octet-stream') throw new HttpError(400, 'invalid_signature', `${where(i)}.attachments[${j}]: a signature's contentType must be application/octet-stream`);
        if (!part) throw new HttpError(400, 'invalid_signature', `${where(i)}.attachments[${j}]: the signature's JWS must be sent as a multipart part`);
        await verifySignature(s as Record<string, unknown>, part.content, where(i));
      }
    }
  }
  for (const sha2 of parts.keys()) {
    if (!declared.has(sha2)) throw new HttpError(400, 'invalid_input', `multipart part with hash ${sha2} matches no attachment of the statements`);
  }
}

type Obj = Record<string, any>;

/** Keys of every agent and group a statement names (actor, object, authority, instructor, team, context agents), sub-statement included. */
export function relatedAgents(s: Obj): string[] {
  const keys = new Set<string>();
  const add = (a: Obj | undefined) => {
    if (!a || typeof a !== 'object') return;
    const key = actorKey(a);
    if (key !== 'anonymous') keys.add(key);
    if (Array.isArray(a.member)) for (const m of a.member) add(m);
  };
  const walk = (st: Obj) => {
    add(st.actor);
    const type = st.object?.objectType;
    if (type === 'Agent' || type === 'Group') add(st.object);
    if (type === 'SubStatement') walk(st.object);
    add(st.authority);
    add(st.context?.instructor);
    add(st.context?.team);
    for (const x of st.context?.contextAgents ?? []) add(x.agent);
    for (const x of st.context?.contextGroups ?? []) add(x.group);
  };
  walk(s);
  return [...keys];
}

/** Ids of every activity a statement names (object, context activities), sub-statement included. */
export function relatedActivities(s: Obj): string[] {
  const ids = new Set<string>();
  const walk = (st: Obj) => {
    const type = st.object?.objectType ?? 'Activity';
    if (type === 'Activity' && st.object?.id) ids.add(st.object.id);
    if (type === 'SubStatement') walk(st.object);
    const ca = st.context?.contextActivities ?? {};
    for (const k of CONTEXT_ACTIVITY_KINDS) for (const a of [ca[k] ?? []].flat()) if (a?.id) ids.add(a.id);
  };
  walk(s);
  return [...ids];
}

/**
 * A launch token writes only for its learner, its registration and its course's activities
 * (exactly: see launch-scope.ts), and names only player sessions the server issued for this launch.
 */
function checkLaunchGrant(statements: Statement[], principal: Extract<Principal, { kind: 'launch' }>, where: (i: number) => string) {
  const { launch, tenant } = principal;
  const learnerKey = actorKey(learnerActor(tenant.homePage, launch.learnerId));
  const sessions = new Set(launch.sessions);
  statements.forEach((s, i) => {
    if (actorKey(s.actor) !== learnerKey) {
      throw new HttpError(403, 'forbidden', `${where(i)}.actor: this launch token writes only for learner "${launch.learnerId}" (account ${tenant.homePage})`);
    }
    if (s.context?.registration?.toLowerCase() !== launch.registration) {
      throw new HttpError(403, 'forbidden', `${where(i)}.context.registration must be this launch's registration ${launch.registration}`);
    }
    if (s.verb.id === Verbs.voided) throw new HttpError(403, 'forbidden', `${where(i)}.verb: a launch token cannot void statements`);
    checkLaunchReach(s, principal, where(i));
    const extensions = s.context?.extensions as Record<string, unknown> | undefined;
    const session = extensions?.[VideoExt.sessionId];
    if (session !== undefined && (typeof session !== 'string' || !sessions.has(session))) {
      throw new HttpError(
        400,
        'unknown_session',
        `${where(i)}.context.extensions["${VideoExt.sessionId}"]: session ${JSON.stringify(session)} was not issued for this launch; get one from POST /api/v1/launches/current/sessions`,
      );
    }
  });
}
