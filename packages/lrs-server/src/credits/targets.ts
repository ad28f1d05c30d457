import type { targetInput } from '@xcredit/sdk/contracts';
import type { z } from 'zod';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema.js';
import { HttpError } from '../http-error.js';
import { parsePeriod, periodProgress } from '../period.js';
import { ledgerTenths } from './ledger.js';
import { carriedRequiredTenths, heldSql, learnerHeld } from './validity.js';

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
  /** Required credits held from valid courses earned in earlier years (`credits/validity.ts`): they meet the required part, not the total. */
  carried: number;
  remaining: number;
  requiredRemaining: number;
  /** Share of the period gone, 0–1. */
  elapsed: number;
  /** Credits at the period end at the pace so far. */
  projected: number;
  status: 'met' | 'on_track' | 'at_risk' | 'no_target';
  daysLeft: number;
}

/** The target rows of a period, as stored. */
type TargetRow = { group_type: Target['groupType']; group_value: string; total_tenths: number; required_tenths: number };

/** Which target applies to a learner: a department target beats a role target beats the tenant-wide one. */
export function applicableTarget<R extends TargetRow>(rows: readonly R[], learner: { department?: string | null; role?: string | null } | undefined): R | undefined {
  return (
    rows.find((r) => r.group_type === 'department' && r.group_value === learner?.department) ??
    rows.find((r) => r.group_type === 'role' && r.group_value === learner?.role) ??
    rows.find((r) => r.group_type === 'all')
  );
}

/** The target that applies to a learner (see `applicableTarget`). */
export async function targetFor(db: Kysely<Database>, tenantId: string, learnerId: string, period: string): Promise<Target | null> {
  const learner = await db.selectFrom('learners').select(['department', 'role']).where('tenant_id', '=', tenantId).where('id', '=', learnerId).executeTakeFirst();
  const rows = await db.selectFrom('targets').selectAll().where('tenant_id', '=', tenantId).where('period', '=', period).execute();
  const pick = applicableTarget(rows, learner);
  return pick ? { period, groupType: pick.group_type, groupValue: pick.group_value, total: pick.total_tenths / 10, required: pick.required_tenths / 10 } : null;
}

/**
 * The standing rule, in tenths of a credit: met when the total and the required part reach the
 * target; on track when the straight-line projection to the period end (`earned / elapsed`, the
 * total rounded to a tenth) reaches both; at risk otherwise. Required credits carried from valid
 * courses of earlier years count toward the required part as they are (never projected). `standingsCte` is its SQL twin and
 * does the same arithmetic in the same order (targets.test.ts feeds both the same data).
 */
export function standingStatus(target: { total: number; required: number } | null, earned: { required: number; elective: number; carried?: number }, elapsed: number): { projected: number; status: Standing['status'] } {
  const total = earned.required + earned.elective;
  const carried = earned.carried ?? 0;
  const projected = elapsed > 0 ? Math.floor(total / elapsed + 0.5) : total;
  if (!target) return { projected, status: 'no_target' };
  const requiredProjected = (elapsed > 0 ? earned.required / elapsed : earned.required) + carried;
  if (total >= target.total && earned.required + carried >= target.required) return { projected, status: 'met' };
  return { projected, status: projected >= target.total && requiredProjected >= target.required ? 'on_track' : 'at_risk' };
}

/** Where a learner stands against their target, with a straight-line projection to the period end. */
export function standing(target: Target | null, earned: { required: number; elective: number; carried?: number }, period: string, now: Date): Standing {
  const { elapsed, daysLeft } = periodProgress(parsePeriod(period), now);
  const tenths = (n: number) => Math.round(n * 10);
  const e = { required: tenths(earned.required), elective: tenths(earned.elective), carried: tenths(earned.carried ?? 0) };
  const { projected, status } = standingStatus(target && { total: tenths(target.total), required: tenths(target.required) }, e, elapsed);
  const total = e.required + e.elective;
  const remaining = target ? Math.max(0, tenths(target.total) - total) / 10 : 0;
  const requiredRemaining = target ? Math.max(0, tenths(target.required) - e.required - e.carried) / 10 : 0;
  return { target, earned: total / 10, required: earned.required, elective: earned.elective, carried: e.carried / 10, remaining, requiredRemaining, elapsed: target ? round4(elapsed) : elapsed, projected: projected / 10, status, daysLeft };
}

