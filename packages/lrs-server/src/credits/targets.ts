import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema.js';
import { HttpError } from '../http-error.js';
import { parsePeriod, periodProgress } from '../period.js';

export const targetInput = z
  .strictObject({
    total: z.number().min(0).max(10_000),
    /** Of the total, at least this much from required courses. */
    required: z.number().min(0).max(10_000).default(0),
  })
  .refine((t) => t.required <= t.total, { message: 'must not exceed total', path: ['required'] });

export interface Target {
  period: string;
  groupType: 'all' | 'department' | 'role';
  groupValue: string;
  total: number;
  required: number;
}

export async function setTarget(db: Db, tenantId: string, period: string, group: { type: Target['groupType']; value: string }, input: z.infer<typeof targetInput>): Promise<Target> {
  parsePeriod(period);
  const values = { total_tenths: Math.round(input.total * 10), required_tenths: Math.round(input.required * 10) };
  await db
    .insertInto('targets')
    .values({ tenant_id: tenantId, period, group_type: group.type, group_value: group.value, ...values })
    .onConflict((oc) => oc.columns(['tenant_id', 'period', 'group_type', 'group_value']).doUpdateSet({ ...values, updated_at: new Date() }))
    .execute();
  return { period, groupType: group.type, groupValue: group.value, total: input.total, required: input.required };
}

export interface Standing {
  target: Target | null;
  earned: number;
  required: number;
  elective: number;
  remaining: number;
  requiredRemaining: number;
  /** Share of the period gone, 0–1. */
  elapsed: number;
  /** Credits at the period end at the pace so far. */
  projected: number;
  status: 'met' | 'on_track' | 'at_risk' | 'no_target';
  daysLeft: number;
}

/**
 * The target that applies to a learner: a department target beats a role target beats the
 * tenant-wide one.
 */
export async function targetFor(db: Kysely<Database>, tenantId: string, learnerId: string, period: string): Promise<Target | null> {
  const learner = await db.selectFrom('learners').select(['department', 'role']).where('tenant_id', '=', tenantId).where('id', '=', learnerId).executeTakeFirst();
  const rows = await db.selectFrom('targets').selectAll().where('tenant_id', '=', tenantId).where('period', '=', period).execute();
  const pick =
    rows.find((r) => r.group_type === 'department' && r.group_value === learner?.department) ??
    rows.find((r) => r.group_type === 'role' && r.group_value === learner?.role) ??
    rows.find((r) => r.group_type === 'all');
  return pick ? { period, groupType: pick.group_type, groupValue: pick.group_value, total: pick.total_tenths / 10, required: pick.required_tenths / 10 } : null;
}

/** Where a learner stands against their target, with a straight-line projection to the period end. */
export function standing(target: Target | null, earned: { required: number; elective: number }, period: string, now: Date): Standing {
  const { elapsed, daysLeft } = periodProgress(parsePeriod(period), now);
  const total = round1(earned.required + earned.elective);
  const projected = elapsed > 0 ? round1(total / elapsed) : total;
  if (!target) return { target, earned: total, ...earned, remaining: 0, requiredRemaining: 0, elapsed, projected, status: 'no_target', daysLeft };
  const remaining = round1(Math.max(0, target.total - total));
  const requiredRemaining = round1(Math.max(0, target.required - earned.required));
  const met = remaining === 0 && requiredRemaining === 0;
  const requiredProjected = elapsed > 0 ? earned.required / elapsed : earned.required;
  const onTrack = projected >= target.total && requiredProjected >= target.required;
  return { target, earned: total, ...earned, remaining, requiredRemaining, elapsed: round4(elapsed), projected, status: met ? 'met' : onTrack ? 'on_track' : 'at_risk', daysLeft };
}

export async function closePeriod(db: Db, tenantId: string, period: string, actor: string, now: Date): Promise<{ period: string; closedAt: string }> {
  parsePeriod(period);
  const existing = await db.selectFrom('periods').select('closed_at').where('tenant_id', '=', tenantId).where('period', '=', period).executeTakeFirst();
  if (existing?.closed_at) throw new HttpError(409, 'period_closed', `period ${period} was already closed at ${new Date(existing.closed_at).toISOString()}`);
  await db
    .insertInto('periods')
    .values({ tenant_id: tenantId, period, closed_at: now, closed_by: actor })
    .onConflict((oc) => oc.columns(['tenant_id', 'period']).doUpdateSet({ closed_at: now, closed_by: actor }))
    .execute();
  return { period, closedAt: now.toISOString() };
}

/** A learner's standing from their ledger (required/elective split) and the target that applies. */
export async function learnerStanding(db: Kysely<Database>, tenantId: string, learnerId: string, period: string, now: Date): Promise<Standing> {
  const [target, rows] = await Promise.all([
    targetFor(db, tenantId, learnerId, period),
    db
      .selectFrom('ledger')
      .select(['kind', (eb) => eb.fn.sum<string | number>('amount_tenths').as('tenths')])
      .where('tenant_id', '=', tenantId)
      .where('learner_id', '=', learnerId)
      .where('period', '=', period)
      .groupBy('kind')
      .execute(),
  ]);
  const get = (k: string) => Number(rows.find((r) => r.kind === k)?.tenths ?? 0) / 10;
  return standing(target, { required: get('required'), elective: get('elective') }, period, now);
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round4 = (n: number) => Math.round(n * 10000) / 10000;
