import { assessEngagement, blockedWall, withReflection, type AnswerEvent, type EngagementAssessment, type ReflectionState, type TrackedEvent } from '@xcredit/sdk/engagement';
import { questionActivityId, VideoExt, Verbs, XcreditExt } from '@xcredit/sdk/xapi';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Course } from '../catalog/courses.js';

/** xAPI verb id → the video event the engine reads from it. */
export const VIDEO_VERBS: Record<string, TrackedEvent['verb']> = {
  [Verbs.initialized]: 'initialized',
  [Verbs.played]: 'played',
  [Verbs.paused]: 'paused',
  [Verbs.seeked]: 'seeked',
  [Verbs.completed]: 'completed',
  [Verbs.terminated]: 'terminated',
};
/** Verbs of statements that count toward credits. */
export const COUNTED_VERBS = [...Object.keys(VIDEO_VERBS), Verbs.answered];

/** Whether newly stored verbs can change credits: `initialized` alone says nothing of what was watched. */
export const changesCredits = (verbs: readonly string[]) => verbs.some((v) => v !== Verbs.initialized && COUNTED_VERBS.includes(v));

const part = (path: string[]) => sql<unknown>`s.statement #> ${`{${path.map((p) => `"${p}"`).join(',')}}`}`;

/**
 * The parts of a stored statement (table alias `s`) the engine reads, as JSON values: the
 * incremental path and `xcredit recompute` select exactly these and convert them with
 * `toTimeline`, so both judge the same facts the same way.
 */
export const statementFacts = () => [
  part(['context', 'extensions', VideoExt.sessionId]).as('session'),
  part(['context', 'registration']).as('registration'),
  part(['object', 'id']).as('object_id'),
  part(['timestamp']).as('timestamp'),
  part(['result', 'extensions', VideoExt.time]).as('t'),
  part(['result', 'extensions', VideoExt.timeFrom]).as('t_from'),
  part(['result', 'extensions', VideoExt.timeTo]).as('t_to'),
  part(['result', 'extensions', XcreditExt.focusedSeconds]).as('focused'),
  part(['result', 'extensions', XcreditExt.unattendedSegments]).as('unattended'),
  part(['result', 'extensions', VideoExt.progress]).as('progress'),
  part(['result', 'response']).as('response'),
  part(['result', 'success']).as('success'),
];

/** One stored statement as `statementFacts` selects it, with its receipt and its launch's takeover time. */
export interface StatementFacts {
  stored: Date | string;
  verb_id: string;
  superseded_at: Date | string | null;
  session: unknown;
  registration: unknown;
  object_id: unknown;
  timestamp: unknown;
  t: unknown;
  t_from: unknown;
  t_to: unknown;
  focused: unknown;
  unattended: unknown;
  progress: unknown;
  response: unknown;
  success: unknown;
}

