import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { effectiveGateSql } from '../catalog/policy.js';
import { standingsCte } from '../credits/targets.js';
import { parsePeriod, periodProgress } from '../period.js';

/** What every report is computed for: one tenant, one period, at the server's `now`. */
export interface ReportScope {
  tenantId: string;
  period: string;
  now: Date;
}

/** A report: flat rows (one CSV line each, in `columns` order) and figures about the whole. */
export interface Report<Row extends object = Record<string, unknown>> {
  report: string;
  period: string;
  generatedAt: string;
  columns: (keyof Row & string)[];
  rows: Row[];
  [more: string]: unknown;
}

export type GroupBy = 'department' | 'role' | 'manager';

const credits = (tenths: number | string | null | undefined) => Math.round(Number(tenths ?? 0)) / 10;
const hours = (n: number | string | null | undefined) => Math.round(Number(n ?? 0) * 100) / 100;
const ratio = (n: number | string | null | undefined) => (n === null || n === undefined ? null : Math.round(Number(n) * 10_000) / 10_000);

function head(report: string, scope: ReportScope) {
  return { report, period: scope.period, generatedAt: scope.now.toISOString() };
}

export interface SummaryRow {
  group: string | null;
  groupName: string | null;
  learners: number;
  earned: number;
  averageEarned: number;
  required: number;
  elective: number;
  averageTarget: number | null;
  withTarget: number;
  met: number;
  onTrack: number;
  atRisk: number;
  /** Learners who met their target, of those with a target. */
  metRate: number | null;
}

const SUMMARY_COLUMNS: (keyof SummaryRow)[] = ['group', 'groupName', 'learners', 'earned', 'averageEarned', 'required', 'elective', 'averageTarget', 'withTarget', 'met', 'onTrack', 'atRisk', 'metRate'];

/**
 * Credits and target completion by group (department, role or manager) and for the whole
 * tenant, in one SQL statement over ledger, targets and learners.
 */
export async function summaryReport(db: Db, scope: ReportScope, groupBy: GroupBy): Promise<Report<SummaryRow>> {
  const { elapsed, daysLeft } = periodProgress(parsePeriod(scope.period), scope.now);
  const key = groupBy === 'manager' ? sql.ref('c.manager_id') : groupBy === 'role' ? sql.ref('c.role') : sql.ref('c.department');
  const { rows } = await sql<Record<string, number | string | null>>`${standingsCte(scope.tenantId, scope.period, elapsed)}
    select grouping(${key}) as is_total, ${key} as grp,
      count(*)::int as learners, sum(c.earned)::float8 as earned, avg(c.earned)::float8 as avg_earned,
      sum(c.req)::float8 as req, sum(c.ele)::float8 as ele, avg(c.target_total)::float8 as avg_target,
      count(c.target_total)::int as with_target,
      count(*) filter (where c.status = 'met')::int as met,
      count(*) filter (where c.status = 'on_track')::int as on_track,
      count(*) filter (where c.status = 'at_risk')::int as at_risk
    from classified c
    group by grouping sets ((${key}), ())
    order by is_total, grp nulls last`.execute(db);
  const names = groupBy === 'manager' ? await managerNames(db, scope.tenantId, rows.map((r) => r.grp as string | null)) : new Map<string, string | null>();
  const toRow = (r: Record<string, number | string | null>): SummaryRow => ({
    group: r.grp as string | null,
    groupName: groupBy === 'manager' ? (names.get(r.grp as string) ?? null) : (r.grp as string | null),
    learners: Number(r.learners),
    earned: credits(r.earned),
    averageEarned: credits(r.avg_earned),
    required: credits(r.req),
    elective: credits(r.ele),
    averageTarget: r.avg_target === null ? null : credits(r.avg_target),
    withTarget: Number(r.with_target),
    met: Number(r.met),
    onTrack: Number(r.on_track),
    atRisk: Number(r.at_risk),
    metRate: Number(r.with_target) ? ratio(Number(r.met) / Number(r.with_target)) : null,
  });
  const total = rows.find((r) => Number(r.is_total) === 1);
  return {
    ...head('summary', scope),
    groupBy,
    elapsed: ratio(elapsed),
    daysLeft,
    columns: SUMMARY_COLUMNS,
    rows: rows.filter((r) => Number(r.is_total) === 0).map(toRow),
    total: total ? { ...toRow(total), group: null, groupName: null } : null,
  };
}

