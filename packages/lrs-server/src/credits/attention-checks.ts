import { randomBytes } from 'node:crypto';
import { blockedWall, checkMoments, tickPlayClock } from '@xcredit/sdk/engagement';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema.js';
import { getCourse } from './courses.js';
import { periodOf, refreshEngagement } from './engagement.js';
import { lockLearner } from './ledger.js';

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
 * The attention-check part of a heartbeat: records an answer it carries, moves the session's play
 * clock, issues the session's next check when the clock reaches it (only while playing) and hands
 * back the check the learner has to answer, if any. One check is open at a time per learner and
 * course, and an open one follows the learner into any new session or launch until answered.
 * A course whose policy asks for no checks issues none (one still open is still handed back).
 */
export async function attentionOnHeartbeat(
  db: Db,
  principal: LaunchPrincipal,
  input: { sessionId: string; playing: boolean; attention?: { nonce: string } | undefined },
  at: Date,
): Promise<{ attentionCheck?: AttentionCheckPrompt }> {
  const { tenant, launch } = principal;
  if (input.attention) await answerAttentionCheck(db, principal, { sessionId: input.sessionId, nonce: input.attention.nonce }, at);
  const course = await getCourse(db, tenant.id, launch.courseId);
  const { attentionChecks, promptTimeoutSeconds } = course.policy;
  if (attentionChecks <= 0) return prompt(await openCheck(db, principal));
  const key = { tenant_id: tenant.id, registration: launch.registration, session_id: input.sessionId };
  const check = await db.transaction().execute(async (trx) => {
    // One learner's heartbeats, answers and statements take turns: one open check at a time.
    await lockLearner(trx, tenant.id, launch.learnerId);
    const created = await trx.insertInto('attention_sessions').values(key).onConflict((oc) => oc.columns(['tenant_id', 'registration', 'session_id']).doNothing()).returning('session_id').executeTakeFirst();
    if (created) {
      // Planned now with the server's randomness; the client learns each one only when issued.
      const due = checkMoments(attentionChecks, course.lengthSeconds, () => randomBytes(4).readUInt32BE() / 2 ** 32);
      if (due.length) await trx.insertInto('attention_checks').values(due.map((d) => ({ ...key, nonce: randomBytes(16).toString('base64url'), due_seconds: d }))).execute();
    }
    const session = await sessionQuery(trx.selectFrom('attention_sessions'), key).selectAll().executeTakeFirstOrThrow();
    const clock = tickPlayClock(
      { playedSeconds: session.played_seconds, lastBeatAt: session.last_beat_at ? new Date(session.last_beat_at).getTime() : null, lastPlaying: session.last_playing },
      at.getTime(),
      input.playing,
    );
    await sessionQuery(trx.updateTable('attention_sessions'), key)
      .set({ played_seconds: clock.playedSeconds, last_beat_at: new Date(clock.lastBeatAt!), last_playing: clock.lastPlaying })
      .execute();
    const open = await openCheck(trx, principal);
    if (open || !input.playing) return open;
    const next = await sessionQuery(trx.selectFrom('attention_checks'), key)
      .select('nonce')
      .where('issued_at', 'is', null)
      .where('due_seconds', '<=', clock.playedSeconds)
      .orderBy('due_seconds')
      .executeTakeFirst();
    if (!next) return undefined;
    const expiresAt = new Date(at.getTime() + promptTimeoutSeconds * 1000);
    await trx.updateTable('attention_checks').set({ issued_at: at, expires_at: expiresAt }).where('tenant_id', '=', tenant.id).where('nonce', '=', next.nonce).execute();
    return { nonce: next.nonce, issued_at: at, expires_at: expiresAt };
  });
  return prompt(check);
}

function openCheck(db: Q, principal: LaunchPrincipal) {
  return learnerChecks(db, principal).select(['c.nonce', 'c.issued_at', 'c.expires_at']).where('c.answered_at', 'is', null).orderBy('c.issued_at').executeTakeFirst();
}

function prompt(check: { nonce: string; issued_at: Date | null; expires_at: Date | null } | undefined): { attentionCheck?: AttentionCheckPrompt } {
  if (!check) return {};
  const issued = new Date(check.issued_at!).getTime();
  const expires = new Date(check.expires_at!).getTime();
  return { attentionCheck: { nonce: check.nonce, expiresAt: new Date(expires).toISOString(), windowSeconds: Math.round((expires - issued) / 1000) } };
}

