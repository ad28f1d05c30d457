import { sql, type Kysely, type Transaction } from 'kysely';
import type { CourseCredits } from '../credits/engagement.js';
import { learnerCredits } from '../credits/engagement.js';
import { getCourse } from '../catalog/courses.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { currentPeriod } from '../period.js';
import { enqueue, PermanentJobError, type OutboxJob } from '../jobs/outbox.js';
import type { LtijsProvider } from './ltijs.js';
import { ltiDb } from './tables.js';

export const SCORE_JOB = 'lti.score';
/** Statements arrive every few seconds while a learner watches; one score a burst is enough. */
const DEBOUNCE_MS = 1500;
const TAG = 'xcredit-credits';
/** The statements hook is the fast path; the sweep is a safety net, run this often (by one process of all). */
export const SCORE_SWEEP_MS = 30_000;

export interface Score {
  scoreGiven: number;
  scoreMaximum: number;
  activityProgress: 'InProgress' | 'Completed';
  gradingProgress: 'Pending' | 'FullyGraded';
  comment: string;
}

/**
 * Every gradebook column xcredit makes is worth 100 points, the course's full credits: LMSs take
 * whole maxima only (Moodle: 1 to 100), and a course's credits may be 1.5 or 0. The credits
 * themselves are in each score's comment.
 */
export const GRADE_POINTS = 100;

const pct = (n: number) => `${Math.round(n * 100)}%`;

/** How far a learner is with a course: no launch yet, launched with a gate still failing, or every gate passed. */
export type Progress = 'not started' | 'in progress' | 'completed';

/** Whether every gate passed; no gates yet means nothing has been assessed (no viewing). */
export function progressOf(c: Pick<CourseCredits, 'gates'>): Exclude<Progress, 'not started'> {
  return c.gates.length > 0 && c.gates.every((g) => g.passed) ? 'completed' : 'in progress';
}

/** The AGS score for a learner's standing in a course, with its explanation in one line. */
export function scoreOf(c: Pick<CourseCredits, 'credits' | 'earned' | 'engagement' | 'coverage' | 'attention' | 'mastery' | 'gates'>): Score {
  const passed = progressOf(c) === 'completed';
  const failed = c.gates.filter((g) => !g.passed).map((g) => g.reason);
  const comment =
    `Engagement ${pct(c.engagement)} (coverage ${pct(c.coverage)}, attention ${pct(c.attention)}, mastery ${pct(c.mastery)}): ${c.earned} of ${c.credits} credits` +
    (failed.length ? `; not yet: ${failed.join('; ')}` : '');
  return {
    scoreGiven: c.credits > 0 ? Math.round((c.earned / c.credits) * GRADE_POINTS * 100) / 100 : 0,
    scoreMaximum: GRADE_POINTS,
    activityProgress: passed ? 'Completed' : 'InProgress',
    gradingProgress: passed ? 'FullyGraded' : 'Pending',
    comment: comment.replace(/\s+/g, ' '),
  };
}

/** Owes the LMS a score for this learner and course, if any LMS grades it (inside the caller's transaction). */
export async function enqueueScore(db: Db | Transaction<any>, input: { tenantId: string; learnerId: string; courseId: string }): Promise<boolean> {
  const target = await ltiDb(db as Db)
    .selectFrom('lti_grade_targets')
    .select('learner_id')
    .where('tenant_id', '=', input.tenantId)
    .where('learner_id', '=', input.learnerId)
    .where('course_id', '=', input.courseId)
    .executeTakeFirst();
  if (!target) return false;
  await enqueue(db, { tenantId: input.tenantId, kind: SCORE_JOB, payload: { learnerId: input.learnerId, courseId: input.courseId }, dedupeKey: `${input.learnerId}|${input.courseId}`, delayMs: DEBOUNCE_MS });
  return true;
}

/**
 * Finds graded learners with statements newer than their last look and owes their LMS a score.
 * The statements hook enqueues at once; this catches what arrives any other way. The server runs
 * it every `SCORE_SWEEP_MS`, in one process of all (`jobs/schedules.ts`).
 */
export async function enqueueChangedScores(db: Db): Promise<number> {
  const changed = await sql<{ tenant_id: string; learner_id: string; course_id: string; seq: string }>`
    select t.tenant_id, t.learner_id, t.course_id, max(s.seq) as seq
    from lti_grade_targets t
    join launches l on l.tenant_id = t.tenant_id and l.learner_id = t.learner_id and l.course_id = t.course_id
    join statements s on s.tenant_id = l.tenant_id and s.launch_registration = l.registration and s.seq > t.synced_seq
    group by t.tenant_id, t.learner_id, t.course_id`.execute(db);
  for (const row of changed.rows) {
    await db.transaction().execute(async (trx) => {
      await enqueueScore(trx, { tenantId: row.tenant_id, learnerId: row.learner_id, courseId: row.course_id });
      await ltiDb(trx as unknown as Db)
        .updateTable('lti_grade_targets')
        .set({ synced_seq: String(row.seq) })
        .where('tenant_id', '=', row.tenant_id)
        .where('learner_id', '=', row.learner_id)
        .where('course_id', '=', row.course_id)
        .where(sql<boolean>`synced_seq < ${row.seq}`)
        .execute();
    });
  }
  return changed.rows.length;
}

