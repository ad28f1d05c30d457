import { publicQuestion } from '@xcredit/sdk/engagement';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { getCourse } from './courses.js';
import { assessLearnerCourse, periodOf } from './engagement.js';

type LaunchPrincipal = Extract<Principal, { kind: 'launch' }>;

export const heartbeatInput = z.strictObject({
  sessionId: z.string().min(1).max(200),
  time: z.number().min(0),
  playing: z.boolean(),
  /** The answer to an attention check, with the nonce the server issued. */
  attention: z.strictObject({ nonce: z.string().min(1).max(200) }).optional(),
});

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
    },
    policy: course.policy,
    questions: course.questions.map(publicQuestion),
    expiresAt: launch.expiresAt.toISOString(),
  };
}

/**
 * Keeps a session alive. A session a newer launch took over is told so (409), and the player
 * stops; its statements are still accepted, but time after the takeover earns nothing.
 */
export async function heartbeat(db: Db, { tenant, launch }: LaunchPrincipal, _input: z.infer<typeof heartbeatInput>, at: Date = new Date()) {
  const row = await db
    .selectFrom('launches')
    .select(['superseded_at', 'ended_at'])
    .where('tenant_id', '=', tenant.id)
    .where('registration', '=', launch.registration)
    .executeTakeFirstOrThrow();
  if (row.superseded_at) {
    throw new HttpError(409, 'session_taken_over', `this session was taken over by a newer launch at ${new Date(row.superseded_at).toISOString()}; continue there`);
  }
  await db.updateTable('launches').set({ last_heartbeat_at: at }).where('tenant_id', '=', tenant.id).where('registration', '=', launch.registration).execute();
  return { active: true, expiresAt: launch.expiresAt.toISOString() };
}

/**
 * Feedback on this learner's answers to one question, across all their launches this period:
 * whether a counted attempt was right, how many more may count and what to watch again first.
 * The right answer is revealed (where the course allows) only once no further attempt can count.
 */
export async function answerFeedback(db: Db, { tenant, launch }: LaunchPrincipal, questionId: string, at: Date = new Date()) {
  const course = await getCourse(db, tenant.id, launch.courseId);
  const question = course.questions.find((q) => q.id === questionId);
  if (!question) throw new HttpError(404, 'question_not_found', `course "${course.courseId}" has no question "${questionId}"`);
  const assessment = await assessLearnerCourse(db, tenant.id, launch.learnerId, course, periodOf(at));
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
export async function endLaunch(db: Db, tenantId: string, registration: string, at: Date = new Date()): Promise<void> {
  await db.updateTable('launches').set({ ended_at: at }).where('tenant_id', '=', tenantId).where('registration', '=', registration).where('ended_at', 'is', null).execute();
}
