import type { LearningPath } from '@xcredit/sdk/contracts';
import type { Kysely } from 'kysely';
import { learnerStanding } from '../credits/targets.js';
import type { Database } from '../db/schema.js';
import { HttpError } from '../http-error.js';
import type { Period } from '../period.js';
import { planPath, type Unreachable } from './planner.js';

/** The period's last day, YYYY-MM-DD. */
export const lastDayOf = (p: Period) => new Date(p.to.getTime() - 1).toISOString().slice(0, 10);

/** 404 unless the tenant has this learner; their row otherwise. */
export async function learnerOrThrow(db: Kysely<Database>, tenantId: string, learnerId: string) {
  const learner = await db.selectFrom('learners').selectAll().where('tenant_id', '=', tenantId).where('id', '=', learnerId).executeTakeFirst();
  if (!learner) throw new HttpError(404, 'learner_not_found', `learnerId: no learner "${learnerId}" in this tenant`);
  return learner;
}

/** Courses credited to a learner in a period (a positive sum in the ledger), with when credit first arrived. */
export async function creditedCourses(db: Kysely<Database>, tenantId: string, learnerId: string, period: string): Promise<Map<string, Date>> {
  const rows = await db
    .selectFrom('ledger')
    .select((eb) => ['course_id', eb.fn.sum<string | number>('amount_tenths').as('tenths'), eb.fn.min('created_at').as('first')])
    .where('tenant_id', '=', tenantId)
    .where('learner_id', '=', learnerId)
    .where('period', '=', period)
    .where('course_id', 'is not', null)
    .groupBy('course_id')
    .execute();
  return new Map(rows.filter((r) => Number(r.tenths) > 0).map((r) => [r.course_id!, new Date(r.first as Date)]));
}

const WHY: Record<Unreachable, (p: LearningPath) => string> = {
  no_time: (p) => `The period ${p.period} is over: no days are left to study.`,
  pace: (p) => `The courses take ${p.minutesNeeded} minutes; in the ${p.daysLeft} days left that is more than ${p.maxMinutesPerWeek} minutes a week, so the steps marked late fall after the period ends.`,
  catalog: (p) => `Even with every course suggested, ${p.shortfall} credits would still be missing: the catalog has no more courses to offer.`,
};

function explain(p: LearningPath): string[] {
  if (p.status === 'no_target') return [`No target applies to ${p.learnerId} in ${p.period}: set one with PUT /targets/${p.period}.`];
  if (p.status === 'met') return [`The target for ${p.period} is met: nothing more is needed.`];
  const required = p.steps.filter((s) => s.reason === 'required_missing').length;
  const lines = [
    `${p.remaining} credits to go (${p.requiredRemaining} of them required), ${p.daysLeft} days left.`,
    `${required} required course${required === 1 ? '' : 's'} not yet credited come first; then ${p.steps.length - required} elective${p.steps.length - required === 1 ? '' : 's'}, taken in turn from each category, the most credits per minute first.`,
    `${p.minutesNeeded} minutes of study in all: about ${p.minutesPerWeek} minutes a week.`,
  ];
  return [...lines, ...p.unreachable.map((u) => WHY[u](p))];
}

/** A learner's path to their target in a period, explained. */
export async function learningPath(db: Kysely<Database>, tenantId: string, learnerId: string, period: Period, now: Date, maxMinutesPerWeek: number): Promise<LearningPath> {
  await learnerOrThrow(db, tenantId, learnerId);
  const [standing, courses, credited, launched] = await Promise.all([
    learnerStanding(db, tenantId, learnerId, period.name, now),
    db.selectFrom('courses').select(['id', 'title', 'kind', 'category', 'credits', 'length_seconds']).where('tenant_id', '=', tenantId).where('make_up_for', 'is', null).execute(),
    creditedCourses(db, tenantId, learnerId, period.name),
    db.selectFrom('launches').select('course_id').distinct().where('tenant_id', '=', tenantId).where('learner_id', '=', learnerId).where('created_at', '>=', period.from).where('created_at', '<', period.to).execute(),
  ]);
  const start = now < period.from ? period.from : now;
  const planned = planPath({
    target: standing.target && { total: standing.target.total, required: standing.target.required },
    earned: { required: standing.required, elective: standing.elective },
    catalog: courses.map((c) => ({ courseId: c.id, title: c.title, kind: c.kind, category: c.category, credits: Number(c.credits), lengthSeconds: Number(c.length_seconds) })),
    credited: [...credited.keys()],
    inProgress: launched.map((l) => l.course_id).filter((id) => !credited.has(id)),
    today: start.toISOString().slice(0, 10),
    lastDay: lastDayOf(period),
    maxMinutesPerWeek,
  });
  const path: LearningPath = {
    learnerId,
    period: period.name,
    target: standing.target && { total: standing.target.total, required: standing.target.required },
    earned: standing.earned,
    ...planned,
    explanation: [],
  };
  path.explanation = explain(path);
  return path;
}
