import { computeCredits, verifyEvents, type CreditResult, type TrackedEvent, type VerifiedEngagement } from '@xcredit/sdk/engagement';
import { VideoExt, Verbs, XcreditExt } from '@xcredit/sdk/xapi';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { toCourse, type Course } from './courses.js';

const VIDEO_VERBS: Record<string, TrackedEvent['verb']> = {
  [Verbs.initialized]: 'initialized',
  [Verbs.played]: 'played',
  [Verbs.paused]: 'paused',
  [Verbs.seeked]: 'seeked',
  [Verbs.completed]: 'completed',
  [Verbs.terminated]: 'terminated',
};

export interface CourseCredits extends CreditResult {
  courseId: string;
  title: string;
  kind: Course['kind'];
  credits: number;
  verifiedSeconds: number;
  claimedSeconds: number;
  sessions: number;
}

export interface LearnerCredits {
  learnerId: string;
  period: string;
  earned: number;
  courses: CourseCredits[];
}

/** A period is a calendar year (UTC). */
export function periodBounds(period: string): { from: Date; to: Date } {
  if (!/^\d{4}$/.test(period)) throw new HttpError(400, 'invalid_input', `period "${period}" must be a year, e.g. 2026`);
  const year = Number(period);
  return { from: new Date(Date.UTC(year, 0, 1)), to: new Date(Date.UTC(year + 1, 0, 1)) };
}

/**
 * A learner's credits in a period, recomputed from the statements their launch sessions wrote
 * and the server's receipt times. Statements written by clients outside a launch are stored but
 * earn nothing here.
 */
export async function learnerCredits(db: Db, tenantId: string, learnerId: string, period: string, onlyCourseId?: string): Promise<LearnerCredits> {
  const { from, to } = periodBounds(period);
  const learner = await db.selectFrom('learners').select('id').where('tenant_id', '=', tenantId).where('id', '=', learnerId).executeTakeFirst();
  if (!learner) throw new HttpError(404, 'learner_not_found', `no learner "${learnerId}" in this tenant`);
  let coursesQuery = db
    .selectFrom('courses')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', db.selectFrom('launches').select('course_id').where('tenant_id', '=', tenantId).where('learner_id', '=', learnerId));
  if (onlyCourseId) coursesQuery = coursesQuery.where('id', '=', onlyCourseId);
  const courses = (await coursesQuery.orderBy('id').execute()).map(toCourse);
  const rows = await db
    .selectFrom('statements')
    .innerJoin('launches', (j) => j.onRef('launches.tenant_id', '=', 'statements.tenant_id').onRef('launches.registration', '=', 'statements.launch_registration'))
    .select(['launches.course_id', 'statements.stored', 'statements.verb_id', 'statements.statement'])
    .where('statements.tenant_id', '=', tenantId)
    .where('launches.learner_id', '=', learnerId)
    .where('statements.voided', '=', false)
    .where('statements.verb_id', 'in', Object.keys(VIDEO_VERBS))
    .where('statements.stored', '>=', from)
    .where('statements.stored', '<', to)
    .orderBy('statements.seq')
    .execute();
  const eventsByCourse = new Map<string, TrackedEvent[]>();
  for (const row of rows) {
    const event = toEvent(row.verb_id, new Date(row.stored), row.statement);
    if (!event) continue;
    const list = eventsByCourse.get(row.course_id) ?? [];
    list.push(event);
    eventsByCourse.set(row.course_id, list);
  }
  const result = courses.map((course) => courseCredits(course, verifyEvents(eventsByCourse.get(course.courseId) ?? [], course.policy)));
  return { learnerId, period, earned: Math.round(result.reduce((s, c) => s + c.earned, 0) * 10) / 10, courses: result };
}

export function courseCredits(course: Course, verified: VerifiedEngagement): CourseCredits {
  const r = computeCredits(
    {
      credits: course.credits,
      lengthSeconds: course.lengthSeconds,
      segments: verified.segments,
      playingSeconds: verified.verifiedSeconds,
      focusedSeconds: verified.focusedSeconds,
      mastery: 1,
    },
    course.policy,
  );
  return {
    courseId: course.courseId,
    title: course.title,
    kind: course.kind,
    credits: course.credits,
    ...r,
    verifiedSeconds: round1(verified.verifiedSeconds),
    claimedSeconds: round1(verified.claimedSeconds),
    sessions: verified.sessions,
  };
}

function toEvent(verbId: string, stored: Date, statement: Record<string, any>): TrackedEvent | null {
  const verb = VIDEO_VERBS[verbId];
  if (!verb) return null;
  const rx = statement.result?.extensions ?? {};
  const cx = statement.context?.extensions ?? {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    sessionId: String(cx[VideoExt.sessionId] ?? statement.context?.registration ?? 'none'),
    verb,
    receivedAt: stored.getTime(),
    time: verb === 'seeked' ? num(rx[VideoExt.timeFrom]) : num(rx[VideoExt.time]),
    timeTo: verb === 'seeked' ? num(rx[VideoExt.timeTo]) : undefined,
    focusedSeconds: num(rx[XcreditExt.focusedSeconds]),
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