async function managerNames(db: Db, tenantId: string, ids: (string | null)[]): Promise<Map<string, string | null>> {
  const wanted = ids.filter((id): id is string => id !== null);
  if (!wanted.length) return new Map();
  const rows = await db.selectFrom('learners').select(['id', 'display_name']).where('tenant_id', '=', tenantId).where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r.display_name]));
}

export interface StudyTimeRow {
  bucket: string;
  fromHours: number;
  toHours: number | null;
  learners: number;
}

const BUCKETS: [number, number | null][] = [
  [0, 0],
  [0, 1],
  [1, 5],
  [5, 10],
  [10, 20],
  [20, 40],
  [40, null],
];

/** How many learners studied how long: verified watched time per learner this period, in hour buckets. */
export async function studyTimeReport(db: Db, scope: ReportScope): Promise<Report<StudyTimeRow>> {
  const { rows } = await sql<{ bucket: number; learners: number; total: number; average: number; median: number; everyone: number }>`
    with per_learner as (
      select l.id, coalesce(sum(e.verified_seconds), 0)::float8 / 3600 as hours
      from learners l left join engagement e on e.tenant_id = l.tenant_id and e.learner_id = l.id and e.period = ${scope.period}
      where l.tenant_id = ${scope.tenantId} group by l.id),
    bucketed as (
      select hours, case when hours = 0 then 0 when hours < 1 then 1 when hours < 5 then 2 when hours < 10 then 3 when hours < 20 then 4 when hours < 40 then 5 else 6 end as bucket
      from per_learner)
    select b.bucket, count(*)::int as learners,
      (select coalesce(sum(hours), 0)::float8 from bucketed) as total,
      (select coalesce(avg(hours), 0)::float8 from bucketed) as average,
      (select coalesce(percentile_cont(0.5) within group (order by hours), 0)::float8 from bucketed) as median,
      (select count(*)::int from bucketed) as everyone
    from bucketed b group by b.bucket order by b.bucket`.execute(db);
  const counts = new Map(rows.map((r) => [Number(r.bucket), Number(r.learners)]));
  const first = rows[0];
  return {
    ...head('study-time', scope),
    learners: Number(first?.everyone ?? 0),
    totalHours: hours(first?.total),
    averageHours: hours(first?.average),
    medianHours: hours(first?.median),
    columns: ['bucket', 'fromHours', 'toHours', 'learners'],
    rows: BUCKETS.map(([from, to], i) => ({
      bucket: i === 0 ? 'none' : to === null ? `${from}h+` : `${from}–${to}h`,
      fromHours: from,
      toHours: to,
      learners: counts.get(i) ?? 0,
    })),
  };
}

export interface HotCourseRow {
  courseId: string;
  title: string;
  kind: string;
  credits: number;
  launches: number;
  learners: number;
  completions: number;
  completionRate: number | null;
  averageEngagement: number | null;
}

/**
 * Courses by launches this period: distinct learners, completions (earned credits, or coverage
 * at the course's coverage gate) and average engagement.
 */