/** One stored heartbeat. */
export interface HeartbeatFacts {
  session_id: string;
  received_at: Date | string;
  sent_at: Date | string | null;
  media_time: number;
  playing: boolean;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const ms = (v: Date | string) => new Date(v).getTime();

/**
 * A learner's timeline on one course, in the engine's terms: statements (in stored order) then
 * heartbeats (in receipt order) as events, and the answers. Statements after a takeover still
 * play (the engine cuts their time), answers after it do not count.
 */
export function toTimeline(course: Course, statements: readonly StatementFacts[], heartbeats: readonly HeartbeatFacts[]): { events: TrackedEvent[]; answers: AnswerEvent[] } {
  const events: TrackedEvent[] = [];
  const answers: AnswerEvent[] = [];
  const questionPrefix = questionActivityId(course.activityId, '');
  for (const r of statements) {
    const stored = ms(r.stored);
    const cutoff = r.superseded_at ? ms(r.superseded_at) : undefined;
    const sessionId = String(r.session ?? r.registration ?? 'none');
    if (r.verb_id === Verbs.answered) {
      const objectId = typeof r.object_id === 'string' ? r.object_id : '';
      if (!objectId.startsWith(questionPrefix) || typeof r.response !== 'string') continue;
      answers.push({
        sessionId,
        questionId: decodeURIComponent(objectId.slice(questionPrefix.length)),
        response: r.response,
        receivedAt: stored,
        claimedSuccess: typeof r.success === 'boolean' ? r.success : undefined,
        cutoffAt: cutoff,
      });
      continue;
    }
    const verb = VIDEO_VERBS[r.verb_id];
    if (!verb) continue;
    // A statement without its own timestamp got the receipt time: it says nothing about the client's clock.
    const sent = typeof r.timestamp === 'string' ? Date.parse(r.timestamp) : Number.NaN;
    events.push({
      sessionId,
      verb,
      receivedAt: stored,
      sentAt: Number.isFinite(sent) && sent !== stored ? sent : undefined,
      time: verb === 'seeked' ? num(r.t_from) : num(r.t),
      timeTo: verb === 'seeked' ? num(r.t_to) : undefined,
      focusedSeconds: num(r.focused),
      unattendedSegments: typeof r.unattended === 'string' ? r.unattended : undefined,
      claimedProgress: num(r.progress),
      cutoffAt: cutoff,
    });
  }
  for (const h of heartbeats) events.push(heartbeatEvent(h));
  return { events, answers };
}

/**
 * The engine's judgement of one timeline: the incremental path and `recompute` both end here. A
 * course that requires a reflection credits only once it is approved (`reflection`: where it stands).
 */
export function assessTimeline(
  course: Course,
  statements: readonly StatementFacts[],
  heartbeats: readonly HeartbeatFacts[],
  blockedWall?: [number, number][],
  reflection?: ReflectionState | null,
): EngagementAssessment {
  const { events, answers } = toTimeline(course, statements, heartbeats);
  const a = assessEngagement({ credits: course.credits, lengthSeconds: course.lengthSeconds, policy: course.policy, questions: course.questions, events, answers, blockedWall });
  return withReflection(a, course.reflection, reflection);
}

/** A stored heartbeat as the engine's evidence. */
export function heartbeatEvent(h: HeartbeatFacts): TrackedEvent {
  return {
    sessionId: h.session_id,
    verb: 'heartbeat',
    receivedAt: ms(h.received_at),
    sentAt: h.sent_at ? ms(h.sent_at) : undefined,
    time: h.media_time,
    playing: h.playing,
  };
}

type Q = Kysely<Database>;

/** One learner's attention checks that may block wall-clock time in [from, to), as `blockedWallOf` reads them. */
export function attentionChecksQuery(db: Q, tenantId: string, learnerId: string, courseId: string, from: Date, to: Date) {
  const checks = db
    .selectFrom('attention_checks as c')
    .select(['c.tenant_id', 'c.issued_at', 'c.expires_at', 'c.answered_at'])
    .where('c.issued_at', '<', to)
    .where((eb) => eb.or([eb('c.answered_at', 'is', null), eb('c.answered_at', '>=', from)]));
  return launchesOf(db, tenantId, learnerId, courseId)
    .innerJoinLateral(() => ofLaunch(checks, 'c.registration').as('c'), (j) => j.onTrue())
    .select(['c.tenant_id', 'l.learner_id', 'l.course_id', 'c.issued_at', 'c.expires_at', 'c.answered_at']);
}

/** One learner's launches of one course, as `l`: the rows `ofLaunch` reads each launch's evidence beside. */
export function launchesOf(db: Q, tenantId: string, learnerId: string, courseId: string) {
  return db.selectFrom('launches as l').where('l.tenant_id', '=', tenantId).where('l.learner_id', '=', learnerId).where('l.course_id', '=', courseId);
}

/**
 * Narrows a query of rows keyed by launch to the launch `l` of the enclosing lateral join, so
 * each launch's rows are read as one range of an index led by (tenant_id, registration). Joined
 * plainly instead, the planner may read the tenant's whole range and filter it when its
 * statistics are stale (a table that just grew), and that read grows with every other learner's
 * activity. `offset 0` keeps PostgreSQL from flattening the subquery back into such a join, and
 * from pushing conditions of the outer query into it: filter on the period (`stored`,
 * `received_at`) outside, or the planner may read the tenant's period on that index instead.
 */
export function ofLaunch<Q extends { where: (...args: any[]) => Q; offset: (n: number) => Q }>(query: Q, registrationColumn: string): Q {
  const [table] = registrationColumn.split('.');
  // `is not null` lets statements_launch, a partial index, be used.
  return query.where(sql.raw<boolean>(`${table}.tenant_id = l.tenant_id and ${registrationColumn} = l.registration and ${registrationColumn} is not null`)).offset(0);
}

/** One issued attention check as `attentionChecksQuery` selects it (dates as JSON strings when aggregated). */
export interface IssuedCheck {
  issued_at: Date | string;
  expires_at: Date | string;
  answered_at: Date | string | null;
}

/** Wall-clock windows in which one learner's course earns nothing: their missed attention checks. */
export function blockedWallOf(checks: readonly IssuedCheck[]): [number, number][] {
  return blockedWall(checks.map(toIssued));
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

/** Attention checks issued in launches (tables `c` and `l`), with their tenant, learner and course. */
export function issuedChecks(db: Q) {
  return db
    .selectFrom('attention_checks as c')
    .innerJoin('launches as l', (j) => j.onRef('l.tenant_id', '=', 'c.tenant_id').onRef('l.registration', '=', 'c.registration'))
    .select(['c.tenant_id', 'l.learner_id', 'l.course_id']);
}

const toIssued = (r: IssuedCheck) => ({
  issuedAt: new Date(r.issued_at).getTime(),
  expiresAt: new Date(r.expires_at).getTime(),
  answeredAt: r.answered_at === null ? null : new Date(r.answered_at).getTime(),
});
