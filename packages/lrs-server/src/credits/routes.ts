import { describeIssues } from '@xcredit/sdk/xapi';
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { requireLaunch, requireScope, type Principal } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/index.js';
import { bodyGuard } from '../edge.js';
import { HttpError, invalidInput } from '../http-error.js';
import { currentPeriod, parsePeriod, periodName } from '../period.js';
import { answerAttentionCheck, attentionInput, attentionOnHeartbeat } from './attention-checks.js';
import { awardInput, createAward, decideAward, decisionInput, getAward, listAwards } from './awards.js';
import { courseInput, getCourse, idText, upsertCourse } from './courses.js';
import { adjustForCourseChange, learnerCredits, refreshEngagement } from './engagement.js';
import { createLaunch, launchInput } from './launches.js';
import { csvToLearners, importLearners, learnerFields, validate, type ImportIssue, type LearnerRow } from './learners.js';
import { lockLearner, toEntry } from './ledger.js';
import { policyInput } from './policy.js';
import { answerFeedback, createSession, currentLaunch, heartbeat, heartbeatInput } from './sessions.js';
import { closePeriod, learnerStanding, setTarget, targetInput } from './targets.js';

/** Reads a JSON body with a schema; a 400 names every field at fault. */
function body<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  if (!req.is('application/json')) throw new HttpError(400, 'invalid_input', `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`);
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid request body');
  return parsed.data;
}