export async function hotCoursesReport(db: Db, scope: ReportScope, limit: number): Promise<Report<HotCourseRow>> {
  const { from, to } = parsePeriod(scope.period);
  const { rows } = await sql<Record<string, number | string | null>>`
    with la as (
      select course_id, count(*)::int as launches, count(distinct learner_id)::int as learners
      from launches where tenant_id = ${scope.tenantId} and created_at >= ${from} and created_at < ${to} group by course_id),
    gate as (
      select c.id as course_id, ${effectiveGateSql('coverage')} as coverage
      from courses c join tenants t on t.id = c.tenant_id where c.tenant_id = ${scope.tenantId}),
    en as (
      select e.course_id, count(*)::int as engaged,
        count(*) filter (where e.earned_tenths > 0 or e.coverage >= g.coverage)::int as completions,
        avg(e.engagement)::float8 as avg_engagement
      from engagement e join gate g on g.course_id = e.course_id
      where e.tenant_id = ${scope.tenantId} and e.period = ${scope.period} group by e.course_id)
    select c.id, c.title, c.kind, c.credits, coalesce(la.launches, 0) as launches,
      greatest(coalesce(la.learners, 0), coalesce(en.engaged, 0)) as learners,
      coalesce(en.completions, 0) as completions, en.avg_engagement
    from courses c left join la on la.course_id = c.id left join en on en.course_id = c.id
    where c.tenant_id = ${scope.tenantId} and (la.launches is not null or en.engaged is not null)
    order by launches desc, learners desc, completions desc, c.id
    limit ${limit}`.execute(db);
  return {
    ...head('hot-courses', scope),
    columns: ['courseId', 'title', 'kind', 'credits', 'launches', 'learners', 'completions', 'completionRate', 'averageEngagement'],
    rows: rows.map((r) => ({
      courseId: String(r.id),
      title: String(r.title),
      kind: String(r.kind),
      credits: Number(r.credits),
      launches: Number(r.launches),
      learners: Number(r.learners),
      completions: Number(r.completions),
      completionRate: Number(r.learners) ? ratio(Number(r.completions) / Number(r.learners)) : null,
      averageEngagement: ratio(r.avg_engagement),
    })),
  };
}

export interface AtRiskRow {
  learnerId: string;
  displayName: string | null;
  department: string | null;
  role: string | null;
  managerId: string | null;
  earned: number;
  required: number;
  /** Required credits held from valid courses earned in earlier years (they meet the required part). */
  carried: number;
  target: number;
  targetRequired: number;
  projected: number;
  remaining: number;
  requiredRemaining: number;
  daysLeft: number;
}

/** Learners projected to miss their target at their pace so far, furthest behind first. */
export async function atRiskReport(db: Db, scope: ReportScope, filter: { limit: number; department?: string | undefined; managerId?: string | undefined }): Promise<Report<AtRiskRow>> {
  const { elapsed, daysLeft } = periodProgress(parsePeriod(scope.period), scope.now);
  const { rows } = await sql<Record<string, number | string | null>>`${standingsCte(scope.tenantId, scope.period, elapsed)}
    select c.*, count(*) over ()::int as matching from classified c
    where c.status = 'at_risk'
      and (${filter.department ?? null}::text is null or c.department = ${filter.department ?? null}::text)
      and (${filter.managerId ?? null}::text is null or c.manager_id = ${filter.managerId ?? null}::text)
    order by c.projected / nullif(c.target_total, 0) nulls first, c.earned, c.id
    limit ${filter.limit}`.execute(db);
  return {
    ...head('at-risk', scope),
    daysLeft,
    elapsed: ratio(elapsed),
    atRisk: Number(rows[0]?.matching ?? 0),
    columns: ['learnerId', 'displayName', 'department', 'role', 'managerId', 'earned', 'required', 'carried', 'target', 'targetRequired', 'projected', 'remaining', 'requiredRemaining', 'daysLeft'],
    rows: rows.map((r) => ({
      learnerId: String(r.id),
      displayName: r.display_name as string | null,
      department: r.department as string | null,
      role: r.role as string | null,
      managerId: r.manager_id as string | null,
      earned: credits(r.earned),
      required: credits(r.req),
      carried: credits(r.carried),
      target: credits(r.target_total),
      targetRequired: credits(r.target_required),
      projected: credits(r.projected),
      remaining: credits(Math.max(0, Number(r.target_total) - Number(r.earned))),
      requiredRemaining: credits(Math.max(0, Number(r.target_required) - Number(r.req) - Number(r.carried))),
      daysLeft,
    })),
  };
}

export interface ManagerRow extends SummaryRow {
  managerId: string;
  managerName: string | null;
  atRiskLearners: string;
}