/**
 * Records the learner's answer to a check. It counts only with a nonce the server issued to this
 * learner for this course, within the window; a late answer ends the check's block from then on.
 * An answer the server has already recorded is answered the same way again, so a retry is harmless.
 */
export async function answerAttentionCheck(db: Db, principal: LaunchPrincipal, input: z.infer<typeof attentionInput>, at: Date): Promise<{ accepted: boolean; reason?: string }> {
  const { tenant, launch } = principal;
  return db.transaction().execute(async (trx) => {
    await lockLearner(trx, tenant.id, launch.learnerId);
    const check = await learnerChecks(trx, principal).select(['c.issued_at', 'c.expires_at', 'c.answered_at']).where('c.nonce', '=', input.nonce).executeTakeFirst();
    if (!check) return { accepted: false, reason: 'not_issued' };
    const answeredAt = check.answered_at ? new Date(check.answered_at) : at;
    if (!check.answered_at) {
      await trx.updateTable('attention_checks').set({ answered_at: at }).where('tenant_id', '=', tenant.id).where('nonce', '=', input.nonce).execute();
      // The check's block ends (or, answered in time, never was): credit what was played meanwhile.
      await refreshEngagement(trx, tenant.id, launch.learnerId, launch.courseId, periodOf(new Date(check.issued_at!)), { actor: 'engine' });
    }
    return answeredAt.getTime() <= new Date(check.expires_at!).getTime() ? { accepted: true } : { accepted: false, reason: 'late' };
  });
}

/** Wall-clock windows in which one learner's course earns nothing: their missed attention checks. */
export async function attentionBlockedWall(db: Q, tenantId: string, learnerId: string, courseId: string, from: Date, to: Date): Promise<[number, number][]> {
  const rows = await issuedChecks(db)
    .select(['c.issued_at', 'c.expires_at', 'c.answered_at'])
    .where('c.tenant_id', '=', tenantId)
    .where('l.learner_id', '=', learnerId)
    .where('l.course_id', '=', courseId)
    .where('c.issued_at', '<', to)
    .where((eb) => eb.or([eb('c.answered_at', 'is', null), eb('c.answered_at', '>=', from)]))
    .execute();
  return blockedWall(rows.map(toIssued));
}

/** The same windows for many learners at once, by `tenant|learner|course` (for recompute). */
export async function attentionBlockedWallOf(db: Q, learners: readonly { tenant_id: string; learner_id: string }[]): Promise<Map<string, [number, number][]>> {
  if (!learners.length) return new Map();
  const rows = await issuedChecks(db)
    .select(['c.issued_at', 'c.expires_at', 'c.answered_at'])
    .where(sql<boolean>`(l.tenant_id, l.learner_id) in (select * from unnest(${learners.map((l) => l.tenant_id)}::text[], ${learners.map((l) => l.learner_id)}::text[]))`)
    .execute();
  const byKey = new Map<string, ReturnType<typeof toIssued>[]>();
  for (const r of rows) {
    const key = `${r.tenant_id}|${r.learner_id}|${r.course_id}`;
    byKey.set(key, [...(byKey.get(key) ?? []), toIssued(r)]);
  }
  return new Map([...byKey].map(([key, checks]) => [key, blockedWall(checks)]));
}

/** The checks issued to one learner for the launched course, in any of their sessions and launches. */
function learnerChecks(db: Q, { tenant, launch }: LaunchPrincipal) {
  return issuedChecks(db).where('c.tenant_id', '=', tenant.id).where('l.learner_id', '=', launch.learnerId).where('l.course_id', '=', launch.courseId);
}

function issuedChecks(db: Q) {
  return db
    .selectFrom('attention_checks as c')
    .innerJoin('launches as l', (j) => j.onRef('l.tenant_id', '=', 'c.tenant_id').onRef('l.registration', '=', 'c.registration'))
    .select(['c.tenant_id', 'l.learner_id', 'l.course_id'])
    .where('c.issued_at', 'is not', null);
}

const time = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());
const toIssued = (r: { issued_at: Date | null; expires_at: Date | null; answered_at: Date | null }) => ({ issuedAt: time(r.issued_at)!, expiresAt: time(r.expires_at)!, answeredAt: time(r.answered_at) });

/** Narrows a query on either attention table to one player session. */
function sessionQuery<T extends { where: (...args: any[]) => any }>(query: T, key: { tenant_id: string; registration: string; session_id: string }): T {
  return query.where('tenant_id', '=', key.tenant_id).where('registration', '=', key.registration).where('session_id', '=', key.session_id) as T;
}
