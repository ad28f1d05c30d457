import { randomBytes } from 'node:crypto';
import { checkMoment, tickPlayClock } from '@xcredit/sdk/engagement';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema.js';
import { getCourse } from '../catalog/courses.js';
import { periodOf, refreshEngagement } from './engagement.js';
import { issuedChecks } from './evidence.js';
import { lockLearner, type CreditEvents } from './ledger.js';

type LaunchPrincipal = Extract<Principal, { kind: 'launch' }>;
type Q = Kysely<Database>;

export const attentionInput = z.strictObject({
  sessionId: z.string().min(1).max(200),
  nonce: z.string().min(1).max(200),
});

/** What a heartbeat answer carries when the learner has a check to answer. */
export interface AttentionCheckPrompt {
  nonce: string;
  /** End of the answer window; in the past for a missed check, which still waits for its answer. */
  expiresAt: string;
  windowSeconds: number;
}

/**
 * The attention-check part of a heartbeat: records an answer it carries, moves the learner's play
 * clock on the course, issues a check when the clock reaches the next due moment (only while
 * playing) and hands back the check the learner has to answer, if any. The clock and the plan
 * belong to the learner and course, not to a session, so a new session or launch neither resets
 * them nor escapes an open check; one check is open at a time. A course whose policy asks for no
 * checks issues none (one still open is still handed back).
 */
export async function attentionOnHeartbeat(
  db: Db,
  events: CreditEvents,
  principal: LaunchPrincipal,
  input: { sessionId: string; playing: boolean; attention?: { nonce: string } | undefined },
  at: Date,
): Promise<{ attentionCheck?: AttentionCheckPrompt }> {
  const { tenant, launch } = principal;
  if (input.attention) await answerAttentionCheck(db, events, principal, { sessionId: input.sessionId, nonce: input.attention.nonce }, at);
  const course = await getCourse(db, tenant.id, launch.courseId);
  const { attentionChecks: count, promptTimeoutSeconds } = course.policy;
  if (count <= 0) return prompt(await openCheck(db, principal));
  const moment = (index: number) => checkMoment(index, count, course.lengthSeconds, () => randomBytes(4).readUInt32BE() / 2 ** 32);
  const key = { tenant_id: tenant.id, learner_id: launch.learnerId, course_id: launch.courseId };
  const timeline = (q: Q) => q.selectFrom('attention_timelines').where('tenant_id', '=', key.tenant_id).where('learner_id', '=', key.learner_id).where('course_id', '=', key.course_id);
  return prompt(
    await db.transaction().execute(async (trx) => {
      // One learner's heartbeats, answers and statements take turns: one open check at a time.
      await lockLearner(trx, tenant.id, launch.learnerId);
      await trx.insertInto('attention_timelines').values({ ...key, next_due_seconds: moment(0) }).onConflict((oc) => oc.columns(['tenant_id', 'learner_id', 'course_id']).doNothing()).execute();
      const t = await timeline(trx).selectAll().executeTakeFirstOrThrow();
      const clock = tickPlayClock({ playedSeconds: t.played_seconds, lastBeatAt: t.last_beat_at ? new Date(t.last_beat_at).getTime() : null, lastPlaying: t.last_playing }, at.getTime(), input.playing);
      const open = await openCheck(trx, principal);
      const issue = !open && input.playing && clock.playedSeconds >= t.next_due_seconds;
      // A check long overdue (playing went on while another was open) does not bring the next one with it.
      const next = issue ? { issued: t.issued + 1, next_due_seconds: Math.max(moment(t.issued + 1), clock.playedSeconds + (course.lengthSeconds * 0.4) / count) } : {};
      await trx
        .updateTable('attention_timelines')
        .set({ played_seconds: clock.playedSeconds, last_beat_at: new Date(clock.lastBeatAt!), last_playing: clock.lastPlaying, ...next })
        .where('tenant_id', '=', key.tenant_id)
        .where('learner_id', '=', key.learner_id)
        .where('course_id', '=', key.course_id)
        .execute();
      if (!issue) return open;
      const check = { nonce: randomBytes(16).toString('base64url'), issued_at: at, expires_at: new Date(at.getTime() + promptTimeoutSeconds * 1000) };
      await trx.insertInto('attention_checks').values({ tenant_id: tenant.id, registration: launch.registration, session_id: input.sessionId, ...check }).execute();
      return check;
    }),
  );
}

/**
 * Records the learner's answer to a check. It counts only with a nonce the server issued to this
 * learner for this course, within the window; a late answer ends the check's block from then on.
 * An answer the server has already recorded is answered the same way again, so a retry is harmless.
 */
export async function answerAttentionCheck(db: Db, events: CreditEvents, principal: LaunchPrincipal, input: z.infer<typeof attentionInput>, at: Date): Promise<{ accepted: boolean; reason?: string }> {
  const { tenant, launch } = principal;
  return db.transaction().execute(async (trx) => {
    await lockLearner(trx, tenant.id, launch.learnerId);
    const check = await learnerChecks(trx, principal).select(['c.issued_at', 'c.expires_at', 'c.answered_at']).where('c.nonce', '=', input.nonce).executeTakeFirst();
    if (!check) return { accepted: false, reason: 'not_issued' };
    const answeredAt = check.answered_at ? new Date(check.answered_at) : at;
    if (!check.answered_at) {
      await trx.updateTable('attention_checks').set({ answered_at: at }).where('tenant_id', '=', tenant.id).where('nonce', '=', input.nonce).execute();
      // The check's block ends (or, answered in time, never was): credit what was played meanwhile.
      await refreshEngagement(trx, tenant.id, launch.learnerId, launch.courseId, periodOf(new Date(check.issued_at)), { actor: 'engine', events });
    }
    return answeredAt.getTime() <= new Date(check.expires_at).getTime() ? { accepted: true } : { accepted: false, reason: 'late' };
  });
}

function openCheck(db: Q, principal: LaunchPrincipal) {
  return learnerChecks(db, principal).select(['c.nonce', 'c.issued_at', 'c.expires_at']).where('c.answered_at', 'is', null).orderBy('c.issued_at').executeTakeFirst();
}

function prompt(check: { nonce: string; issued_at: Date; expires_at: Date } | undefined): { attentionCheck?: AttentionCheckPrompt } {
  if (!check) return {};
  const issued = new Date(check.issued_at).getTime();
  const expires = new Date(check.expires_at).getTime();
  return { attentionCheck: { nonce: check.nonce, expiresAt: new Date(expires).toISOString(), windowSeconds: Math.round((expires - issued) / 1000) } };
}

/** The checks issued to one learner for the launched course, in any of their sessions and launches. */
function learnerChecks(db: Q, { tenant, launch }: LaunchPrincipal) {
  return issuedChecks(db).where('c.tenant_id', '=', tenant.id).where('l.learner_id', '=', launch.learnerId).where('l.course_id', '=', launch.courseId);
}
