import { randomUUID } from 'node:crypto';
import type { PlayerLaunchBody } from '@xcredit/sdk/contracts';
import { publicQuestion } from '@xcredit/sdk/engagement';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { getCourse } from '../catalog/courses.js';
import { assessLearnerCourse, refreshEngagement } from '../credits/engagement.js';
import { periodAt } from '../period.js';
import { lockLearner, type CreditEvents } from '../credits/ledger.js';

type LaunchPrincipal = Extract<Principal, { kind: 'launch' }>;

export const heartbeatInput = z.strictObject({
  sessionId: z.string().min(1).max(200),
  time: z.number().min(0),
  playing: z.boolean(),
  /** When the player made the heartbeat, on its clock; a heartbeat queued offline keeps its own. */
  sentAt: z.iso.datetime({ offset: true }).optional(),
  /** The answer to an attention check, with the nonce the server issued. */
  attention: z.strictObject({ nonce: z.string().min(1).max(200) }).optional(),
});

/** Seconds between heartbeats the player sends while it has a session. */
export const HEARTBEAT_SECONDS = 15;

/**
 * The heartbeat period for a video: every 15 s, or often enough for about eight in a short one
 * (not under 2 s), so what the server verifies moves while a short video plays.
 */
export const heartbeatSecondsFor = (lengthSeconds: number) => Math.min(HEARTBEAT_SECONDS, Math.max(2, Math.round(lengthSeconds / 8)));
/** Sessions one launch may open (each page load opens one). */
export const MAX_SESSIONS_PER_LAUNCH = 100;

/** What the player needs to run a launch: who, what, the policy and the questions without answers. */
export async function currentLaunch(db: Db, { tenant, launch }: LaunchPrincipal) {
  const course = await getCourse(db, tenant.id, launch.courseId);
  return {
    learnerId: launch.learnerId,
    courseId: course.courseId,
    actor: { objectType: 'Agent', account: { homePage: tenant.homePage, name: launch.learnerId } },
    registration: launch.registration,
    activityId: course.activityId,
    course: {
      title: course.title,
      lengthSeconds: course.lengthSeconds,
      videoUrl: course.videoUrl,
      captionsUrl: course.captionsUrl,
      credits: course.credits,
      kind: course.kind,
      category: course.category,
      // The player opens its reflection panel after viewing when the course asks for one.
      reflection: course.reflection,
    },
    policy: course.policy,
    questions: course.questions.map(publicQuestion),
    expiresAt: launch.expiresAt.toISOString(),
  } satisfies PlayerLaunchBody;
}

/**
 * Issues a player session for this launch. Statements and heartbeats may name only sessions
 * issued this way, so a client cannot multiply anything by inventing sessions.
 */
export async function createSession(db: Db, { tenant, launch }: LaunchPrincipal, at: Date) {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('launches')
      .select(['superseded_at'])
      .where('tenant_id', '=', tenant.id)
      .where('registration', '=', launch.registration)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (row.superseded_at) throw takenOver(row.superseded_at);
    const { n } = await trx
      .selectFrom('player_sessions')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('tenant_id', '=', tenant.id)
      .where('registration', '=', launch.registration)
      .executeTakeFirstOrThrow();
    if (Number(n) >= MAX_SESSIONS_PER_LAUNCH) {
      throw new HttpError(429, 'too_many_sessions', `this launch already opened ${MAX_SESSIONS_PER_LAUNCH} player sessions; start a new launch`);
    }
    const sessionId = randomUUID();
    await trx.insertInto('player_sessions').values({ tenant_id: tenant.id, session_id: sessionId, registration: launch.registration, created_at: at }).execute();
    const course = await getCourse(trx, tenant.id, launch.courseId);
    return { sessionId, heartbeatSeconds: heartbeatSecondsFor(course.lengthSeconds) };
  });
}

/**
 * Keeps a session alive and stores the heartbeat as evidence of playing. A session a newer launch
 * took over is told so (409), and the player stops; its statements are still accepted, but time
 * after the takeover earns nothing. A heartbeat that says playing is evidence for the interval
 * under way (it counts up to the last such heartbeat), so it brings the engagement and the
 * ledger up to date; the answer says what the server has verified so far.
 */