const sameScore = (a: Record<string, unknown> | null, b: Score) =>
  !!a && a.scoreGiven === b.scoreGiven && a.scoreMaximum === b.scoreMaximum && a.activityProgress === b.activityProgress && a.gradingProgress === b.gradingProgress && a.comment === b.comment;

/**
 * Posts the learner's current score to every line item that grades this course for them. A score
 * equal to the last one posted there is not sent again.
 */
export function scoreHandler(db: Db, provider: () => LtijsProvider, clock: Clock) {
  return async (job: OutboxJob): Promise<void> => {
    const learnerId = String(job.payload.learnerId);
    const courseId = String(job.payload.courseId);
    const l = ltiDb(db);
    const targets = await l
      .selectFrom('lti_grade_targets')
      .innerJoin('lti_platforms', (j) => j.onRef('lti_platforms.tenant_id', '=', 'lti_grade_targets.tenant_id').onRef('lti_platforms.id', '=', 'lti_grade_targets.platform_id'))
      .selectAll('lti_grade_targets')
      .select(['lti_platforms.issuer', 'lti_platforms.client_id'])
      .where('lti_grade_targets.tenant_id', '=', job.tenantId)
      .where('lti_grade_targets.learner_id', '=', learnerId)
      .where('lti_grade_targets.course_id', '=', courseId)
      .execute();
    if (targets.length === 0) return;
    let credits: CourseCredits | undefined;
    try {
      credits = (await learnerCredits(db, job.tenantId, learnerId, currentPeriod(clock).name, courseId)).courses[0];
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) throw new PermanentJobError(err.message);
      throw err;
    }
    if (!credits) return;
    const score = scoreOf(credits);
    const lti = provider();
    for (const t of targets) {
      if (sameScore(t.last_score, score)) continue;
      const token = { iss: t.issuer, clientId: t.client_id, user: t.lti_user_id, platformContext: { endpoint: { lineitems: t.line_items_url }, resource: { id: t.resource_link_id } } };
      let lineItem = t.line_item_url;
      if (!lineItem) {
        if (!t.line_items_url) throw new PermanentJobError('the platform gave neither a line item nor a line items URL');
        const course = await getCourse(db, job.tenantId, courseId);
        const found = await lti.Grade.getLineItems(token, { resourceLinkId: true, resourceId: courseId });
        const existing = found.lineItems.find((li) => li.resourceId === courseId);
        const item = existing ?? (await lti.Grade.createLineItem(token, { scoreMaximum: GRADE_POINTS, label: course.title, resourceId: courseId, resourceLinkId: t.resource_link_id, tag: TAG }));
        lineItem = String(item.id);
        await l
          .updateTable('lti_grade_targets')
          .set({ line_item_url: lineItem })
          .where('tenant_id', '=', t.tenant_id)
          .where('platform_id', '=', t.platform_id)
          .where('resource_link_id', '=', t.resource_link_id)
          .where('lti_user_id', '=', t.lti_user_id)
          .execute();
      }
      await lti.Grade.submitScore(token, lineItem, { ...score, userId: t.lti_user_id }).catch((err: unknown) => {
        // A platform refusing the score outright (4xx other than timeouts and throttling) will refuse it again.
        const status = (err as { response?: { statusCode?: number } }).response?.statusCode;
        if (status && status >= 400 && status < 500 && status !== 408 && status !== 429) throw new PermanentJobError(`the platform refused the score: ${(err as Error).message}`);
        throw err;
      });
      await l
        .updateTable('lti_grade_targets')
        .set({ last_score: JSON.stringify(score), updated_at: new Date() })
        .where('tenant_id', '=', t.tenant_id)
        .where('platform_id', '=', t.platform_id)
        .where('resource_link_id', '=', t.resource_link_id)
        .where('lti_user_id', '=', t.lti_user_id)
        .execute();
    }
  };
}

/**
 * The statements hook (launches/hooks.ts): a batch a launch token stored owes the learner's LMS a
 * score, in the same transaction, so the score is owed exactly when the statements commit.
 */
export async function ltiScoreHook(event: { trx: Kysely<any>; tenantId: string; learnerId: string; courseId: string }): Promise<void> {
  await enqueueScore(event.trx as Transaction<any>, event);
}
