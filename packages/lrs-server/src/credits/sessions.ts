import { publicQuestion, scoreResponse } from '@xcredit/sdk/engagement';
import { questionActivityId, Verbs } from '@xcredit/sdk/xapi';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { getCourse } from './courses.js';

type LaunchPrincipal = Extract<Principal, { kind: 'launch' }>;

export const heartbeatInput = z.strictObject({
  sessionId: z.string().min(1).max(200),
  time: z.number().min(0),
  playing: z.boolean(),
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

/** Feedback for one question, scored by the server from the first answer this session sent. */
export async function answerFeedback(db: Db, { tenant, launch }: LaunchPrincipal, questionId: string) {
  const course = await getCourse(db, tenant.id, launch.courseId);
  const question = course.questions.find((q) => q.id === questionId);
  if (!question) throw new HttpError(404, 'question_not_found', `course "${course.courseId}" has no question "${questionId}"`);
  const row = await db
    .selectFrom('statements')
    .select('statement')
    .where('tenant_id', '=', tenant.id)
    .where('launch_registration', '=', launch.registration)
    .where('verb_id', '=', Verbs.answered)
    .where('activity_id', '=', questionActivityId(course.activityId, questionId))
    .where('voided', '=', false)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  const response = (row?.statement as { result?: { response?: unknown } } | undefined)?.result?.response;
  if (typeof response !== 'string') return { answered: false, correct: false };
  return {
    answered: true,
    correct: scoreResponse(question, response) === 1,
    ...(question.revealAnswer ? { correctResponses: question.correct } : {}),
  };
}

/** A `terminated` statement ends its launch, so a course that allows one session at a time frees up. */
export async function endLaunch(db: Db, tenantId: string, registration: string, at: Date = new Date()): Promise<void> {
  await db.updateTable('launches').set({ ended_at: at }).where('tenant_id', '=', tenantId).where('registration', '=', registration).where('ended_at', 'is', null).execute();
}
