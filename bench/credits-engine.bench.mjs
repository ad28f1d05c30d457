// The credit engine at scale, on PostgreSQL (PGlite when no server answers):
//  1. a full recompute of 1,000,000 generated statements (10,000 learners × 2 courses × 50),
//     against a naive recompute that assesses and writes one learner/course pair at a time;
//  2. the credits query for one learner among 10,000, from the engagement cache and ledger,
//     against computing the same answer from raw statements on every read.
// Both ratios are measured in this run; no number is compared with a constant.
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { Verbs, VideoExt, XcreditExt } from '@xcredit/sdk/xapi';
import { assessLearnerCourse, creditEvents, getCourse, learnerCredits, migrate, openStore, recompute, refreshEngagement, seedDemo } from '@xcredit/lrs-server';
import { createTestDatabase, probePostgres } from '@xcredit/lrs-server/testing';

const LEARNERS = Number(process.env.BENCH_LEARNERS ?? 10_000);
const PER_LAUNCH = 50;
const COURSES = ['bench-a', 'bench-b'];
const SAMPLE = 300;

const pgUrl = process.env.XCREDIT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgUp = (await probePostgres(pgUrl)).ok;
const database = pgUp ? await createTestDatabase(pgUrl) : undefined;
const store = await openStore({ databaseUrl: database?.url, dataDir: 'memory://' });
const db = store.db;
try {
  await migrate(db);
  await seedDemo(db);
  for (const id of COURSES) {
    await db
      .insertInto('courses')
      .values({ tenant_id: 'default', id, title: id, activity_id: `https://bench.example/${id}`, credits: 2, kind: 'required', length_seconds: 250, video_url: null, policy: '{}' })
      .execute();
  }
  let t = performance.now();
  await sql`insert into learners (tenant_id, id) select 'default', 'L' || g from generate_series(1, ${LEARNERS}) g`.execute(db);
  await sql`insert into launches (tenant_id, registration, token_hash, learner_id, course_id, expires_at, created_at)
    select 'default', gen_random_uuid(), md5(g::text || c), 'L' || g, c, now() + interval '1 day', now() - interval '1 hour'
    from generate_series(1, ${LEARNERS}) g, unnest(${COURSES}::text[]) c`.execute(db);
  // Honest 1x viewings: 25 played/paused pairs of 10 s each, received 10 s apart.
  await sql`insert into statements (tenant_id, id, stored, verb_id, actor_key, activity_id, registration, launch_registration, statement)
    select 'default', gen_random_uuid(), now() - interval '1 hour' + k * interval '10 seconds',
      case when k % 2 = 0 then ${Verbs.played} else ${Verbs.paused} end,
      'account:https://xcredit.dev/tenants/default|' || l.learner_id, 'https://bench.example/' || l.course_id, l.registration, l.registration,
      jsonb_build_object(
        'actor', jsonb_build_object('objectType', 'Agent', 'account', jsonb_build_object('homePage', 'https://xcredit.dev/tenants/default', 'name', l.learner_id)),
        'verb', jsonb_build_object('id', case when k % 2 = 0 then ${Verbs.played} else ${Verbs.paused} end),
        'object', jsonb_build_object('id', 'https://bench.example/' || l.course_id),
        'context', jsonb_build_object('registration', l.registration, 'extensions', jsonb_build_object(${VideoExt.sessionId}::text, l.registration)),
        'result', jsonb_build_object('extensions', jsonb_build_object(${VideoExt.time}::text, (k / 2) * 10 + (k % 2) * 10, ${XcreditExt.focusedSeconds}::text, (k % 2) * 10)))
    from launches l, generate_series(0, ${PER_LAUNCH - 1}) k
    where l.course_id = any(${COURSES}::text[])`.execute(db);
  await sql`analyze`.execute(db);
  const statements = LEARNERS * COURSES.length * PER_LAUNCH;
  console.log(`generated ${statements.toLocaleString('en')} statements for ${LEARNERS.toLocaleString('en')} learners in ${((performance.now() - t) / 1000).toFixed(1)} s (${store.engine})`);

  // 1. Full recompute vs one pair at a time.
  t = performance.now();
  const cpu = process.cpuUsage();
  const events = creditEvents();
  const result = await recompute(db, { events });
  const full = (performance.now() - t) / 1000;
  const cpuSeconds = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6;
  const fullRate = result.statements / full;
  const pairs = [];
  for (let i = 0; i < SAMPLE; i++) pairs.push([`L${1 + Math.floor(Math.random() * LEARNERS)}`, COURSES[i % 2]]);
  t = performance.now();
  for (const [learner, course] of pairs) {
    await db.transaction().execute((trx) => refreshEngagement(trx, 'default', learner, course, String(new Date().getUTCFullYear()), { actor: 'bench', events }));
  }
  const naiveRate = (SAMPLE * PER_LAUNCH) / ((performance.now() - t) / 1000);
  console.log(`full recompute: ${result.statements.toLocaleString('en')} statements, ${result.pairs.toLocaleString('en')} pairs in ${full.toFixed(1)} s (${cpuSeconds.toFixed(1)} s of it in this process, the rest in the database)`);
  console.log(`  recompute                     ${Math.round(fullRate).toLocaleString('en')} statements/s`);
  console.log(`  baseline: one pair at a time  ${Math.round(naiveRate).toLocaleString('en')} statements/s`);
  console.log(`  ratio (recompute / baseline)  ${(fullRate / naiveRate).toFixed(2)}   (target: ≥ 100,000 statements/s)`);

  // 2. Credits of one learner among 10,000: cached engagement + ledger vs recomputing on read.
  // Fresh statistics, as autovacuum keeps them in service: the tables were empty at the last analyze.
  await sql`analyze`.execute(db);
  const period = String(new Date().getUTCFullYear());
  const courses = await Promise.all(COURSES.map((c) => getCourse(db, 'default', c)));
  const p95 = async (fn) => {
    const samples = [];
    for (let i = 0; i < SAMPLE; i++) {
      const learner = `L${1 + Math.floor(Math.random() * LEARNERS)}`;
      const s = performance.now();
      await fn(learner);
      samples.push(performance.now() - s);
    }
    samples.sort((a, b) => a - b);
    return samples[Math.floor(samples.length * 0.95)];
  };
  const ours = await p95((learner) => learnerCredits(db, 'default', learner, period));
  const naive = await p95((learner) => Promise.all(courses.map((c) => assessLearnerCourse(db, 'default', learner, c, period))));
  console.log(`credits of one learner among ${LEARNERS.toLocaleString('en')}: p95 of ${SAMPLE}`);
  console.log(`  cached engagement + ledger    ${ours.toFixed(2)} ms`);
  console.log(`  baseline: from raw statements ${naive.toFixed(2)} ms`);
  console.log(`  ratio (baseline / ours)       ${(naive / ours).toFixed(2)}x faster`);
} finally {
  await store.close();
  await database?.drop();
}
