import type { StatementsQuery } from '@xcredit/sdk/contracts';
import { formatDuration, type EngagementAssessment, type VerifiedInterval } from '@xcredit/sdk/engagement';
import { questionActivityId, VideoExt, Verbs } from '@xcredit/sdk/xapi';
import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { getCourse, type Course } from '../catalog/courses.js';
import { periodAt } from '../period.js';
import { assessLearnerCourse } from './engagement.js';
import { COUNTED_VERBS, VIDEO_VERBS } from './evidence.js';

/**
 * What the server made of one statement:
 * - `counted`: it is part of what the engine credits, as stored;
 * - `capped`: it counted, but for less than it claimed (the clock, missing evidence, a takeover, a missed check);
 * - `flagged`: it counted, with something an admin should know (played while the page was hidden, a false success claim);
 * - `not_counted`: stored, but it earns nothing (a verb that does not count, an answer past its attempts);
 * - `outside_launch`: written with a client key, not in a launch: stored, never counted;
 * - `voided`: voided by a later statement.
 */
export type StatementVerdict = 'counted' | 'capped' | 'flagged' | 'not_counted' | 'outside_launch' | 'voided';

export interface ExplainedStatement {
  id: string;
  /** The server's receipt time: the only time the engine trusts. */
  stored: string;
  /** The client's time for it, if it gave one. */
  timestamp: string | null;
  verb: string;
  verbId: string;
  /** The learner of its launch, or the account name of its actor outside a launch. */
  learnerId: string | null;
  courseId: string | null;
  period: string;
  registration: string | null;
  sessionId: string | null;
  /** `launch` (written with a launch token) or the client key that wrote it. */
  source: string;
  objectId: string | null;
  /** Media seconds it reports: `time`, or `from`/`to` for a seek. */
  media: { time?: number; from?: number; to?: number };
  verdict: StatementVerdict;
  /** The engine's explanation, in plain words. */
  explanation: string;
}

const SHORT_VERBS: Record<string, string> = Object.fromEntries(Object.entries(Verbs).map(([name, id]) => [id, name]));
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/**
 * The statement browser: statements of the tenant, newest first, filtered by learner, course,
 * verb and receipt time, each with what the credits engine made of it. Support's answer to
 * "why didn't I get my credits?". One page at a time; `nextCursor` continues.
 */
