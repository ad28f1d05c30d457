import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, LedgerSource, LedgerTable } from '../db/schema.js';
import type { Course } from '../catalog/courses.js';
import { evidenceArchived } from '../xapi/archive.js';

type Q = Kysely<Database>;

/** One ledger entry as the API shows it. Amounts are credits (one decimal). */
export interface LedgerEntry {
  id: string;
  learnerId: string;
  period: string;
  source: LedgerSource;
  amount: number;
  courseId: string | null;
  requirementId: string | null;
  awardId: string | null;
  category: string | null;
  kind: 'required' | 'elective';
  reason: string;
  evidence: Record<string, unknown>;
  createdBy: string;
  approvedBy: string | null;
  createdAt: string;
}

/**
 * Serializes credit changes for one learner: two batches for the same learner in parallel
 * would otherwise both append the same correction.
 */
export async function lockLearner(db: Q, tenantId: string, learnerId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`${tenantId}|${learnerId}`}, 0))`.execute(db);
}

export async function isClosed(db: Q, tenantId: string, period: string): Promise<boolean> {
  const row = await db.selectFrom('periods').select('closed_at').where('tenant_id', '=', tenantId).where('period', '=', period).executeTakeFirst();
  return Boolean(row?.closed_at);
}

/**
 * What a learner holds in a period, in tenths of a credit, summed from the ledger by course or by
 * kind (required/elective): the one reading of a learner's balance.
 *
 * @example
 * const byKind = await ledgerTenths(db, 'default', 'E-1', '2026', 'kind'); // Map { 'required' => 30 }
 */
export async function ledgerTenths(db: Q, tenantId: string, learnerId: string, period: string, by: 'course_id' | 'kind'): Promise<Map<string | null, number>> {
  const rows = await db
    .selectFrom('ledger')
    .select((eb) => [eb.ref(by).as('key'), eb.fn.sum<string | number>('amount_tenths').as('tenths')])
    .where('tenant_id', '=', tenantId)
    .where('learner_id', '=', learnerId)
    .where('period', '=', period)
    .groupBy(by)
    .execute();
  return new Map(rows.map((r) => [r.key as string | null, Number(r.tenths)]));
}

interface Key {
  courseId?: string;
  awardId?: string;
  requirementId?: string;
}

async function sumFor(db: Q, tenantId: string, learnerId: string, period: string, key: Key): Promise<number> {
  const row = await sumQuery(db, tenantId, learnerId, period, key).executeTakeFirstOrThrow();
  return Number(row.tenths);
}

function sumQuery(db: Q, tenantId: string, learnerId: string, period: string, key: Key) {
  let q = db
    .selectFrom('ledger')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string | number>('amount_tenths'), sql<number>`0`).as('tenths'))
    .where('tenant_id', '=', tenantId)
    .where('learner_id', '=', learnerId)
    .where('period', '=', period);
  if (key.courseId !== undefined) q = q.where('course_id', '=', key.courseId);
  if (key.awardId !== undefined) q = q.where('award_id', '=', key.awardId);
  if (key.requirementId !== undefined) q = q.where('requirement_id', '=', key.requirementId);
  return q;
}

export interface Append {
  tenantId: string;
  learnerId: string;
  period: string;
  source: LedgerSource;
  amountTenths: number;
  courseId?: string | null;
  awardId?: string | null;
  requirementId?: string | null;
  category: string | null;
  kind: 'required' | 'elective';
  reason: string;
  evidence?: Record<string, unknown>;
  createdBy: string;
  approvedBy?: string | null;
  /** An imported entry's id in the system it came from (unique per tenant among imports). */
  externalId?: string | null;
  /** When it happened, if not now (an imported entry's original date). */
  occurredAt?: Date;
}

/**
 * What the credits engine tells the rest of the server: an entry appended to the ledger, an award
 * requested or decided. Seen from inside the transaction that made the change.
 */
export type CreditEvent = { type: 'entry.appended'; entry: Append } | { type: 'award.pending' | 'award.decided'; tenantId: string; data: Record<string, unknown> };

/**
 * Receives the events of one change together (every entry one `appendEntries` appended, e.g. all
 * of a recompute batch's corrections), so work owed once per learner is done once.
 */
export type CreditSubscriber = (trx: Q, events: readonly CreditEvent[]) => Promise<void>;

/**
 * The engine's port for its events: what must happen in the same transaction (webhooks, target
 * alerts) subscribes in app.ts, so credits never import their subscribers. A subscriber that throws
 * rolls the change back.
 */
export class CreditEvents {
  readonly #subscribers: CreditSubscriber[] = [];

  add(subscriber: CreditSubscriber): this {
    this.#subscribers.push(subscriber);
    return this;
  }

  async publish(trx: Q, ...events: CreditEvent[]): Promise<void> {
    if (!events.length) return;
    for (const subscriber of this.#subscribers) await subscriber(trx, events);
  }
}

/** Appends entries; the ledger is never updated or deleted (a database trigger enforces it). */
export async function appendEntries(db: Q, events: CreditEvents, entries: readonly Append[]): Promise<void> {
  const changes = entries.filter((e) => e.amountTenths !== 0);
  if (!changes.length) return;
  await db
    .insertInto('ledger')
    .values(
      changes.map((e) => ({
        tenant_id: e.tenantId,
        learner_id: e.learnerId,
        period: e.period,
        source: e.source,
        amount_tenths: e.amountTenths,
        course_id: e.courseId ?? null,
        award_id: e.awardId ?? null,
        requirement_id: e.requirementId ?? null,
        category: e.category,
        kind: e.kind,
        reason: e.reason,
        evidence: JSON.stringify(e.evidence ?? {}),
        created_by: e.createdBy,
        approved_by: e.approvedBy ?? null,
        external_id: e.externalId ?? null,
        ...(e.occurredAt ? { created_at: e.occurredAt } : {}),
      })),
    )
    .execute();
  await events.publish(db, ...changes.map((entry) => ({ type: 'entry.appended' as const, entry })));
}

/** Appends one entry (see `appendEntries`). */
export const appendEntry = (db: Q, events: CreditEvents, entry: Append): Promise<void> => appendEntries(db, events, [entry]);

/** The figures of a stored engagement row the ledger records. */
export interface EngagementFigures {
  earned_tenths: number;
  engagement: number;
  coverage: number;
  attention: number;
  mastery: number;
}

export interface ReconcileOptions {
  actor: string;
  events: CreditEvents;
  /** Why, when the change is not new engagement (e.g. "course credits changed from 2 to 3"). */
  reason?: string;
  source?: 'video' | 'adjustment';
  /** When it happened on the server's clock (a statement's receipt time); default: the database's now. */
  at?: Date;
}

/**
 * Brings the ledger for one learner and course in line with the stored engagement by appending
 * the difference. A course that makes up for an offline requirement is settled with it.
 */
export async function reconcileCourseLedger(
  db: Q,
  tenantId: string,
  learnerId: string,
  course: Course,
  period: string,
  options: ReconcileOptions,
  /** The engagement row just stored, which saves reading it back. */
  eng: EngagementFigures,
): Promise<void> {
  if (course.makeUpFor) return reconcileRequirement(db, tenantId, learnerId, course.makeUpFor, period, options);
  // Whether the period is closed (or its statements partly archived) and what the ledger holds,
  // in one round trip (the learner's lock is held).
  const { rows } = await sql<{ closed: boolean; tenths: string | number }>`select
    (exists (select 1 from periods where tenant_id = ${tenantId} and period = ${period} and closed_at is not null) or ${evidenceArchived(period)}) as closed,
    (${sumQuery(db, tenantId, learnerId, period, { courseId: course.courseId })}) as tenths`.execute(db);
  const { closed, tenths } = rows[0]!;
  if (closed) return;
  const desired = eng.earned_tenths;
  const current = Number(tenths);
  if (desired === current) return;
  await appendEntry(db, options.events, {
    tenantId,
    learnerId,
    period,
    source: options.source ?? 'video',
    amountTenths: desired - current,
    courseId: course.courseId,
    category: course.category,
    kind: course.kind,
    reason: options.reason ?? `"${course.title}": engagement ${fmt(eng.engagement)} (coverage ${fmt(eng.coverage)}, attention ${fmt(eng.attention)}, mastery ${fmt(eng.mastery)})`,
    evidence: { engagement: eng.engagement, coverage: eng.coverage, attention: eng.attention, mastery: eng.mastery },
    createdBy: options.actor,
    ...(options.at ? { occurredAt: options.at } : {}),
  });
}

/**
 * An offline requirement (e.g. a fire drill) and the online courses that make up for it count
 * once: the requirement is worth the best of them, credited to that source; the others are
 * brought to zero.
 */
export async function reconcileRequirement(db: Q, tenantId: string, learnerId: string, requirementId: string, period: string, options: ReconcileOptions): Promise<void> {
  if (await isClosed(db, tenantId, period)) return;
  const awards = await db
    .selectFrom('awards')
    .select(['id', 'title', 'amount_tenths', 'category', 'kind', 'decided_by'])
    .where('tenant_id', '=', tenantId)
    .where('learner_id', '=', learnerId)
    .where('period', '=', period)
    .where('requirement_id', '=', requirementId)
    .where('status', '=', 'approved')
    .orderBy('created_at')
    .execute();
  const courses = await db
    .selectFrom('courses as c')
    .leftJoin('engagement as e', (j) =>
      j.onRef('e.tenant_id', '=', 'c.tenant_id').onRef('e.course_id', '=', 'c.id').on('e.learner_id', '=', learnerId).on('e.period', '=', period),
    )
    .select(['c.id', 'c.title', 'c.category', 'c.kind', 'e.earned_tenths'])
    .where('c.tenant_id', '=', tenantId)
    .where('c.make_up_for', '=', requirementId)
    .orderBy('c.id')
    .execute();
  type Source = { key: Key; amount: number; source: LedgerSource; title: string; category: string | null; kind: 'required' | 'elective'; approvedBy: string | null };
  const sources: Source[] = [
    ...awards.map((a) => ({ key: { awardId: a.id }, amount: a.amount_tenths, source: 'offline' as const, title: a.title, category: a.category, kind: a.kind, approvedBy: a.decided_by })),
    ...courses.map((c) => ({ key: { courseId: c.id }, amount: c.earned_tenths ?? 0, source: 'make-up' as const, title: c.title, category: c.category, kind: c.kind, approvedBy: null })),
  ];
  let winner: Source | undefined;
  for (const s of sources) if (!winner || s.amount > winner.amount) winner = s;
  for (const s of sources) {
    const desired = s === winner ? s.amount : 0;
    const current = await sumFor(db, tenantId, learnerId, period, { ...s.key, requirementId });
    if (desired === current) continue;
    await appendEntry(db, options.events, {
      tenantId,
      learnerId,
      period,
      source: options.source === 'adjustment' ? 'adjustment' : s.source,
      amountTenths: desired - current,
      courseId: s.key.courseId ?? null,
      awardId: s.key.awardId ?? null,
      requirementId,
      category: s.category,
      kind: s.kind,
      reason:
        options.reason ??
        (s === winner ? `"${s.title}" fulfils requirement ${requirementId}` : `requirement ${requirementId} is already fulfilled by "${winner!.title}"; it counts once`),
      createdBy: options.actor,
      approvedBy: s.approvedBy,
      ...(options.at ? { occurredAt: options.at } : {}),
    });
  }
}

export function toEntry(r: Selectable<LedgerTable>): LedgerEntry {
  return {
    id: String(r.id),
    learnerId: r.learner_id,
    period: r.period,
    source: r.source,
    amount: r.amount_tenths / 10,
    courseId: r.course_id,
    requirementId: r.requirement_id,
    awardId: r.award_id,
    category: r.category,
    kind: r.kind,
    reason: r.reason,
    evidence: r.evidence,
    createdBy: r.created_by,
    approvedBy: r.approved_by,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

const fmt = (n: number | undefined) => (n === undefined ? '0' : n.toFixed(2));
