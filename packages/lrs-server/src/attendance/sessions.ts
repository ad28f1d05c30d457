import { randomUUID } from 'node:crypto';
import type { trainingSessionInput } from '@xcredit/sdk/contracts';
import type { Selectable } from 'kysely';
import QRCode from 'qrcode';
import type { z } from 'zod';
import type { LaunchGrant } from '../auth/principal.js';
import { getCourse } from '../catalog/courses.js';
import type { AppContext } from '../context.js';
import { recordAward } from '../credits/awards.js';
import { isClosed, type CreditEvents } from '../credits/ledger.js';
import type { Db } from '../db/index.js';
import type { AttendanceTable, TrainingSessionsTable } from '../db/schema.js';
import { HttpError } from '../http-error.js';
import { periodAt } from '../period.js';
import { checkCode, checkinCode, CODE_STEP_MS, codeExpiresAt } from './code.js';
import { measure, type Measured } from './measure.js';

type SessionRow = Selectable<TrainingSessionsTable> & { course_title: string; credits: number };
type AttendanceRow = Selectable<AttendanceTable>;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function toSession(r: SessionRow, checkedIn: number) {
  return {
    sessionId: r.id,
    courseId: r.course_id,
    courseTitle: r.course_title,
    credits: Number(r.credits),
    period: periodAt(new Date(r.starts_at)).name,
    startsAt: iso(r.starts_at)!,
    endsAt: iso(r.ends_at)!,
    location: r.location,
    trainer: r.trainer,
    minShare: Number(r.min_share),
    graceMinutes: r.grace_minutes,
    status: r.status,
    openedAt: iso(r.opened_at),
    closedAt: iso(r.closed_at),
    checkedIn,
  };
}
export type TrainingSession = ReturnType<typeof toSession>;

type Scan = { action: 'in' | 'out'; at: string; codeStep: number };

function toAttendance(s: SessionRow, a: AttendanceRow, scans: Scan[] = []) {
  // Before the session is closed the figures are what the scans so far show.
  const m = measure(s, a);
  const settled = a.outcome !== null;
  return {
    learnerId: a.learner_id,
    checkedInAt: iso(a.checked_in_at)!,
    checkedOutAt: iso(a.checked_out_at),
    lateMinutes: m.lateMinutes,
    earlyMinutes: m.earlyMinutes,
    attendedMinutes: m.attendedMinutes,
    sessionMinutes: m.sessionMinutes,
    status: !settled ? ('present' as const) : a.credited_tenths ? ('credited' as const) : ('not_credited' as const),
    credits: settled ? (a.credited_tenths ?? 0) / 10 : null,
    explanation: a.outcome,
    scans,
  };
}
export type Attendance = ReturnType<typeof toAttendance>;

const sessionQuery = (db: Db, tenantId: string) =>
  db
    .selectFrom('training_sessions as s')
    .innerJoin('courses as c', (j) => j.onRef('c.tenant_id', '=', 's.tenant_id').onRef('c.id', '=', 's.course_id'))
    .selectAll('s')
    .select(['c.title as course_title', 'c.credits'])
    .where('s.tenant_id', '=', tenantId);

async function sessionRow(db: Db, tenantId: string, sessionId: string, field = 'sessionId'): Promise<SessionRow> {
  const row = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(sessionId) ? await sessionQuery(db, tenantId).where('s.id', '=', sessionId).executeTakeFirst() : undefined;
  if (!row) throw new HttpError(404, 'session_not_found', `${field}: no training session "${sessionId}" in this tenant`);
  return row;
}

/**
 * Schedules a session of an offline course: one without a video (a course with one earns its
 * credits from the video; attending a session of it would count twice).
 */