export async function explainStatements(db: Db, tenantId: string, q: Omit<StatementsQuery, 'limit'> & { limit: number }) {
  const tenant = await db.selectFrom('tenants').select('home_page').where('id', '=', tenantId).executeTakeFirstOrThrow();
  const course = q.courseId ? await getCourse(db, tenantId, q.courseId).catch(() => undefined) : undefined;
  if (q.courseId && !course) throw new HttpError(400, 'invalid_input', `courseId: no course "${q.courseId}" in this tenant`, [{ path: 'courseId', message: `no course "${q.courseId}" in this tenant` }]);
  let query = db
    .selectFrom('statements as s')
    .leftJoin('launches as l', (j) => j.onRef('l.tenant_id', '=', 's.tenant_id').onRef('l.registration', '=', 's.launch_registration'))
    .select([
      's.seq',
      's.id',
      's.stored',
      's.verb_id',
      's.actor_key',
      's.activity_id',
      's.launch_registration',
      's.client_key',
      's.voided',
      'l.learner_id',
      'l.course_id',
      'l.superseded_at',
      sql<unknown>`s.statement -> 'timestamp'`.as('timestamp'),
      sql<unknown>`s.statement #> '{context,registration}'`.as('registration'),
      sql<unknown>`s.statement #> ${`{context,extensions,${VideoExt.sessionId}}`}`.as('session'),
      sql<unknown>`s.statement #> ${`{result,extensions,${VideoExt.time}}`}`.as('t'),
      sql<unknown>`s.statement #> ${`{result,extensions,${VideoExt.timeFrom}}`}`.as('t_from'),
      sql<unknown>`s.statement #> ${`{result,extensions,${VideoExt.timeTo}}`}`.as('t_to'),
    ])
    .where('s.tenant_id', '=', tenantId);
  if (q.learnerId) {
    const actorKey = `account:${tenant.home_page}|${q.learnerId}`;
    query = query.where((eb) => eb.or([eb('l.learner_id', '=', q.learnerId!), eb('s.actor_key', '=', actorKey)]));
  }
  if (course) {
    const prefix = questionActivityId(course.activityId, '');
    query = query.where((eb) =>
      eb.or([eb('l.course_id', '=', course.courseId), eb.and([eb('s.launch_registration', 'is', null), eb.or([eb('s.activity_id', '=', course.activityId), eb('s.activity_id', 'like', `${prefix.replace(/[\\%_]/g, '\\$&')}%`)])])]),
    );
  }
  if (q.verb) query = query.where('s.verb_id', '=', (Verbs as Record<string, string>)[q.verb] ?? q.verb);
  if (q.since) query = query.where('s.stored', '>=', new Date(q.since));
  if (q.until) query = query.where('s.stored', '<', new Date(q.until));
  if (q.cursor) query = query.where('s.seq', '<', q.cursor);
  const rows = await query.orderBy('s.seq', 'desc').limit(q.limit + 1).execute();
  const page = rows.slice(0, q.limit);

  // One assessment per learner, course and period on the page: the engine's own view of each.
  const courses = new Map<string, Course | undefined>();
  const assessments = new Map<string, EngagementAssessment>();
  for (const r of page) {
    if (!r.learner_id || !r.course_id) continue;
    const period = periodAt(new Date(r.stored)).name;
    const key = `${r.learner_id}|${r.course_id}|${period}`;
    if (assessments.has(key)) continue;
    if (!courses.has(r.course_id)) courses.set(r.course_id, await getCourse(db, tenantId, r.course_id).catch(() => undefined));
    const c = courses.get(r.course_id);
    if (c) assessments.set(key, await assessLearnerCourse(db, tenantId, r.learner_id, c, period));
  }

  const accountPrefix = `account:${tenant.home_page}|`;
  const statements: ExplainedStatement[] = page.map((r) => {
    const stored = new Date(r.stored);
    const period = periodAt(stored).name;
    const sessionId = typeof r.session === 'string' ? r.session : null;
    const media = { time: num(r.t), from: num(r.t_from), to: num(r.t_to) };
    const base = {
      id: r.id,
      stored: stored.toISOString(),
      timestamp: typeof r.timestamp === 'string' ? r.timestamp : null,
      verb: SHORT_VERBS[r.verb_id] ?? r.verb_id,
      verbId: r.verb_id,
      learnerId: r.learner_id ?? (r.actor_key.startsWith(accountPrefix) ? r.actor_key.slice(accountPrefix.length) : null),
      courseId: r.course_id ?? (course ? course.courseId : null),
      period,
      registration: typeof r.registration === 'string' ? r.registration : null,
      sessionId,
      source: r.launch_registration ? 'launch' : `client ${r.client_key ?? 'unknown'}`,
      objectId: r.activity_id,
      media: Object.fromEntries(Object.entries(media).filter(([, v]) => v !== undefined)),
    };
    const c = r.course_id ? courses.get(r.course_id) : undefined;
    const a = r.learner_id && r.course_id ? assessments.get(`${r.learner_id}|${r.course_id}|${period}`) : undefined;
    return { ...base, ...verdictOf(r, stored, sessionId ?? (typeof r.registration === 'string' ? r.registration : 'none'), media, c, a) };
  });
  return { statements, nextCursor: rows.length > q.limit ? String(page[page.length - 1]!.seq) : null };
}