function param(req: Request, name: string, schema: z.ZodType<string> = idText): string {
  const value = String(req.params[name] ?? '');
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, 'invalid_input', `${name} "${value}" ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return value;
}

const uuidParam = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an award id (UUID)');
const periodQuery = (req: Request, clock: Clock) => (req.query.period === undefined ? currentPeriod(clock) : parsePeriod(String(req.query.period))).name;
const actorOf = (p: Extract<Principal, { kind: 'client' }>) => `client/${p.key}`;

const learnerInput = learnerFields;

/** The credits API under /api/v1 (JSON; Basic auth for clients, Bearer for the player). */
export function creditsRouter({ db, config, clock }: AppContext): Router {
  const router = Router();

  // Catalog and policy.
  router.put('/courses/:courseId', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const { course, created } = await upsertCourse(db, p.tenant.id, param(req, 'courseId'), body(req, courseInput), async (trx, before, after) => {
      if (before) await adjustForCourseChange(trx, p.tenant.id, before, after, actorOf(p));
    });
    res.status(created ? 201 : 200).json(course);
  });

  router.get('/courses/:courseId', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json(await getCourse(db, p.tenant.id, param(req, 'courseId')));
  });

  router.get('/policy', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const row = await db.selectFrom('tenants').select('policy').where('id', '=', p.tenant.id).executeTakeFirstOrThrow();
    res.json(row.policy);
  });

  router.put('/policy', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const input = body(req, policyInput);
    await db.updateTable('tenants').set({ policy: JSON.stringify(input) }).where('id', '=', p.tenant.id).execute();
    res.json(input);
  });

  // Learners.
  // Learners from an HR export: CSV (text/csv) or a JSON array, all or nothing.
  router.post('/learners/import', express.text({ type: ['text/csv', 'text/plain'], limit: '20mb' }), bodyGuard, async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    let parsed: { rows: LearnerRow[]; issues: ImportIssue[] };
    if (req.is('text/csv') || req.is('text/plain')) parsed = csvToLearners(String(req.body ?? ''));
    else if (req.is('application/json') && Array.isArray(req.body)) parsed = validate((req.body as unknown[]).map((value, i) => ({ line: i + 1, value })));
    else throw new HttpError(400, 'invalid_input', 'send text/csv with a header line, or a JSON array of learners');
    if (parsed.issues.length) {
      const shown = parsed.issues.slice(0, 10).map((i) => `line ${i.line}, ${i.field}: ${i.message}`).join('; ');
      throw new HttpError(400, 'invalid_import', `nothing was imported: ${parsed.issues.length} problem${parsed.issues.length > 1 ? 's' : ''}: ${shown}`, parsed.issues.map((i) => ({ path: `line ${i.line}.${i.field}`, message: i.message })));
    }
    res.json(await importLearners(db, p.tenant.id, parsed.rows));
  });

  router.get('/learners/:learnerId', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const id = param(req, 'learnerId');
    const row = await db.selectFrom('learners').selectAll().where('tenant_id', '=', p.tenant.id).where('id', '=', id).executeTakeFirst();
    if (!row) throw new HttpError(404, 'learner_not_found', `no learner "${id}" in this tenant`);
    res.json({ learnerId: row.id, displayName: row.display_name, department: row.department, role: row.role, managerId: row.manager_id });
  });

  router.get('/learners', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const q = req.query as Record<string, string | undefined>;
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'invalid_input', 'limit must be an integer from 1 to 1000');
    let query = db.selectFrom('learners').selectAll().where('tenant_id', '=', p.tenant.id);
    if (q.after) query = query.where('id', '>', q.after);
    if (q.department) query = query.where('department', '=', q.department);
    const rows = await query.orderBy('id').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    res.json({
      learners: page.map((r) => ({ learnerId: r.id, displayName: r.display_name, department: r.department, role: r.role, managerId: r.manager_id })),
      next: rows.length > limit ? page[page.length - 1]!.id : null,
    });
  });

  router.put('/learners/:learnerId', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const id = param(req, 'learnerId');
    const input = body(req, learnerInput);
    const values = { display_name: input.displayName ?? null, department: input.department ?? null, role: input.role ?? null, manager_id: input.managerId ?? null };
    const existed = await db.selectFrom('learners').select('id').where('tenant_id', '=', p.tenant.id).where('id', '=', id).executeTakeFirst();
    await db
      .insertInto('learners')
      .values({ tenant_id: p.tenant.id, id, ...values })
      .onConflict((oc) => oc.columns(['tenant_id', 'id']).doUpdateSet(values))
      .execute();
    res.status(existed ? 200 : 201).json({ learnerId: id, ...input });
  });

  router.get('/learners/:learnerId/credits', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const learnerId = param(req, 'learnerId');
    const period = periodQuery(req, clock);
    const result = await learnerCredits(db, p.tenant.id, learnerId, period);
    res.json({ ...result, ...(await learnerStanding(db, p.tenant.id, learnerId, period, clock())), earned: result.earned });
  });

  router.get('/learners/:learnerId/courses/:courseId/engagement', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json(await explain(db, p.tenant.id, param(req, 'learnerId'), param(req, 'courseId'), periodQuery(req, clock)));
  });

  router.get('/learners/:learnerId/ledger', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const learnerId = param(req, 'learnerId');
    const period = periodQuery(req, clock);
    const rows = await db.selectFrom('ledger').selectAll().where('tenant_id', '=', p.tenant.id).where('learner_id', '=', learnerId).where('period', '=', period).orderBy('id').execute();
    const entries = rows.map(toEntry);
    res.json({ learnerId, period, total: Math.round(entries.reduce((s, e) => s + e.amount * 10, 0)) / 10, entries });
  });

  // Launches and the player's own calls.
  router.post('/launches', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.status(201).json(await createLaunch(db, p.tenant, body(req, launchInput), config.publicUrl, clock()));
  });

  router.get('/launches/current', async (req, res) => {
    res.json(await currentLaunch(db, requireLaunch(req)));
  });

  router.post('/launches/current/sessions', async (req, res) => {
    const launch = requireLaunch(req);
    res.status(201).json(await createSession(db, launch, clock()));
  });

  router.post('/launches/current/heartbeat', async (req, res) => {
    const launch = requireLaunch(req);
    const input = body(req, heartbeatInput);
    const alive = await heartbeat(db, launch, input, clock());
    res.json({ ...alive, ...(await attentionOnHeartbeat(db, launch, input, clock())) });
  });

  router.post('/launches/current/attention', async (req, res) => {
    res.json(await answerAttentionCheck(db, requireLaunch(req), body(req, attentionInput), clock()));
  });

  router.get('/launches/current/answers/:questionId', async (req, res) => {
    const launch = requireLaunch(req);
    res.json(await answerFeedback(db, launch, String(req.params.questionId), clock()));
  });

  router.get('/launches/current/credits', async (req, res) => {
    const { tenant, launch } = requireLaunch(req);
    const result = await learnerCredits(db, tenant.id, launch.learnerId, currentPeriod(clock).name, launch.courseId);
    res.json({ ...result.courses[0], learnerId: launch.learnerId, period: result.period });
  });

  // Awards: offline training, growth credits, approvals.
  router.post('/awards', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const { award, created } = await createAward(db, p.tenant.id, actorOf(p), body(req, awardInput), clock());
    res.status(created ? 201 : 200).json(award);
  });

  router.get('/awards', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const q = req.query as Record<string, string | undefined>;
    res.json({ awards: await listAwards(db, p.tenant.id, { status: q.status, learnerId: q.learnerId, period: q.period }) });
  });

  router.get('/awards/:awardId', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json(await getAward(db, p.tenant.id, param(req, 'awardId', uuidParam)));
  });

  for (const [action, decision] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
    router.post(`/awards/:awardId/${action}`, async (req, res) => {
      const p = requireScope(req, 'credits/admin');
      const { reason } = req.body === undefined ? {} : body(req, decisionInput);
      res.json(await decideAward(db, p.tenant.id, param(req, 'awardId', uuidParam), actorOf(p), decision, reason, clock()));
    });
  }

  // Targets and periods.
  router.put('/targets/:period', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.json(await setTarget(db, p.tenant.id, param(req, 'period', periodName), { type: 'all', value: '' }, body(req, targetInput)));
  });

  router.put('/targets/:period/:groupType/:groupValue', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const type = String(req.params.groupType);
    if (type !== 'department' && type !== 'role') throw new HttpError(400, 'invalid_input', `groupType "${type}" must be department or role`);
    const value = String(req.params.groupValue);
    if (!value || value.length > 200) throw new HttpError(400, 'invalid_input', 'groupValue must be 1–200 characters');
    res.json(await setTarget(db, p.tenant.id, param(req, 'period', periodName), { type, value }, body(req, targetInput)));
  });

  router.post('/periods/:period/close', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.json(await closePeriod(db, p.tenant.id, param(req, 'period', periodName), actorOf(p), clock()));
  });

  return router;
}

/** The engagement explanation: factors, gates, verified against claimed time, sessions and flags. */
async function explain(db: Db, tenantId: string, learnerId: string, courseId: string, period: string) {
  const learner = await db.selectFrom('learners').select('id').where('tenant_id', '=', tenantId).where('id', '=', learnerId).executeTakeFirst();
  if (!learner) throw new HttpError(404, 'learner_not_found', `no learner "${learnerId}" in this tenant`);
  const course = await getCourse(db, tenantId, courseId);
  // Recomputed from raw statements on every call: the explanation never trusts a cache.
  const a = await db.transaction().execute(async (trx) => {
    await lockLearner(trx, tenantId, learnerId);
    return refreshEngagement(trx, tenantId, learnerId, courseId, period, { actor: 'engine' });
  });
  const launches = await db
    .selectFrom('launches')
    .select(['registration', 'created_at', 'last_heartbeat_at', 'ended_at', 'superseded_at'])
    .where('tenant_id', '=', tenantId)
    .where('learner_id', '=', learnerId)
    .where('course_id', '=', courseId)
    .orderBy('created_at')
    .execute();
  const imported = await db
    .selectFrom('statements')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('launch_registration', 'is', null)
    .where('actor_key', '=', `account:${(await db.selectFrom('tenants').select('home_page').where('id', '=', tenantId).executeTakeFirstOrThrow()).home_page}|${learnerId}`)
    .where('activity_id', '=', course.activityId)
    .executeTakeFirstOrThrow();
  const flags = [...a.flags];
  const importedCount = Number(imported.n);
  if (importedCount > 0) flags.push({ code: 'outside_launch' as never, message: `${importedCount} statement${importedCount > 1 ? 's' : ''} written outside a launch session (imported); stored but not counted` });
  const perSession = new Map<string, number>();
  for (const i of a.verification.intervals) perSession.set(i.sessionId, (perSession.get(i.sessionId) ?? 0) + (i.verified[1] - i.verified[0]));
  const ledger = await db.selectFrom('ledger').select((eb) => eb.fn.sum<string | number>('amount_tenths').as('tenths')).where('tenant_id', '=', tenantId).where('learner_id', '=', learnerId).where('course_id', '=', courseId).where('period', '=', period).executeTakeFirstOrThrow();
  return {
    learnerId,
    courseId,
    period,
    credits: course.credits,
    earned: Number(ledger.tenths ?? 0) / 10,
    engagement: a.engagement,
    factors: { coverage: a.coverage, attention: a.attention, mastery: a.mastery },
    weights: course.policy.weights,
    gates: a.gates,
    seconds: {
      claimed: a.claimedSeconds,
      verified: a.verifiedSeconds,
      watched: a.watchedSeconds,
      focused: a.focusedSeconds,
      // Wall-clock seconds of playing no evidence covered, and those credited from evidence queued offline.
      unevidenced: Math.round(a.verification.unevidencedSeconds * 10) / 10,
      offline: Math.round(a.verification.offlineSeconds * 10) / 10,
    },
    questions: a.questions,
    sessions: launches.map((l) => ({
      registration: l.registration,
      startedAt: new Date(l.created_at).toISOString(),
      lastHeartbeatAt: l.last_heartbeat_at ? new Date(l.last_heartbeat_at).toISOString() : null,
      endedAt: l.ended_at ? new Date(l.ended_at).toISOString() : null,
      takenOverAt: l.superseded_at ? new Date(l.superseded_at).toISOString() : null,
    })),
    playerSessions: [...perSession].map(([sessionId, seconds]) => ({ sessionId, verifiedSeconds: Math.round(seconds * 10) / 10 })),
    flags,
  };
}
