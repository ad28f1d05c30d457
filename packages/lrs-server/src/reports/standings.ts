import { sql, type RawBuilder } from 'kysely';

/**
 * Every learner's standing in a period, as SQL: the `classified` CTE has one row per learner
 * with earned tenths split required/elective, the target that applies (department beats role
 * beats tenant-wide, as in credits/targets.ts), the projection at the current pace and the
 * status (`met`, `on_track`, `at_risk`, `no_target`), decided by the same rule as `standing`.
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
    tg as (select group_type, group_value, total_tenths, required_tenths from targets where tenant_id = ${tenantId} and period = ${period}),
    standings as (
      select l.id, l.display_name, l.department, l.role, l.manager_id,
        coalesce(s.req, 0) as req, coalesce(s.ele, 0) as ele,
        coalesce(td.total_tenths, tr.total_tenths, ta.total_tenths)::float8 as target_total,
        coalesce(td.required_tenths, tr.required_tenths, ta.required_tenths)::float8 as target_required,
        case when td.group_type is not null then 'department' when tr.group_type is not null then 'role' when ta.group_type is not null then 'all' end as target_group
      from learners l
      left join learner_sums s on s.learner_id = l.id
      left join tg td on td.group_type = 'department' and td.group_value = l.department
      left join tg tr on tr.group_type = 'role' and tr.group_value = l.role
      left join tg ta on ta.group_type = 'all'
      where l.tenant_id = ${tenantId}),
    projected as (
      select st.*, st.req + st.ele as earned,
        case when ${e} > 0 then floor((st.req + st.ele) / ${e} + 0.5) else st.req + st.ele end as projected,
        case when ${e} > 0 then st.req / ${e} else st.req end as required_projected
      from standings st),
    classified as (
      select p.*,
        case
          when p.target_total is null then 'no_target'
          when p.earned >= p.target_total and p.req >= p.target_required then 'met'
          when p.projected >= p.target_total and p.required_projected >= p.target_required then 'on_track'
          else 'at_risk'
        end as status
      from projected p)`;
}