export async function createTrainingSession(db: Db, tenantId: string, actor: string, input: z.output<typeof trainingSessionInput>): Promise<TrainingSession> {
  const course = await getCourse(db, tenantId, input.courseId).catch((err: unknown) => {
    if (err instanceof HttpError && err.status === 404) throw new HttpError(404, 'course_not_found', `courseId: no course "${input.courseId}" in this tenant`);
    throw err;
  });
  if (course.videoUrl) throw new HttpError(400, 'invalid_input', `courseId: course "${course.courseId}" plays a video and earns its credits from it; training sessions are for offline courses (no videoUrl)`);
  const id = randomUUID();
  await db
    .insertInto('training_sessions')
    .values({
      tenant_id: tenantId,
      id,
      course_id: course.courseId,
      starts_at: new Date(input.startsAt),
      ends_at: new Date(input.endsAt),
      location: input.location,
      trainer: input.trainer,
      min_share: input.minShare,
      grace_minutes: input.graceMinutes,
      created_by: actor,
    })
    .execute();
  return toSession(await sessionRow(db, tenantId, id), 0);
}

/** Sessions, the latest first; of one course or in one status when asked. */
export async function listTrainingSessions(db: Db, tenantId: string, filter: { courseId?: string | undefined; status?: 'scheduled' | 'open' | 'closed' | undefined }): Promise<TrainingSession[]> {
  let q = sessionQuery(db, tenantId);
  if (filter.courseId) q = q.where('s.course_id', '=', filter.courseId);
  if (filter.status) q = q.where('s.status', '=', filter.status);
  const rows = await q.orderBy('s.starts_at', 'desc').limit(500).execute();
  const counts = rows.length
    ? await db
        .selectFrom('attendance')
        .select((eb) => ['session_id', eb.fn.countAll<string | number>().as('n')])
        .where('tenant_id', '=', tenantId)
        .where('session_id', 'in', rows.map((r) => r.id))
        .groupBy('session_id')
        .execute()
    : [];
  const byId = new Map(counts.map((c) => [c.session_id, Number(c.n)]));
  return rows.map((r) => toSession(r, byId.get(r.id) ?? 0));
}

/** A session with its attendance: scans, lateness, early leaving and, once closed, credits and why. */
export async function getTrainingSession(db: Db, tenantId: string, sessionId: string): Promise<TrainingSession & { attendance: Attendance[] }> {
  const s = await sessionRow(db, tenantId, sessionId);
  const rows = await db.selectFrom('attendance').selectAll().where('tenant_id', '=', tenantId).where('session_id', '=', sessionId).orderBy('checked_in_at').orderBy('learner_id').execute();
  const scans = await db.selectFrom('attendance_scans').select(['learner_id', 'action', 'at', 'code_step']).where('tenant_id', '=', tenantId).where('session_id', '=', sessionId).orderBy('id').execute();
  const byLearner = new Map<string, Scan[]>();
  for (const x of scans) byLearner.set(x.learner_id, [...(byLearner.get(x.learner_id) ?? []), { action: x.action, at: iso(x.at)!, codeStep: Number(x.code_step) }]);
  return { ...toSession(s, rows.length), attendance: rows.map((a) => toAttendance(s, a, byLearner.get(a.learner_id))) };
}

/** Opens a session for check-in (the trainer shows its code); opening an open one changes nothing. */
export async function openTrainingSession(db: Db, tenantId: string, sessionId: string, now: Date): Promise<TrainingSession & { attendance: Attendance[] }> {
  const s = await sessionRow(db, tenantId, sessionId);
  if (s.status === 'closed') throw new HttpError(409, 'session_closed', `session ${sessionId} is closed; its attendance is already credited`);
  if (s.status === 'scheduled') await db.updateTable('training_sessions').set({ status: 'open', opened_at: now }).where('tenant_id', '=', tenantId).where('id', '=', sessionId).where('status', '=', 'scheduled').execute();
  return getTrainingSession(db, tenantId, sessionId);
}

/** The code to show now, as the check-in link and a QR code (SVG) of it. */
export async function currentCheckinCode(context: Pick<AppContext, 'db' | 'secretKey' | 'config'>, tenantId: string, sessionId: string, now: Date) {
  const s = await sessionRow(context.db, tenantId, sessionId);
  if (s.status !== 'open') throw new HttpError(409, 'session_not_open', `session ${sessionId} is ${s.status}; open it to show its check-in code`);
  const code = checkinCode(context.secretKey, tenantId, sessionId, now);
  const url = `${context.config.publicUrl}/checkin?code=${encodeURIComponent(code)}`;
  const svg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { code, url, svg, stepSeconds: CODE_STEP_MS / 1000, expiresAt: codeExpiresAt(now).toISOString() };
}

