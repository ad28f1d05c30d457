// The tenant summary report (credits and targets by department) over 10,000 learners × 30
// courses, on PostgreSQL (PGlite when no server answers): p95 of repeated calls, against a
// per-learner loop that reads each learner's credits (learnerCredits) and groups them in
// JavaScript, measured in this run. Prints numbers and the ratio; asserts nothing.
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { learnerCredits, migrate, openStore, seedDemo, summaryReport } from '@xcredit/lrs-server';
import { createTestDatabase, probePostgres } from '@xcredit/lrs-server/testing';

const LEARNERS = Number(process.env.BENCH_LEARNERS ?? 10_000);
const COURSES = 30;
const CALLS = Number(process.env.BENCH_CALLS ?? 40);

const pgUrl = process.env.XCREDIT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgUp = (await probePostgres(pgUrl)).ok;
const database = pgUp ? await createTestDatabase(pgUrl) : undefined;
const store = await openStore({ databaseUrl: database?.url, dataDir: 'memory://' });
const db = store.db;
const now = new Date();
const period = String(now.getUTCFullYear());
try {
  await migrate(db);
  await seedDemo(db);
  let t = performance.now();
  await sql`insert into courses (tenant_id, id, title, activity_id, credits, kind, length_seconds, policy)
    select 'default', 'C' || c, 'Course ' || c, 'https://bench.example/C' || c, 5, case when c % 3 = 0 then 'required' else 'elective' end, 900, '{}'
    from generate_series(1, ${COURSES}) c`.execute(db);
  await sql`insert into learners (tenant_id, id, display_name, department, role, manager_id)
    select 'default', 'L' || g, 'Learner ' || g, 'dept-' || (g % 20), 'role-' || (g % 7), case when g > 100 then 'L' || (g % 100 + 1) end
    from generate_series(1, ${LEARNERS}) g`.execute(db);
  // Each learner engaged with about two thirds of the courses; a course earns when coverage passes.
  await sql`insert into engagement (tenant_id, learner_id, course_id, period, coverage, attention, mastery, engagement, earned_tenths, verified_seconds, claimed_seconds, sessions, gates, flags)
    select 'default', 'L' || g, 'C' || c, ${period}, cov, 0.9, 1, 0.6 * cov + 0.38, case when cov >= 0.8 then floor(50 * (0.6 * cov + 0.38)) else 0 end,
      900 * cov, 900 * cov, 1, '[]', case when (g + c) % 97 = 0 then '[{"code":"rate_exceeded","message":"bench"}]'::jsonb else '[]'::jsonb end
    from generate_series(1, ${LEARNERS}) g, generate_series(1, ${COURSES}) c, lateral (select ((g * 31 + c * 17) % 100) / 100.0 as cov) v
    where (g + c) % 3 <> 0`.execute(db);
  await sql`insert into ledger (tenant_id, learner_id, period, source, amount_tenths, course_id, kind, reason, created_by)
    select e.tenant_id, e.learner_id, e.period, 'video', e.earned_tenths, e.course_id, c.kind, 'bench', 'bench'
    from engagement e join courses c on c.tenant_id = e.tenant_id and c.id = e.course_id where e.earned_tenths > 0`.execute(db);
  await sql`insert into targets (tenant_id, period, group_type, group_value, total_tenths, required_tenths) values
    ('default', ${period}, 'all', '', 1500, 1000), ('default', ${period}, 'department', 'dept-3', 1000, 500), ('default', ${period}, 'role', 'role-2', 1200, 600)`.execute(db);
  // Steady state: autovacuum has run, so index-only scans see an up-to-date visibility map.
  await sql`vacuum analyze`.execute(db);
  const counts = await sql`select (select count(*) from engagement)::int as engagement, (select count(*) from ledger)::int as ledger`.execute(db);
  console.log(
    `generated ${LEARNERS.toLocaleString('en')} learners × ${COURSES} courses: ${counts.rows[0].engagement.toLocaleString('en')} engagement rows, ${counts.rows[0].ledger.toLocaleString('en')} ledger entries in ${((performance.now() - t) / 1000).toFixed(1)} s (${store.engine})`,
  );

  const scope = { tenantId: 'default', period, now };
  await summaryReport(db, scope, 'department'); // warm up
  const samples = [];
  let report;
  for (let i = 0; i < CALLS; i++) {
    const s = performance.now();
    report = await summaryReport(db, scope, 'department');
    samples.push(performance.now() - s);
  }
  samples.sort((a, b) => a - b);
  const p95 = samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.95))];
  const median = samples[Math.floor(samples.length / 2)];

  // Baseline: one learner at a time through learnerCredits, targets picked and grouped in JavaScript.
  t = performance.now();
  const learners = await db.selectFrom('learners').select(['id', 'department', 'role']).where('tenant_id', '=', 'default').execute();
  const targets = await db.selectFrom('targets').selectAll().where('tenant_id', '=', 'default').where('period', '=', period).execute();
  const elapsed = (now.getTime() - Date.UTC(Number(period), 0, 1)) / (Date.UTC(Number(period) + 1, 0, 1) - Date.UTC(Number(period), 0, 1));
  const groups = new Map();
  for (const l of learners) {
    const c = await learnerCredits(db, 'default', l.id, period);
    const required = c.courses.filter((x) => x.kind === 'required').reduce((s, x) => s + x.earned, 0);
    const target =
      targets.find((x) => x.group_type === 'department' && x.group_value === l.department) ?? targets.find((x) => x.group_type === 'role' && x.group_value === l.role) ?? targets.find((x) => x.group_type === 'all');
    const met = target && c.earned * 10 >= target.total_tenths && required * 10 >= target.required_tenths;
    const onTrack = target && !met && (c.earned * 10) / elapsed >= target.total_tenths && (required * 10) / elapsed >= target.required_tenths;
    const g = groups.get(l.department) ?? { learners: 0, earned: 0, met: 0, atRisk: 0 };
    g.learners++;
    g.earned += c.earned;
    if (met) g.met++;
    else if (target && !onTrack) g.atRisk++;
    groups.set(l.department, g);
  }
  const loop = performance.now() - t;
  const check = report.rows.find((r) => r.group === 'dept-3');
  const mine = groups.get('dept-3');
  console.log(`tenant summary by department, ${LEARNERS.toLocaleString('en')} learners × ${COURSES} courses: ${CALLS} calls`);
  console.log(`  summary report (SQL)          p95 ${p95.toFixed(1)} ms, median ${median.toFixed(1)} ms   (target: p95 ≤ 80 ms)`);
  console.log(`  baseline: per-learner loop    ${loop.toFixed(0)} ms for one report`);
  console.log(`  ratio (baseline / p95)        ${(loop / p95).toFixed(1)}x faster`);
  console.log(`  agreement on dept-3           report ${check.learners} learners, ${check.earned} credits, ${check.met} met, ${check.atRisk} at risk; loop ${mine.learners}, ${Math.round(mine.earned * 10) / 10}, ${mine.met}, ${mine.atRisk}`);
} finally {
  await store.close();
  await database?.drop();
}