/** One line per manager: how their direct reports (learners.manager_id) stand, and who is at risk. */
export async function managersReport(db: Db, scope: ReportScope): Promise<Report<ManagerRow>> {
  const { elapsed } = periodProgress(parsePeriod(scope.period), scope.now);
  const summary = await summaryReport(db, scope, 'manager');
  const { rows } = await sql<{ manager_id: string; ids: string[] }>`${standingsCte(scope.tenantId, scope.period, elapsed)}
    select manager_id, array_agg(id order by id) as ids from classified where status = 'at_risk' and manager_id is not null group by manager_id`.execute(db);
  const atRisk = new Map(rows.map((r) => [r.manager_id, r.ids]));
  return {
    ...head('managers', scope),
    columns: ['managerId', 'managerName', 'learners', 'earned', 'averageEarned', 'required', 'elective', 'averageTarget', 'withTarget', 'met', 'onTrack', 'atRisk', 'metRate', 'atRiskLearners'],
    rows: summary.rows
      .filter((r) => r.group !== null)
      .map((r) => ({ ...r, managerId: r.group!, managerName: r.groupName, atRiskLearners: (atRisk.get(r.group!) ?? []).join(' ') })),
  };
}

export interface LeaderboardRow {
  rank: number;
  group: string | null;
  learners: number;
  averageEarned: number;
  top: string;
  leaders: { learnerId: string; displayName: string | null; earned: number }[];
}

/** Groups ranked by average credits per learner, with each group's leading learners (opt-in per tenant). */
export async function leaderboardReport(db: Db, scope: ReportScope, groupBy: GroupBy, top: number): Promise<Report<LeaderboardRow>> {
  const { elapsed } = periodProgress(parsePeriod(scope.period), scope.now);
  const key = groupBy === 'manager' ? sql.ref('manager_id') : groupBy === 'role' ? sql.ref('role') : sql.ref('department');
  const { rows } = await sql<Record<string, unknown>>`${standingsCte(scope.tenantId, scope.period, elapsed)},
    ranked as (select ${key} as grp, id, display_name, earned, row_number() over (partition by ${key} order by earned desc, id) as place from classified)
    select grp, count(*)::int as learners, avg(earned)::float8 as avg_earned,
      coalesce(jsonb_agg(jsonb_build_object('learnerId', id, 'displayName', display_name, 'earned', earned) order by place) filter (where place <= ${top}), '[]'::jsonb) as leaders
    from ranked where grp is not null group by grp order by avg(earned) desc, grp`.execute(db);
  return {
    ...head('leaderboard', scope),
    groupBy,
    columns: ['rank', 'group', 'learners', 'averageEarned', 'top'],
    rows: rows.map((r, i) => {
      const leaders = (r.leaders as { learnerId: string; displayName: string | null; earned: number }[]).map((l) => ({ ...l, earned: credits(l.earned) }));
      return {
        rank: i + 1,
        group: r.grp as string,
        learners: Number(r.learners),
        averageEarned: credits(r.avg_earned as number),
        top: leaders.map((l) => `${l.displayName ?? l.learnerId} (${l.earned})`).join('; '),
        leaders,
      };
    }),
  };
}

export interface FlagRow {
  code: string;
  occurrences: number;
  learners: number;
  courses: number;
}

/** How often each suspicious-engagement flag was raised this period, and for how many learners and courses. */
export async function flagsReport(db: Db, scope: ReportScope): Promise<Report<FlagRow>> {
  const { rows } = await sql<{ code: string; occurrences: number; learners: number; courses: number }>`
    select f ->> 'code' as code, count(*)::int as occurrences, count(distinct e.learner_id)::int as learners, count(distinct e.course_id)::int as courses
    from engagement e cross join lateral jsonb_array_elements(e.flags) f
    where e.tenant_id = ${scope.tenantId} and e.period = ${scope.period} and jsonb_typeof(e.flags) = 'array'
    group by 1 order by occurrences desc, code`.execute(db);
  return {
    ...head('flags', scope),
    columns: ['code', 'occurrences', 'learners', 'courses'],
    rows: rows.map((r) => ({ code: String(r.code), occurrences: Number(r.occurrences), learners: Number(r.learners), courses: Number(r.courses) })),
  };
}
