import type { EngagementAssessment, EngagementFlag, GateResult } from '@xcredit/sdk/engagement';
import { sql, type Kysely } from 'kysely';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema.js';
import { HttpError } from '../http-error.js';
import { parsePeriod } from '../period.js';
import { getCourse, type Course } from '../catalog/courses.js';
import { assessTimeline, attentionChecksQuery, blockedWallOf, COUNTED_VERBS, launchesOf, ofLaunch, statementFacts, type HeartbeatFacts, type IssuedCheck, type StatementFacts } from './evidence.js';
import { ledgerTenths, lockLearner, reconcileCourseLedger, type CreditEvents, type ReconcileOptions } from './ledger.js';
import { reflectionState } from './reflection-gate.js';
import { readTimeline, saveCheckpoint, type OwnBatch, type TimelineKey } from './timeline.js';
import { learnerHeld } from './validity.js';
import { evidenceArchived } from '../xapi/archive.js';

type Q = Kysely<Database>;

export interface CourseCredits {
  courseId: string;
  title: string;
  kind: Course['kind'];
  category: string | null;
  credits: number;
  /** Credits this course brings this period (from the ledger, so make-up rules apply). */
  earned: number;
  coverage: number;
  attention: number;
  mastery: number;
  engagement: number;
  gates: GateResult[];
  flags: EngagementFlag[];
  verifiedSeconds: number;
  claimedSeconds: number;
  sessions: number;
  /**
   * For a course with a validity: when the learner's credits on it were earned and until when they
   * are valid; `carried` when earned in an earlier year and still valid in this one (it then counts
   * toward this year's required target, not its total). Null for other courses or when not held.
   */
  validity: { months: number; earnedIn: string; earnedAt: string; validUntil: string; carried: boolean } | null;
}

export interface LearnerCredits {
  learnerId: string;
  period: string;
  earned: number;
  courses: CourseCredits[];
}

/**
 * Everything the server knows of one learner's engagement with one course in a period, read
 * from raw statements and heartbeats of the learner's launch sessions and the server's receipt times.
 * Statements written by clients outside a launch are stored but never counted here.
 */
export async function assessLearnerCourse(db: Q, tenantId: string, learnerId: string, course: Course, period: string): Promise<EngagementAssessment> {
  const [{ rows }, reflection] = await Promise.all([fullTimelineQuery(db, tenantId, learnerId, course, period).execute(db), reflectionState(db, tenantId, learnerId, course)]);
  const { statements: facts, heartbeats: beats, checks } = rows[0]!;
  return assessTimeline(course, facts, beats, blockedWallOf(checks), reflection);
}

/** The whole timeline in one query, read without a checkpoint (what a batch read before checkpoints, and what `assessLearnerCourse` reads). */
export function fullTimelineQuery(db: Q, tenantId: string, learnerId: string, course: Course, period: string) {
  const { from, to } = parsePeriod(period);
  const launches = launchesOf(db, tenantId, learnerId, course.courseId);
  const statements = launches
    .innerJoinLateral(
      () =>
        ofLaunch(
          db
            .selectFrom('statements as s')
            .select(['s.seq', 's.stored', 's.verb_id', ...statementFacts()])
            .where('s.voided', '=', false)
            .where('s.verb_id', 'in', COUNTED_VERBS),
          's.launch_registration',
        ).as('n'),
      (j) => j.onTrue(),
    )
    .selectAll('n')
    .select('l.superseded_at')
    .where('n.stored', '>=', from)
    .where('n.stored', '<', to);
  const heartbeats = launches
    .innerJoinLateral(
      () => ofLaunch(db.selectFrom('heartbeats as h').select(['h.id', 'h.session_id', 'h.received_at', 'h.sent_at', 'h.media_time', 'h.playing']), 'h.registration').as('n'),
      (j) => j.onTrue(),
    )
    .selectAll('n')
    .where('n.received_at', '>=', from)
    .where('n.received_at', '<', to);
  // One round trip for the three reads.
  return sql<{ statements: StatementFacts[]; heartbeats: HeartbeatFacts[]; checks: IssuedCheck[] }>`select
    (select coalesce(json_agg(r order by r.seq), '[]') from (${statements}) as r) as statements,
    (select coalesce(json_agg(r order by r.received_at, r.id), '[]') from (${heartbeats}) as r) as heartbeats,
    (select coalesce(json_agg(r), '[]') from (${attentionChecksQuery(db, tenantId, learnerId, course.courseId, from, to)}) as r) as checks`;
}