const PROBLEMS = {
  malformed: [400, 'invalid_input', 'code: is not a check-in code; scan the QR code the trainer shows'],
  forged: [403, 'code_forged', 'code: was not issued by this server for that session; scan the QR code the trainer shows'],
  expired: [403, 'code_expired', 'code: has expired (a code is accepted for 60 seconds); scan the code the trainer shows now'],
  future: [400, 'code_future', 'code: belongs to a time not reached yet on the server; scan the code the trainer shows now'],
} as const;

/**
 * A learner's scan, identified by their own launch of the session's course: `in` records the
 * arrival, `out` the leaving; a repeated scan changes nothing (every accepted scan is kept).
 */
export async function scanCheckinCode(db: Db, secretKey: string, tenantId: string, launch: LaunchGrant, input: { code: string; action: 'in' | 'out' }, now: Date) {
  const check = checkCode(secretKey, tenantId, input.code, now);
  if (!check.ok) {
    const [status, error, message] = PROBLEMS[check.problem];
    throw new HttpError(status, error, message);
  }
  const s = await sessionRow(db, tenantId, check.sessionId, 'code');
  if (s.course_id !== launch.courseId) {
    throw new HttpError(403, 'wrong_session', `code: is for a session of course "${s.course_id}", and this launch is for course "${launch.courseId}"; open the check-in link for "${s.course_title}"`);
  }
  return db.transaction().execute(async (trx) => {
    // A close running at the same time holds the row for update: a scan lands before it, or is refused after it.
    const current = await trx.selectFrom('training_sessions').select('status').where('tenant_id', '=', tenantId).where('id', '=', s.id).forShare().executeTakeFirstOrThrow();
    if (current.status !== 'open') throw new HttpError(409, 'session_not_open', `code: session "${s.course_title}" is ${current.status === 'closed' ? 'closed; check-in has ended' : 'not open for check-in yet'}`);
    let created = false;
    if (input.action === 'in') {
      const inserted = await trx
        .insertInto('attendance')
        .values({ tenant_id: tenantId, session_id: s.id, learner_id: launch.learnerId, checked_in_at: now })
        .onConflict((oc) => oc.columns(['tenant_id', 'session_id', 'learner_id']).doNothing())
        .returning('learner_id')
        .executeTakeFirst();
      created = Boolean(inserted);
    } else {
      const before = await trx.selectFrom('attendance').select('checked_out_at').where('tenant_id', '=', tenantId).where('session_id', '=', s.id).where('learner_id', '=', launch.learnerId).forUpdate().executeTakeFirst();
      if (!before) throw new HttpError(409, 'not_checked_in', 'action: "out" needs a check-in first; scan the code to check in');
      if (before.checked_out_at === null) {
        await trx.updateTable('attendance').set({ checked_out_at: now }).where('tenant_id', '=', tenantId).where('session_id', '=', s.id).where('learner_id', '=', launch.learnerId).execute();
        created = true;
      }
    }
    await trx
      .insertInto('attendance_scans')
      .values({ tenant_id: tenantId, session_id: s.id, learner_id: launch.learnerId, action: input.action, code_step: check.step, registration: launch.registration, at: now })
      .execute();
    const a = await trx.selectFrom('attendance').selectAll().where('tenant_id', '=', tenantId).where('session_id', '=', s.id).where('learner_id', '=', launch.learnerId).executeTakeFirstOrThrow();
    return { sessionId: s.id, courseTitle: s.course_title, location: s.location, action: input.action, created, checkedInAt: iso(a.checked_in_at)!, checkedOutAt: iso(a.checked_out_at) };
  });
}

