import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { tenantPolicy, toCourse, type Course } from '../catalog/courses.js';
import { engagementRow } from './engagement.js';
import { periodAt } from '../period.js';
import { archivedPeriods } from '../xapi/archive.js';
import type { ReflectionState } from '@xcredit/sdk/engagement';
import { reflectionStates } from './reflection-gate.js';
import { assessTimeline, attentionBlockedWallOf, COUNTED_VERBS, statementFacts, type HeartbeatFacts, type StatementFacts } from './evidence.js';
import { appendEntries, reconcileRequirement, type CreditEvents } from './ledger.js';
import { resetCheckpoints } from './timeline.js';

const LEARNER_CHUNK = 250;
const WRITE_BATCH = 1000;

export interface RecomputeOptions {
  /** Where the ledger corrections are announced (webhooks, target alerts), as for any other change. */
  events: CreditEvents;
  tenantId?: string;
  /** Only learner/course pairs with statements stored since then. */
  since?: Date;
  onProgress?: (p: { statements: number; pairs: number; total: number }) => void;
  /** Why the ledger changes, when it is not a plain correction (e.g. a change of the credit rules). */
  reason?: string;
}

export interface RecomputeResult {
  statements: number;
  pairs: number;
  ledgerEntries: number;
  /** Pairs in periods with archived statements, left as they were (their evidence is partly gone). */
  frozen: number;
}

interface Row extends StatementFacts {
  tenant_id: string;
  learner_id: string;
  course_id: string;
  seq: string;
}

interface Beat extends HeartbeatFacts {
  tenant_id: string;
  learner_id: string;
  course_id: string;
}

/**
 * Rebuilds every learner's engagement and the ledger from raw statements in one ordered pass
 * (the same assessment the incremental path runs after each batch), then appends the ledger
 * corrections that bring totals in line. Safe to run at any time; it changes nothing when all
 * is already right.
 */