/**
 * Brings one learner's engagement with one course for a period up to date, stores it, and brings
 * the ledger in line with it. Runs inside the transaction that stored the statements (holding the
 * learner's lock), so credits and statements never disagree. Reads only what arrived since the
 * timeline's checkpoint (`credits/timeline.ts`) and stores the checkpoint with the engagement.
 */
export async function refreshEngagement(
  db: Q,
  tenantId: string,
  learnerId: string,
  courseId: string,
  period: string,
  options: ReconcileOptions & { own?: OwnBatch },
): Promise<EngagementAssessment> {
  const course = await getCourse(db, tenantId, courseId);
  const key = { tenantId, learnerId, courseId, period };
  const { facts, checkpoint } = await readTimeline(db, key, options.own);
  // One more read only for a course that requires a reflection.
  const reflection = await reflectionState(db, tenantId, learnerId, course);
  const a = assessTimeline(course, facts.statements, facts.heartbeats, blockedWallOf(facts.checks), reflection);
  const row = engagementRow(a);
  const engagement = db
    .insertInto('engagement')
    .values({ tenant_id: tenantId, learner_id: learnerId, course_id: courseId, period, ...row })
    // A period with archived statements keeps the engagement it had: the evidence left says less.
    .onConflict((oc) => oc.columns(['tenant_id', 'learner_id', 'course_id', 'period']).doUpdateSet({ ...row, updated_at: new Date() }).where(sql<boolean>`not ${evidenceArchived(period)}`));
  // The checkpoint and the engagement in one round trip: the learner's lock is held meanwhile.
  await sql`with checkpoint as (${saveCheckpoint(db, key, checkpoint)}) ${engagement}`.execute(db);
  await reconcileCourseLedger(db, tenantId, learnerId, course, period, options, row);
  return a;
}

/**
 * Reads what a batch stored into its timeline's checkpoint without assessing it (a batch that
 * cannot change credits, e.g. `initialized` alone): its statements may have a `seq` below one a
 * concurrent batch already read, and only this batch knows them as its own.
 */
export async function foldTimeline(db: Q, key: TimelineKey, own: OwnBatch): Promise<void> {
  const { checkpoint } = await readTimeline(db, key, own);
  await saveCheckpoint(db, key, checkpoint).execute();
}

/** The `engagement` row an assessment is stored as. */
export function engagementRow(a: EngagementAssessment) {
  return {
    coverage: a.coverage,
    attention: a.attention,
    mastery: a.mastery,
    engagement: a.engagement,
    earned_tenths: Math.round(a.earned * 10),
    verified_seconds: a.verifiedSeconds,
    claimed_seconds: a.claimedSeconds,
    sessions: a.sessions,
    gates: JSON.stringify(a.gates),
    flags: JSON.stringify(a.flags),
  };
}

