import { sql, type Selectable } from 'kysely';
import { getCourse } from '../catalog/courses.js';
import type { Db } from '../db/index.js';
import type { LaunchesTable } from '../db/schema.js';
import { getLearner } from '../learners/learners.js';
import { refreshEngagement } from './engagement.js';
import { lockLearner, toEntry, type CreditEvents, type LedgerEntry } from './ledger.js';
import { evidenceArchived } from '../xapi/archive.js';

/** A learner's ledger entries in one period; `total` is their sum. */
export async function learnerLedger(db: Db, tenantId: string, learnerId: string, period: string): Promise<{ learnerId: string; period: string; total: number; entries: LedgerEntry[] }> {
  const rows = await db.selectFrom('ledger').selectAll().where('tenant_id', '=', tenantId).where('learner_id', '=', learnerId).where('period', '=', period).orderBy('id').execute();
  const entries = rows.map(toEntry);
  return { learnerId, period, total: Math.round(entries.reduce((s, e) => s + e.amount * 10, 0)) / 10, entries };
}

const SESSION_COLUMNS = ['registration', 'created_at', 'last_heartbeat_at', 'ended_at', 'superseded_at'] as const;

const isoOrNull = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

/** A launch as the explanation lists it: when it started, was last heard of, ended or was taken over. */
function toSession(l: Pick<Selectable<LaunchesTable>, (typeof SESSION_COLUMNS)[number]>) {
  return {
    registration: l.registration,
    startedAt: new Date(l.created_at).toISOString(),
    lastHeartbeatAt: isoOrNull(l.last_heartbeat_at),
    endedAt: isoOrNull(l.ended_at),
    takenOverAt: isoOrNull(l.superseded_at),
  };
}

/** The engagement explanation: factors, gates, verified against claimed time, sessions and flags. */
export async function explain(db: Db, events: CreditEvents, tenantId: string, learnerId: string, courseId: string, period: string) {
  await getLearner(db, tenantId, learnerId);
  const course = await getCourse(db, tenantId, courseId);
  // Recomputed from raw statements on every call: the explanation never trusts a cache.
  const a = await db.transaction().execute(async (trx) => {
    await lockLearner(trx, tenantId, learnerId);
    return refreshEngagement(trx, tenantId, learnerId, courseId, period, { actor: 'engine', events });
  });
  const launches = await db
    .selectFrom('launches')
    .select(SESSION_COLUMNS)
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
  const archived = (await sql<{ archived: boolean }>`select ${evidenceArchived(period)} as archived`.execute(db)).rows[0]!.archived;
  if (archived) flags.push({ code: 'evidence_archived' as never, message: `some statements of ${period} were archived; this explanation covers the ones left, and the credits stay as they were` });
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
    sessions: launches.map(toSession),
    playerSessions: [...perSession].map(([sessionId, seconds]) => ({ sessionId, verifiedSeconds: Math.round(seconds * 10) / 10 })),
    flags,
  };
}
