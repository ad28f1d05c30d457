import { graphemeLength } from '@xcredit/sdk/engagement';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { getCourse, type Course } from '../catalog/courses.js';
import { refreshEngagement } from '../credits/engagement.js';
import { lockLearner, type CreditEvents } from '../credits/ledger.js';
import type { Db } from '../db/index.js';
import type { Database, ReflectionsTable } from '../db/schema.js';
import { HttpError } from '../http-error.js';
import { getLearner } from '../learners/learners.js';
import { enqueueScore } from '../lti/grades.js';

type Q = Kysely<Database>;
type Status = ReflectionsTable['status'];

/** One learner's reflection on one course as the review API shows it. */
export interface Reflection {
  learnerId: string;
  courseId: string;
  courseTitle: string;
  text: string;
  length: number;
  minLength: number | null;
  status: Status;
  note: string | null;
  submittedAt: string;
  reviewedAt: string | null;
  reviewer: string | null;
  history?: { action: string; actor: string; note: string | null; at: string }[];
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

function toReflection(r: Selectable<ReflectionsTable>, course: { title: string; reflection: { minLength: number } | null }): Reflection {
  return {
    learnerId: r.learner_id,
    courseId: r.course_id,
    courseTitle: course.title,
    text: r.text,
    length: graphemeLength(r.text),
    minLength: course.reflection?.minLength ?? null,
    status: r.status,
    note: r.note,
    submittedAt: new Date(r.submitted_at).toISOString(),
    reviewedAt: iso(r.reviewed_at),
    reviewer: r.reviewer,
  };
}

const readRow = (db: Q, tenantId: string, learnerId: string, courseId: string) =>
  db.selectFrom('reflections').selectAll().where('tenant_id', '=', tenantId).where('learner_id', '=', learnerId).where('course_id', '=', courseId);

/** What the player's reflection panel shows for its launch: the requirement and where the learner's reflection stands. */
export async function playerReflection(db: Db, tenantId: string, learnerId: string, courseId: string) {
  const course = await getCourse(db, tenantId, courseId);
  const row = await readRow(db, tenantId, learnerId, courseId).executeTakeFirst();
  return {
    required: Boolean(course.reflection),
    minLength: course.reflection?.minLength ?? null,
    prompt: course.reflection?.prompt ?? null,
    status: row?.status ?? null,
    text: row?.text ?? null,
    note: row?.status === 'returned' ? row.note : null,
  };
}

/**
 * The learner writes (or, after it was returned, rewrites) the reflection a course requires. Its
 * length is counted in graphemes; an approved reflection is final. The course's credits keep
 * waiting until a reviewer approves it.
 */
export async function submitReflection(db: Db, events: CreditEvents, tenantId: string, learnerId: string, courseId: string, text: string, now: Date) {
  const course = await getCourse(db, tenantId, courseId);
  if (!course.reflection) throw new HttpError(409, 'reflection_not_required', `course "${courseId}" does not ask for a reflection`);
  const written = text.trim();
  const length = graphemeLength(written);
  if (length < course.reflection.minLength) {
    throw new HttpError(400, 'invalid_input', `text: a reflection needs at least ${course.reflection.minLength} characters (this one has ${length})`, [
      { path: 'text', message: `must be at least ${course.reflection.minLength} characters` },
    ]);
  }
  await db.transaction().execute(async (trx) => {
    await lockLearner(trx, tenantId, learnerId);
    const before = await readRow(trx, tenantId, learnerId, courseId).forUpdate().executeTakeFirst();
    if (before?.status === 'approved') throw new HttpError(409, 'reflection_approved', 'this reflection was already approved; it cannot be changed');
    const values = { text: written, status: 'submitted' as const, submitted_at: now, reviewed_at: null, reviewer: null, note: null };
    await trx
      .insertInto('reflections')
      .values({ tenant_id: tenantId, learner_id: learnerId, course_id: courseId, ...values })
      .onConflict((oc) => oc.columns(['tenant_id', 'learner_id', 'course_id']).doUpdateSet(values))
      .execute();
    await trx.insertInto('reflection_events').values({ tenant_id: tenantId, learner_id: learnerId, course_id: courseId, action: 'submitted', actor: `learner/${learnerId}`, text: written, note: null, at: now }).execute();
    await refreshCourse(trx, events, tenantId, learnerId, course, 'engine');
  });
  return playerReflection(db, tenantId, learnerId, courseId);
}

/**
 * A reviewer approves a submitted reflection (the course's viewing credits then reach the ledger
 * through the engine, so approving again changes nothing) or returns it with a note the learner reads.
 */
export async function reviewReflection(
  db: Db,
  events: CreditEvents,
  tenantId: string,
  learnerId: string,
  courseId: string,
  actor: string,
  decision: { action: 'approve' } | { action: 'return'; note: string },
  now: Date,
): Promise<Reflection> {
  await getLearner(db, tenantId, learnerId);
  const course = await getCourse(db, tenantId, courseId);
  await db.transaction().execute(async (trx) => {
    await lockLearner(trx, tenantId, learnerId);
    const row = await readRow(trx, tenantId, learnerId, courseId).forUpdate().executeTakeFirst();
    if (!row) throw new HttpError(404, 'reflection_not_found', `learner "${learnerId}" has written no reflection on course "${courseId}"`);
    if (decision.action === 'approve') {
      if (row.status === 'approved') return;
      if (row.status === 'returned') throw new HttpError(409, 'reflection_returned', 'this reflection was returned to the learner; it can be approved once they submit it again');
    } else {
      if (row.status === 'approved') throw new HttpError(409, 'reflection_approved', 'this reflection was already approved; it cannot be returned');
      if (row.status === 'returned') throw new HttpError(409, 'reflection_returned', 'this reflection was already returned; the learner has not submitted it again yet');
    }
    const status = decision.action === 'approve' ? 'approved' : 'returned';
    const note = decision.action === 'return' ? decision.note : null;
    await trx
      .updateTable('reflections')
      .set({ status, note, reviewer: actor, reviewed_at: now })
      .where('tenant_id', '=', tenantId)
      .where('learner_id', '=', learnerId)
      .where('course_id', '=', courseId)
      .execute();
    await trx.insertInto('reflection_events').values({ tenant_id: tenantId, learner_id: learnerId, course_id: courseId, action: status, actor, text: null, note, at: now }).execute();
    await refreshCourse(trx, events, tenantId, learnerId, course, actor, status === 'approved' ? `"${course.title}": reflection approved by ${actor}` : undefined);
  });
  return getReflection(db, tenantId, learnerId, courseId);
}

/**
 * Re-judges the learner's open periods of the course through the engine, so the stored gates say
 * where the reflection stands and an approval credits exactly what the engine would.
 */
async function refreshCourse(trx: Q, events: CreditEvents, tenantId: string, learnerId: string, course: Course, actor: string, reason?: string) {
  const periods = await trx
    .selectFrom('engagement as e')
    .leftJoin('periods as p', (j) => j.onRef('p.tenant_id', '=', 'e.tenant_id').onRef('p.period', '=', 'e.period'))
    .select('e.period')
    .where('e.tenant_id', '=', tenantId)
    .where('e.learner_id', '=', learnerId)
    .where('e.course_id', '=', course.courseId)
    .where('p.closed_at', 'is', null)
    .orderBy('e.period')
    .execute();
  for (const { period } of periods) await refreshEngagement(trx, tenantId, learnerId, course.courseId, period, { actor, events, ...(reason ? { reason } : {}) });
  // No statement arrives with a review: an LMS that grades the course is owed the new score (and its comment) here.
  await enqueueScore(trx as Transaction<any>, { tenantId, learnerId, courseId: course.courseId });
}

/** One reflection with its history. */
export async function getReflection(db: Db, tenantId: string, learnerId: string, courseId: string): Promise<Reflection> {
  await getLearner(db, tenantId, learnerId);
  const course = await getCourse(db, tenantId, courseId);
  const row = await readRow(db, tenantId, learnerId, courseId).executeTakeFirst();
  if (!row) throw new HttpError(404, 'reflection_not_found', `learner "${learnerId}" has written no reflection on course "${courseId}"`);
  const history = await db
    .selectFrom('reflection_events')
    .select(['action', 'actor', 'note', 'at'])
    .where('tenant_id', '=', tenantId)
    .where('learner_id', '=', learnerId)
    .where('course_id', '=', courseId)
    .orderBy('id')
    .execute();
  return { ...toReflection(row, course), history: history.map((h) => ({ ...h, at: new Date(h.at).toISOString() })) };
}

/** Reflections of the tenant, oldest submission first (the review queue with `status: 'submitted'`). */
export async function listReflections(db: Db, tenantId: string, filter: { status?: Status | undefined; learnerId?: string | undefined; courseId?: string | undefined }): Promise<Reflection[]> {
  let q = db
    .selectFrom('reflections as r')
    .innerJoin('courses as c', (j) => j.onRef('c.tenant_id', '=', 'r.tenant_id').onRef('c.id', '=', 'r.course_id'))
    .selectAll('r')
    .select(['c.title', 'c.reflection'])
    .where('r.tenant_id', '=', tenantId);
  if (filter.status) q = q.where('r.status', '=', filter.status);
  if (filter.learnerId) q = q.where('r.learner_id', '=', filter.learnerId);
  if (filter.courseId) q = q.where('r.course_id', '=', filter.courseId);
  const rows = await q.orderBy('r.submitted_at').orderBy('r.learner_id').limit(1000).execute();
  return rows.map(({ title, reflection, ...r }) => toReflection(r, { title, reflection }));
}