export async function recompute(db: Db, options: RecomputeOptions): Promise<RecomputeResult> {
  const courses = new Map<string, Course>();
  const tenantRows = await db.selectFrom('tenants').select(['id', 'policy']).$if(options.tenantId !== undefined, (q) => q.where('id', '=', options.tenantId!)).execute();
  for (const t of tenantRows) {
    const policy = await tenantPolicy(db, t.id);
    for (const row of await db.selectFrom('courses').selectAll().where('tenant_id', '=', t.id).execute()) courses.set(`${t.id}|${row.id}`, toCourse(row, policy));
  }
  // Every checkpoint it covers is forgotten: the next batch of each timeline reads it whole again.
  if (!options.since) await resetCheckpoints(db, { tenantId: options.tenantId });
  let statements = 0;
  let pairs = 0;
  let ledgerEntries = 0;
  let group: Row[] = [];
  const seen = new Set<string>();
  // Missed attention checks by tenant|learner|course, read with each chunk of learners.
  const blocked = new Map<string, [number, number][]>();
  // Reflections by tenant|learner|course, read with each chunk of learners (the reflection gate).
  const reflections = new Map<string, ReflectionState>();

  const flush = async () => {
    if (!group.length) return;
    const first = group[0]!;
    const course = courses.get(`${first.tenant_id}|${first.course_id}`);
    const byPeriod = new Map<string, Row[]>();
    for (const r of group) {
      const p = periodAt(new Date(r.stored)).name;
      byPeriod.set(p, [...(byPeriod.get(p) ?? []), r]);
    }
    group = [];
    if (!course) return;
    for (const [period, rows] of byPeriod) {
      const key = `${first.tenant_id}|${first.learner_id}|${course.courseId}`;
      pending.push(assess(course, first.tenant_id, first.learner_id, period, rows, beats.get(`${key}|${period}`) ?? [], blocked.get(key), reflections.get(key)));
      seen.add(`${first.tenant_id}|${first.learner_id}|${course.courseId}|${period}`);
      pairs++;
    }
    if (pending.length >= WRITE_BATCH) await drain();
  };
  const pending: Assessed[] = [];
  // One write in flight while the next rows are read and assessed: the database and this
  // process work at the same time.
  let writing: Promise<void> = Promise.resolve();
  // A period with archived months has lost evidence: what it earned stays as it is.
  const archived = await archivedPeriods(db);
  let frozen = 0;
  const drain = async () => {
    await writing;
    const batch = pending.splice(0).filter((b) => {
      if (archived.has(b.period)) frozen++;
      return !archived.has(b.period);
    });
    writing = write(db, options.events, batch, options.reason).then((n) => {
      ledgerEntries += n;
      options.onProgress?.({ statements, pairs, total });
    });
  };

  let total = 0;
  if (options.onProgress) {
    let count = db
      .selectFrom('statements as s')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('s.launch_registration', 'is not', null)
      .where('s.voided', '=', false)
      .where('s.verb_id', 'in', COUNTED_VERBS);
    if (options.tenantId) count = count.where('s.tenant_id', '=', options.tenantId);
    total = Number((await count.executeTakeFirstOrThrow()).n);
  }
  // Learners in chunks: each chunk is one indexed query, so no page re-sorts the whole table.
  let learnersQuery = db.selectFrom('launches as l').select(['l.tenant_id', 'l.learner_id']).distinct();
  if (options.tenantId) learnersQuery = learnersQuery.where('l.tenant_id', '=', options.tenantId);
  if (options.since) {
    const since = options.since;
    learnersQuery = learnersQuery.where(({ exists, or, selectFrom }) =>
      or([
        exists(
          selectFrom('statements as r')
            .select('r.seq')
            .whereRef('r.tenant_id', '=', 'l.tenant_id')
            .whereRef('r.launch_registration', '=', 'l.registration')
            .where('r.stored', '>=', since),
        ),
        exists(selectFrom('heartbeats as h').select('h.id').whereRef('h.tenant_id', '=', 'l.tenant_id').whereRef('h.registration', '=', 'l.registration').where('h.received_at', '>=', since)),
      ]),
    );
  }
  const learners = await learnersQuery.orderBy('l.tenant_id').orderBy('l.learner_id').execute();
  const inChunk = (chunk: typeof learners) =>
    sql<boolean>`(l.tenant_id, l.learner_id) in (select * from unnest(${chunk.map((c) => c.tenant_id)}::text[], ${chunk.map((c) => c.learner_id)}::text[]))`;
  const fetchChunk = async (i: number) => {
    const chunk = learners.slice(i, i + LEARNER_CHUNK);
    const [rows, heartbeats] = await Promise.all([
      db
        .selectFrom('statements as s')
        .innerJoin('launches as l', (j) => j.onRef('l.tenant_id', '=', 's.tenant_id').onRef('l.registration', '=', 's.launch_registration'))
        .select(['s.tenant_id', 'l.learner_id', 'l.course_id', 's.seq', 's.stored', 's.verb_id', 'l.superseded_at', ...statementFacts()])
        .where(inChunk(chunk))
        .where('s.voided', '=', false)
        .where('s.verb_id', 'in', COUNTED_VERBS)
        .orderBy('s.tenant_id')
        .orderBy('l.learner_id')
        .orderBy('l.course_id')
        .orderBy('s.seq')
        .execute() as Promise<Row[]>,
      db
        .selectFrom('heartbeats as h')
        .innerJoin('launches as l', (j) => j.onRef('l.tenant_id', '=', 'h.tenant_id').onRef('l.registration', '=', 'h.registration'))
        .select(['h.tenant_id', 'l.learner_id', 'l.course_id', 'h.session_id', 'h.received_at', 'h.sent_at', 'h.media_time', 'h.playing'])
        .where(inChunk(chunk))
        .orderBy('h.received_at')
        .orderBy('h.id')
        .execute() as Promise<Beat[]>,
    ]);
    const [windows, written] = await Promise.all([attentionBlockedWallOf(db, chunk), reflectionStates(db, chunk)]);
    return { rows, heartbeats, windows, written };
  };
  let next = learners.length ? fetchChunk(0) : undefined;
  const beats = new Map<string, Beat[]>();
  for (let i = 0; next; i += LEARNER_CHUNK) {
    const { rows, heartbeats, windows, written } = await next;
    for (const [key, w] of windows) blocked.set(key, w);
    for (const [key, r] of written) reflections.set(key, r);
    // A learner's rows never span chunks: the last group is complete, and its heartbeats go with it.
    await flush();
    beats.clear();
    for (const h of heartbeats) {
      const key = `${h.tenant_id}|${h.learner_id}|${h.course_id}|${periodAt(new Date(h.received_at)).name}`;
      beats.set(key, [...(beats.get(key) ?? []), h]);
    }
    next = i + LEARNER_CHUNK < learners.length ? fetchChunk(i + LEARNER_CHUNK) : undefined;
    for (const r of rows) {
      const last = group[group.length - 1];
      if (last && (last.tenant_id !== r.tenant_id || last.learner_id !== r.learner_id || last.course_id !== r.course_id)) await flush();
      group.push(r);
      statements++;
    }
  }
  await flush();
  await drain();
  await writing;

  // Pairs that have no counted statements left (all voided, say) go back to zero.
  if (!options.since) {
    const stale = await db.selectFrom('engagement').select(['tenant_id', 'learner_id', 'course_id', 'period']).$if(options.tenantId !== undefined, (q) => q.where('tenant_id', '=', options.tenantId!)).execute();
    for (const e of stale) {
      if (seen.has(`${e.tenant_id}|${e.learner_id}|${e.course_id}|${e.period}`)) continue;
      const course = courses.get(`${e.tenant_id}|${e.course_id}`);
      // Nothing counted is left, so the reflection gate cannot change the answer (0).
      if (course) pending.push(assess(course, e.tenant_id, e.learner_id, e.period, [], []));
    }
    await drain();
    await writing;
  }
  return { statements, pairs, ledgerEntries, frozen };
}