/**
 * Every learner's standing in a period, as SQL: the `classified` CTE has one row per learner
 * with earned tenths split required/elective (`req`, `ele`, `earned`), required tenths carried
 * from valid courses of earlier years (`carried`, `credits/validity.ts`), the target that applies
 * (`applicableTarget`), the projection in tenths and the status, decided by `standingStatus`'s
 * arithmetic. `elapsed` comes from `periodProgress`.
 *
 * @example
 * const rows = await sql`${standingsCte('default', '2026', 0.5)} select status, count(*) from classified group by 1`.execute(db);
 */
export function standingsCte(tenantId: string, period: string, elapsed: number): RawBuilder<unknown> {
  const e = sql`${elapsed}::float8`;
  return sql`with learner_sums as (
      select learner_id,
        coalesce(sum(amount_tenths) filter (where kind = 'required'), 0)::float8 as req,
        coalesce(sum(amount_tenths) filter (where kind = 'elective'), 0)::float8 as ele
      from ledger where tenant_id = ${tenantId} and period = ${period} group by learner_id),
    carried_sums as (
      select learner_id, sum(tenths) filter (where kind = 'required')::float8 as carried
      from (${heldSql(tenantId, period)}) h where h.carried group by learner_id),
    tg as (select group_type, group_value, total_tenths, required_tenths from targets where tenant_id = ${tenantId} and period = ${period}),
    standings as (
      select l.id, l.display_name, l.department, l.role, l.manager_id,
        coalesce(s.req, 0) as req, coalesce(s.ele, 0) as ele, coalesce(cs.carried, 0) as carried,
        coalesce(td.total_tenths, tr.total_tenths, ta.total_tenths)::float8 as target_total,
        coalesce(td.required_tenths, tr.required_tenths, ta.required_tenths)::float8 as target_required,
        case when td.group_type is not null then 'department' when tr.group_type is not null then 'role' when ta.group_type is not null then 'all' end as target_group
      from learners l
      left join learner_sums s on s.learner_id = l.id
      left join carried_sums cs on cs.learner_id = l.id
      left join tg td on td.group_type = 'department' and td.group_value = l.department
      left join tg tr on tr.group_type = 'role' and tr.group_value = l.role
      left join tg ta on ta.group_type = 'all'
      where l.tenant_id = ${tenantId}),
    projected as (
      select st.*, st.req + st.ele as earned,
        case when ${e} > 0 then floor((st.req + st.ele) / ${e} + 0.5) else st.req + st.ele end as projected,
        case when ${e} > 0 then st.req / ${e} else st.req end + st.carried as required_projected
      from standings st),
    classified as (
      select p.*,
        case
          when p.target_total is null then 'no_target'
          when p.earned >= p.target_total and p.req + p.carried >= p.target_required then 'met'
          when p.projected >= p.target_total and p.required_projected >= p.target_required then 'on_track'
          else 'at_risk'
        end as status
      from projected p)`;
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
  const [target, byKind, held] = await Promise.all([targetFor(db, tenantId, learnerId, period), ledgerTenths(db, tenantId, learnerId, period, 'kind'), learnerHeld(db, tenantId, learnerId, period)]);
  const get = (k: string) => (byKind.get(k) ?? 0) / 10;
  return standing(target, { required: get('required'), elective: get('elective'), carried: carriedRequiredTenths(held.values()) / 10 }, period, now);
}

const round4 = (n: number) => Math.round(n * 10000) / 10000;