/**
 * Closes a session and credits its attendance in one transaction: a learner who checked in and out
 * and attended at least the session's share gets the course's credits (an offline award, once: its
 * external id names session and learner), the others none, each with the reason. Closing a closed
 * session changes nothing.
 */
export async function closeTrainingSession(db: Db, events: CreditEvents, tenantId: string, sessionId: string, actor: string, now: Date) {
  await sessionRow(db, tenantId, sessionId);
  await db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('training_sessions').select('status').where('tenant_id', '=', tenantId).where('id', '=', sessionId).forUpdate().executeTakeFirstOrThrow();
    if (locked.status === 'closed') return;
    const s = await sessionRow(trx, tenantId, sessionId);
    const course = await getCourse(trx, tenantId, s.course_id);
    const period = periodAt(new Date(s.starts_at)).name;
    const closed = await isClosed(trx, tenantId, period);
    const rows = await trx.selectFrom('attendance').selectAll().where('tenant_id', '=', tenantId).where('session_id', '=', sessionId).orderBy('learner_id').execute();
    for (const a of rows) {
      const m = measure(s, a);
      let outcome = m.explanation;
      let credited = 0;
      let awardId: string | null = null;
      if (m.passed && closed) outcome = `${m.explanation}; period ${period} is closed, so no credits`;
      else if (m.passed) {
        const { award } = await recordAward(
          trx,
          events,
          tenantId,
          actor,
          {
            learnerId: a.learner_id,
            source: 'offline',
            title: course.title,
            credits: course.credits,
            period,
            kind: course.kind,
            ...(course.category ? { category: course.category } : {}),
            externalId: `attendance:${sessionId}:${a.learner_id}`,
            evidence: evidenceOf(s, a, m),
          },
          now,
          m.explanation,
        );
        credited = Math.round(course.credits * 10);
        awardId = award.awardId;
      }
      await trx
        .updateTable('attendance')
        .set({ attended_minutes: m.attendedMinutes, late_minutes: m.lateMinutes, early_minutes: m.earlyMinutes, credited_tenths: credited, award_id: awardId, outcome })
        .where('tenant_id', '=', tenantId)
        .where('session_id', '=', sessionId)
        .where('learner_id', '=', a.learner_id)
        .execute();
    }
    await trx.updateTable('training_sessions').set({ status: 'closed', closed_at: now, closed_by: actor }).where('tenant_id', '=', tenantId).where('id', '=', sessionId).execute();
  });
  return getTrainingSession(db, tenantId, sessionId);
}

const evidenceOf = (s: SessionRow, a: AttendanceRow, m: Measured) => ({
  sessionId: s.id,
  courseId: s.course_id,
  location: s.location,
  trainer: s.trainer,
  checkedInAt: iso(a.checked_in_at),
  checkedOutAt: iso(a.checked_out_at),
  attendedMinutes: m.attendedMinutes,
  sessionMinutes: m.sessionMinutes,
  lateMinutes: m.lateMinutes,
  earlyMinutes: m.earlyMinutes,
});

/** Closes every session that ended (past its grace) and was not closed by hand: the hourly sweep. */
export async function sweepTrainingSessions(db: Db, events: CreditEvents, now: Date): Promise<number> {
  const due = await db.selectFrom('training_sessions').select(['tenant_id', 'id', 'ends_at', 'grace_minutes']).where('status', '<>', 'closed').where('ends_at', '<', now).execute();
  let n = 0;
  for (const s of due) {
    if (new Date(s.ends_at).getTime() + s.grace_minutes * 60_000 > now.getTime()) continue;
    await closeTrainingSession(db, events, s.tenant_id, s.id, 'engine', now);
    n++;
  }
  return n;
}

/** Whether a course is taught in training sessions (an LTI launch of it opens the check-in page). */
export async function hasTrainingSessions(db: Db, tenantId: string, courseId: string): Promise<boolean> {
  return Boolean(await db.selectFrom('training_sessions').select('id').where('tenant_id', '=', tenantId).where('course_id', '=', courseId).limit(1).executeTakeFirst());
}