export async function heartbeat(db: Db, events: CreditEvents, { tenant, launch }: LaunchPrincipal, input: z.infer<typeof heartbeatInput>, at: Date) {
  if (!launch.sessions.includes(input.sessionId)) {
    throw new HttpError(400, 'unknown_session', `sessionId: session ${JSON.stringify(input.sessionId)} was not issued for this launch; get one from POST /api/v1/launches/current/sessions`);
  }
  const row = await db
    .selectFrom('launches')
    .select(['superseded_at', 'ended_at'])
    .where('tenant_id', '=', tenant.id)
    .where('registration', '=', launch.registration)
    .executeTakeFirstOrThrow();
  if (row.superseded_at) throw takenOver(row.superseded_at);
  const period = periodAt(at).name;
  await db.transaction().execute(async (trx) => {
    // Written holding the learner's lock, as the engine reads heartbeats: none can then commit
    // with an id below one a timeline's checkpoint has passed (credits/timeline.ts).
    await lockLearner(trx, tenant.id, launch.learnerId);
    await trx.updateTable('launches').set({ last_heartbeat_at: at }).where('tenant_id', '=', tenant.id).where('registration', '=', launch.registration).execute();
    const sentAt = input.sentAt === undefined ? null : new Date(input.sentAt);
    await trx
      .insertInto('heartbeats')
      .values({ tenant_id: tenant.id, registration: launch.registration, session_id: input.sessionId, received_at: at, sent_at: sentAt, media_time: input.time, playing: input.playing })
      .execute();
    if (!input.playing) return;
    const counted = await trx
      .selectFrom('engagement')
      .select('earned_tenths')
      .where('tenant_id', '=', tenant.id)
      .where('learner_id', '=', launch.learnerId)
      .where('course_id', '=', launch.courseId)
      .where('period', '=', period)
      .executeTakeFirst();
    // With nothing stored yet there is no interval for the heartbeat to vouch for.
    if (!counted) return;
    await refreshEngagement(trx, tenant.id, launch.learnerId, launch.courseId, period, { actor: 'engine', events, at });
  });
  return { active: true, expiresAt: launch.expiresAt.toISOString(), verified: await verifiedSoFar(db, tenant.id, launch.learnerId, launch.courseId, period) };
}

/** What the server has verified of a learner's course this period, read from the stored engagement. */
async function verifiedSoFar(db: Db, tenantId: string, learnerId: string, courseId: string, period: string) {
  const row = await db
    .selectFrom('courses as c')
    .leftJoin('engagement as e', (j) => j.onRef('e.tenant_id', '=', 'c.tenant_id').onRef('e.course_id', '=', 'c.id').on('e.learner_id', '=', learnerId).on('e.period', '=', period))
    .select(['c.credits', 'c.length_seconds', 'e.coverage', 'e.earned_tenths'])
    .where('c.tenant_id', '=', tenantId)
    .where('c.id', '=', courseId)
    .executeTakeFirstOrThrow();
  const coverage = row.coverage ?? 0;
  return {
    coverage,
    watchedSeconds: Math.round(coverage * Number(row.length_seconds) * 10) / 10,
    earned: (row.earned_tenths ?? 0) / 10,
    credits: Number(row.credits),
  };
}

function takenOver(at: Date | string) {
  return new HttpError(409, 'session_taken_over', `this session was taken over by a newer launch at ${new Date(at).toISOString()}; continue there`);
}

/**
 * Feedback on this learner's answers to one question, across all their launches this period:
 * whether a counted attempt was right, how many more may count and what to watch again first.
 * The right answer is revealed (where the course allows) only once no further attempt can count.
 */
export async function answerFeedback(db: Db, { tenant, launch }: LaunchPrincipal, questionId: string, at: Date) {
  const course = await getCourse(db, tenant.id, launch.courseId);
  const question = course.questions.find((q) => q.id === questionId);
  if (!question) throw new HttpError(404, 'question_not_found', `course "${course.courseId}" has no question "${questionId}"`);
  const assessment = await assessLearnerCourse(db, tenant.id, launch.learnerId, course, periodAt(at).name);
  const result = assessment.questions.find((q) => q.id === questionId)!;
  return {
    answered: result.answered,
    correct: result.correct,
    attemptsLeft: result.attemptsLeft,
    ...(result.retryAfterRewatch ? { retryAfterRewatch: result.retryAfterRewatch } : {}),
    ...(question.revealAnswer && result.answered && result.attemptsLeft === 0 ? { correctResponses: question.correct } : {}),
  };
}

/** A `terminated` statement ends its launch, so a course that allows one session at a time frees up. */
export async function endLaunch(db: Db, tenantId: string, registration: string, at: Date): Promise<void> {
  await db.updateTable('launches').set({ ended_at: at }).where('tenant_id', '=', tenantId).where('registration', '=', registration).where('ended_at', 'is', null).execute();
}