interface Assessed {
  course: Course;
  tenantId: string;
  learnerId: string;
  period: string;
  values: ReturnType<typeof engagementRow>;
}

/** Assesses one learner/course/period from its rows (pure; no I/O). */
function assess(
  course: Course,
  tenantId: string,
  learnerId: string,
  period: string,
  rows: readonly Row[],
  heartbeats: readonly Beat[],
  blockedWall?: [number, number][],
  reflection?: ReflectionState,
): Assessed {
  const a = assessTimeline(course, rows, heartbeats, blockedWall, reflection);
  return { course, tenantId, learnerId, period, values: engagementRow(a) };
}

/**
 * Stores a batch of assessments in one transaction: engagement rows upserted together, ledger
 * sums read together, and one correcting entry appended for each pair whose total is off.
 */
async function write(db: Db, events: CreditEvents, batch: Assessed[], reason?: string): Promise<number> {
  if (!batch.length) return 0;
  return db.transaction().execute(async (trx) => {
    const learners = [...new Set(batch.map((b) => `${b.tenantId}|${b.learnerId}`))].sort();
    await sql`select pg_advisory_xact_lock(hashtextextended(k, 0)) from unnest(${learners}::text[]) as k`.execute(trx);
    // A batch may have checkpointed a timeline since the rows were read: the next one reads it whole.
    await resetCheckpoints(trx, { learners: batch.map((b) => ({ tenantId: b.tenantId, learnerId: b.learnerId, courseId: b.course.courseId, period: b.period })) });
    await trx
      .insertInto('engagement')
      .values(batch.map((b) => ({ tenant_id: b.tenantId, learner_id: b.learnerId, course_id: b.course.courseId, period: b.period, ...b.values })))
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'learner_id', 'course_id', 'period']).doUpdateSet((eb) => ({
          coverage: eb.ref('excluded.coverage'),
          attention: eb.ref('excluded.attention'),
          mastery: eb.ref('excluded.mastery'),
          engagement: eb.ref('excluded.engagement'),
          earned_tenths: eb.ref('excluded.earned_tenths'),
          verified_seconds: eb.ref('excluded.verified_seconds'),
          claimed_seconds: eb.ref('excluded.claimed_seconds'),
          sessions: eb.ref('excluded.sessions'),
          gates: eb.ref('excluded.gates'),
          flags: eb.ref('excluded.flags'),
          updated_at: new Date(),
        })),
      )
      .execute();
    const closed = new Set((await trx.selectFrom('periods').select(['tenant_id', 'period']).where('closed_at', 'is not', null).execute()).map((p) => `${p.tenant_id}|${p.period}`));
    const open = batch.filter((b) => !closed.has(`${b.tenantId}|${b.period}`));
    for (const b of open.filter((b) => b.course.makeUpFor)) await reconcileRequirement(trx, b.tenantId, b.learnerId, b.course.makeUpFor!, b.period, { actor: 'recompute', events });
    const plain = open.filter((b) => !b.course.makeUpFor);
    if (!plain.length) return 0;
    const sums = await trx
      .selectFrom('ledger')
      .select(['tenant_id', 'learner_id', 'course_id', 'period', (eb) => eb.fn.sum<string | number>('amount_tenths').as('tenths')])
      .where(
        sql<boolean>`(tenant_id, learner_id, course_id, period) in (select * from unnest(${plain.map((b) => b.tenantId)}::text[], ${plain.map((b) => b.learnerId)}::text[], ${plain.map((b) => b.course.courseId)}::text[], ${plain.map((b) => b.period)}::text[]))`,
      )
      .groupBy(['tenant_id', 'learner_id', 'course_id', 'period'])
      .execute();
    const current = new Map(sums.map((r) => [`${r.tenant_id}|${r.learner_id}|${r.course_id}|${r.period}`, Number(r.tenths)]));
    const entries = plain
      .map((b) => ({ b, delta: b.values.earned_tenths - (current.get(`${b.tenantId}|${b.learnerId}|${b.course.courseId}|${b.period}`) ?? 0) }))
      .filter((e) => e.delta !== 0);
    await appendEntries(
      trx,
      events,
      entries.map(({ b, delta }) => ({
        tenantId: b.tenantId,
        learnerId: b.learnerId,
        period: b.period,
        source: 'adjustment' as const,
        amountTenths: delta,
        courseId: b.course.courseId,
        category: b.course.category,
        kind: b.course.kind,
        reason: reason ?? `recomputed from raw statements: engagement ${b.values.engagement.toFixed(2)}`,
        evidence: { coverage: b.values.coverage, attention: b.values.attention, mastery: b.values.mastery },
        createdBy: 'recompute',
      })),
    );
    return entries.length;
  });
}