/** A learner's credits in a period, per course, from the engagement cache and the ledger. */
export async function learnerCredits(db: Db, tenantId: string, learnerId: string, period: string, onlyCourseId?: string): Promise<LearnerCredits> {
  const { from, to } = parsePeriod(period);
  const heldBy = await learnerHeld(db, tenantId, learnerId, period);
  const held = [...heldBy.keys()];
  const learnerQuery = db.selectFrom('learners').select('id').where('tenant_id', '=', tenantId).where('id', '=', learnerId).executeTakeFirst();
  let courses = db
    .selectFrom('courses as c')
    .leftJoin('engagement as e', (j) =>
      j.onRef('e.tenant_id', '=', 'c.tenant_id').onRef('e.course_id', '=', 'c.id').on('e.learner_id', '=', learnerId).on('e.period', '=', period),
    )
    .select(['c.id', 'c.title', 'c.kind', 'c.category', 'c.credits', 'c.questions', 'e.coverage', 'e.attention', 'e.mastery', 'e.engagement', 'e.gates', 'e.flags', 'e.verified_seconds', 'e.claimed_seconds', 'e.sessions'])
    .where('c.tenant_id', '=', tenantId)
    .where((eb) =>
      eb.or([
        eb('e.learner_id', 'is not', null),
        // A valid course earned in an earlier year shows in every year it is valid in.
        eb('c.id', 'in', held.length ? held : ['']),
        eb.exists(
          eb
            .selectFrom('launches as l')
            .select('l.registration')
            .whereRef('l.tenant_id', '=', 'c.tenant_id')
            .whereRef('l.course_id', '=', 'c.id')
            .where('l.learner_id', '=', learnerId)
            .where('l.created_at', '>=', from)
            .where('l.created_at', '<', to),
        ),
      ]),
    );
  if (onlyCourseId) courses = courses.where('c.id', '=', onlyCourseId);
  // Three independent reads, sent together (a pool runs them at once).
  const [learner, rows, byCourse] = await Promise.all([learnerQuery, courses.orderBy('c.id').execute(), ledgerTenths(db, tenantId, learnerId, period, 'course_id')]);
  const iso = (d: Date) => d.toISOString();
  if (!learner) throw new HttpError(404, 'learner_not_found', `no learner "${learnerId}" in this tenant`);
  const total = [...byCourse.values()].reduce((t, n) => t + n, 0);
  return {
    learnerId,
    period,
    earned: total / 10,
    courses: rows.map((r) => ({
      courseId: r.id,
      title: r.title,
      kind: r.kind,
      category: r.category,
      credits: Number(r.credits),
      earned: (byCourse.get(r.id) ?? 0) / 10,
      coverage: r.coverage ?? 0,
      attention: r.attention ?? 0,
      // Nothing watched yet: mastery is still 1 for a course with no questions.
      mastery: r.mastery ?? ((r.questions as unknown[]).length === 0 ? 1 : 0),
      engagement: r.engagement ?? 0,
      gates: (r.gates as GateResult[] | null) ?? [],
      flags: (r.flags as EngagementFlag[] | null) ?? [],
      verifiedSeconds: r.verified_seconds ?? 0,
      claimedSeconds: r.claimed_seconds ?? 0,
      sessions: r.sessions ?? 0,
      validity: ((h) => (h ? { months: h.months, earnedIn: h.earnedIn, earnedAt: iso(h.earnedAt), validUntil: iso(h.validUntil), carried: h.carried } : null))(heldBy.get(r.id)),
    })),
  };
}

/**
 * The rule for changing a course after learners earned credits: every open period is recomputed
 * with the new credits, length, questions and policy, and each difference is appended to the
 * ledger as an adjustment that says what changed. Closed periods are never touched.
 */
export async function adjustForCourseChange(db: Q, events: CreditEvents, tenantId: string, before: Course, after: Course, actor: string): Promise<number> {
  const changes: string[] = [];
  if (before.credits !== after.credits) changes.push(`credits ${before.credits} → ${after.credits}`);
  if (before.lengthSeconds !== after.lengthSeconds) changes.push(`length ${before.lengthSeconds} s → ${after.lengthSeconds} s`);
  if (JSON.stringify(before.policy) !== JSON.stringify(after.policy)) changes.push('policy changed');
  if (JSON.stringify(before.questions) !== JSON.stringify(after.questions)) changes.push('questions changed');
  if (before.makeUpFor !== after.makeUpFor) changes.push(`make-up for ${before.makeUpFor ?? 'none'} → ${after.makeUpFor ?? 'none'}`);
  if (Boolean(before.reflection) !== Boolean(after.reflection)) changes.push(after.reflection ? 'a reflection is now required' : 'a reflection is no longer required');
  if (!changes.length) return 0;
  const rows = await db
    .selectFrom('engagement as e')
    .leftJoin('periods as p', (j) => j.onRef('p.tenant_id', '=', 'e.tenant_id').onRef('p.period', '=', 'e.period'))
    .select(['e.learner_id', 'e.period'])
    .where('e.tenant_id', '=', tenantId)
    .where('e.course_id', '=', after.courseId)
    .where('p.closed_at', 'is', null)
    .execute();
  const reason = `course "${after.title}" changed: ${changes.join(', ')}`;
  for (const r of rows) {
    await lockLearner(db, tenantId, r.learner_id);
    await refreshEngagement(db, tenantId, r.learner_id, after.courseId, r.period, { actor, events, reason, source: 'adjustment' });
  }
  return rows.length;
}