function verdictOf(
  r: { voided: boolean; launch_registration: string | null; client_key: string | null; verb_id: string; activity_id: string | null; superseded_at: Date | string | null },
  stored: Date,
  sessionId: string,
  media: { time?: number; from?: number; to?: number },
  course: Course | undefined,
  a: EngagementAssessment | undefined,
): { verdict: StatementVerdict; explanation: string } {
  if (r.voided) return { verdict: 'voided', explanation: 'voided by a later statement; not counted' };
  if (!r.launch_registration) {
    return { verdict: 'outside_launch', explanation: `written by client key ${r.client_key ?? 'unknown'} outside a launch; stored, never counted (credits come only from launch sessions the server issued)` };
  }
  if (!COUNTED_VERBS.includes(r.verb_id)) return { verdict: 'not_counted', explanation: 'stored; this verb does not count toward credits' };
  if (!course || !a) return { verdict: 'not_counted', explanation: 'its course no longer exists; not counted' };
  const at = stored.getTime();
  const cutoff = r.superseded_at ? new Date(r.superseded_at).getTime() : undefined;
  if (r.verb_id === Verbs.answered) {
    const prefix = questionActivityId(course.activityId, '');
    const qid = r.activity_id?.startsWith(prefix) ? decodeURIComponent(r.activity_id.slice(prefix.length)) : undefined;
    const question = a.questions.find((x) => x.id === qid);
    const attempt = question?.attempts.find((x) => Date.parse(x.at) === at);
    if (!question || !attempt) return { verdict: 'not_counted', explanation: 'an answer to no question of this course; not counted' };
    const falseClaim = a.flags.some((f) => f.code === 'false_success_claim' && f.message.startsWith(`question ${question.number}:`));
    if (attempt.counted && !attempt.correct && falseClaim) return { verdict: 'flagged', explanation: `question ${question.number}: ${attempt.reason}; the player claimed success for this wrong answer` };
    return { verdict: attempt.counted ? 'counted' : 'not_counted', explanation: `question ${question.number}: ${attempt.reason}` };
  }
  const verb = VIDEO_VERBS[r.verb_id]!;
  const mine = (i: VerifiedInterval) => i.sessionId === sessionId;
  const closes = a.verification.intervals.find((i) => mine(i) && !i.provisional && i.closedAt === at && (media.time === undefined || i.claimed[1] === media.time || verb === 'seeked'));
  if (closes) return intervalVerdict(closes);
  const opens = a.verification.intervals.find((i) => mine(i) && i.openedAt === at && (i.claimed[0] === media.time || i.claimed[0] === media.to));
  if (opens) {
    const verified = opens.verified[1] - opens.verified[0];
    if (opens.provisional) return { verdict: 'counted', explanation: `opened playing from ${clock(opens.claimed[0])}, still under way: ${formatDuration(verified)} verified so far, up to the last heartbeat` };
    return { verdict: 'counted', explanation: `opened playing from ${clock(opens.claimed[0])}; the statement that closed it says what was verified` };
  }
  if (cutoff !== undefined && at > cutoff) return { verdict: 'capped', explanation: `received after a newer launch took over at ${new Date(cutoff).toISOString()}; its time does not count` };
  const words: Record<string, string> = {
    initialized: 'started a player session; says nothing of what was watched',
    terminated: 'ended the session; no playing was under way',
    completed: 'reported the end; no playing was under way to close',
    paused: 'paused; no playing was under way to close',
    played: 'played; nothing verified from it (no evidence followed while it played)',
    seeked: 'seeked while paused; a seek verifies nothing by itself',
  };
  return { verdict: 'counted', explanation: words[verb] ?? 'stored' };
}

function intervalVerdict(i: VerifiedInterval): { verdict: StatementVerdict; explanation: string } {
  const claimed = i.claimed[1] - i.claimed[0];
  const verified = i.verified[1] - i.verified[0];
  const watched = i.watched.reduce((s, [a, b]) => s + (b - a), 0);
  const span = `${clock(i.claimed[0])}–${clock(i.claimed[1])}`;
  if (claimed - verified > 0.5) {
    const why = [
      i.afterCutoffSeconds >= 1 && `${formatDuration(i.afterCutoffSeconds)} after a newer launch took over`,
      i.blockedSeconds >= 1 && `${formatDuration(i.blockedSeconds)} during missed attention checks`,
      i.unevidencedSeconds >= 1 && `${formatDuration(i.unevidencedSeconds)} without evidence (heartbeats or statements)`,
      i.sharedWallSeconds >= 1 && `${formatDuration(i.sharedWallSeconds)} another session already used`,
    ].filter(Boolean);
    return {
      verdict: 'capped',
      explanation: `closed playing ${span}: ${formatDuration(claimed)} claimed, ${formatDuration(verified)} verified in ${formatDuration(i.wallSeconds)} on the server's clock${why.length ? ` (${why.join('; ')})` : ' (faster than the course allows)'}`,
    };
  }
  if (verified - watched > 0.5) return { verdict: 'flagged', explanation: `closed playing ${span}: ${formatDuration(verified)} verified, ${formatDuration(verified - watched)} of it played while the page was hidden or the learner away` };
  return { verdict: 'counted', explanation: `closed playing ${span}: ${formatDuration(verified)} verified as watched` };
}
