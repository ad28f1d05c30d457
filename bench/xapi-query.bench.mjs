// How quickly does GET /xapi/statements answer by agent and by activity over 1,000,000 stored
// statements? The statements are generated inside PostgreSQL (insert … select), shaped as the
// LRS stores them; then many requests are timed through HTTP. Baseline: the same page selected
// with SQL over the same connection pool, so the ratio shows what the HTTP layer adds.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { openStore } from '@xcredit/lrs-server';
import { createTestDatabase, probePostgres } from '@xcredit/lrs-server/testing';

const POSTGRES = process.env.XCREDIT_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const STATEMENTS = Number(process.env.XCREDIT_BENCH_STATEMENTS ?? 1_000_000);
const AGENTS = 20_000; // ~50 statements each
const ACTIVITIES = 2_000; // ~500 statements each
const REQUESTS = 200; // per kind, 8 at a time
const LIMIT = 100;
const KEY = 'bench-query';
const SECRET = 'bench-query-secret-0123456789';

const probe = await probePostgres(POSTGRES);
if (!probe.ok) console.log(`skipped: no PostgreSQL at ${POSTGRES} (${probe.reason})`);
else await run();

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function p95(samples) {
  return [...samples].sort((a, b) => a - b)[Math.ceil(samples.length * 0.95) - 1];
}

async function run() {
  const database = await createTestDatabase(POSTGRES);
  const port = await freePort();
  const root = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(process.execPath, ['packages/lrs-server/bin/xcredit.js', 'start'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url, XCREDIT_SECRET_KEY: 'bench-secret-key-0123456789abcdefghij', XCREDIT_ADMIN_KEY: KEY, XCREDIT_ADMIN_SECRET: SECRET },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}/xapi`;
  const headers = { authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`, 'x-experience-api-version': '2.0.0' };
  let store;
  try {
    for (let i = 0; ; i++) {
      if (await fetch(`${base}/about`).then((r) => r.ok, () => false)) break;
      if (i > 100) throw new Error('the server did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    store = await openStore({ databaseUrl: database.url, dataDir: 'memory://' });
    const db = store.db;
    const t0 = performance.now();
    // Rows as the LRS writes them: account actors, a Video Profile verb, an activity object.
    await sql`
      insert into statements (tenant_id, id, stored, verb_id, actor_key, activity_id, registration, client_key, statement, related_agents, related_activities)
      select 'default', g.id, g.stored, g.verb, 'account:https://bench.example|' || g.learner, g.activity, null, ${sql.lit(KEY)},
        jsonb_build_object('id', g.id, 'actor', jsonb_build_object('objectType', 'Agent', 'account', jsonb_build_object('homePage', 'https://bench.example', 'name', g.learner)), 'verb', jsonb_build_object('id', g.verb),
          'object', jsonb_build_object('objectType', 'Activity', 'id', g.activity), 'result', jsonb_build_object('extensions', jsonb_build_object('https://w3id.org/xapi/video/extensions/time', g.n % 600)),
          'timestamp', to_char(g.stored at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'stored', to_char(g.stored at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'version', '2.0.0',
          'authority', jsonb_build_object('objectType', 'Agent', 'account', jsonb_build_object('homePage', 'https://xcredit.dev/tenants/default', 'name', ${sql.lit(KEY)}))),
        array['account:https://bench.example|' || g.learner], array[g.activity]
      from (
        select n, gen_random_uuid() as id, now() - make_interval(secs => ${sql.lit(STATEMENTS)} - n) as stored,
          'learner' || (n * 7919 % ${sql.lit(AGENTS)}) as learner,
          'https://bench.example/videos/' || (n * 104729 % ${sql.lit(ACTIVITIES)}) as activity,
          (array['https://w3id.org/xapi/video/verbs/played', 'https://w3id.org/xapi/video/verbs/paused', 'https://w3id.org/xapi/video/verbs/seeked'])[1 + n % 3] as verb
        from generate_series(1::bigint, ${sql.lit(STATEMENTS)}) n
      ) g`.execute(db);
    await sql`analyze statements`.execute(db);
    const loadSeconds = (performance.now() - t0) / 1000;

    const agentOf = (i) => JSON.stringify({ account: { homePage: 'https://bench.example', name: `learner${(i * 31) % AGENTS}` } });
    const activityOf = (i) => `https://bench.example/videos/${(i * 17) % ACTIVITIES}`;
    // Each measure runs ROUNDS slices, interleaved with the other's, so load on the machine hits both alike.
    const ROUNDS = 5;
    const timeHttp = async (query, round, samples = []) => {
      let next = (round * REQUESTS) / ROUNDS;
      const end = ((round + 1) * REQUESTS) / ROUNDS;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < end) {
            const i = next++;
            const t = performance.now();
            const res = await fetch(`${base}/statements?${new URLSearchParams({ ...query(i), limit: String(LIMIT) })}`, { headers });
            const body = await res.json();
            if (res.status !== 200 || !body.statements.length) throw new Error(`query failed: ${res.status}`);
            samples.push(performance.now() - t);
          }
        }),
      );
      return samples;
    };
    const timeSql = async (where, round, samples = []) => {
      let next = (round * REQUESTS) / ROUNDS;
      const end = ((round + 1) * REQUESTS) / ROUNDS;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < end) {
            const i = next++;
            const t = performance.now();
            await db.selectFrom('statements').select(['seq', 'statement']).where('tenant_id', '=', 'default').where('voided', '=', false).where(where(i)).orderBy('seq', 'desc').limit(LIMIT).execute();
            samples.push(performance.now() - t);
          }
        }),
      );
      return samples;
    };
    const keyOf = (i) => `account:https://bench.example|${JSON.parse(agentOf(i)).account.name}`;
    await timeHttp((i) => ({ agent: agentOf(i + 1000) }), 0); // warm-up
    const [byAgent, byActivity, sqlAgent, sqlActivity] = [[], [], [], []];
    for (let round = 0; round < ROUNDS; round++) {
      await timeHttp((i) => ({ agent: agentOf(i) }), round, byAgent);
      await timeSql((i) => (eb) => eb.or([eb('actor_key', '=', keyOf(i)), eb('object_agent_key', '=', keyOf(i))]), round, sqlAgent);
      await timeHttp((i) => ({ activity: activityOf(i) }), round, byActivity);
      await timeSql((i) => (eb) => eb('activity_id', '=', activityOf(i)), round, sqlActivity);
    }

    console.log(`queries over ${STATEMENTS.toLocaleString('en')} statements (${AGENTS} agents, ${ACTIVITIES} activities; generated in ${loadSeconds.toFixed(0)} s), PostgreSQL, ${REQUESTS} requests each, 8 concurrent, limit=${LIMIT}`);
    console.log(`  GET ?agent=      p95 ${p95(byAgent).toFixed(1)} ms   (SQL alone p95 ${p95(sqlAgent).toFixed(1)} ms, ratio ${(p95(byAgent) / p95(sqlAgent)).toFixed(2)})`);
    console.log(`  GET ?activity=   p95 ${p95(byActivity).toFixed(1)} ms   (SQL alone p95 ${p95(sqlActivity).toFixed(1)} ms, ratio ${(p95(byActivity) / p95(sqlActivity)).toFixed(2)})`);
  } finally {
    await store?.close().catch(() => {});
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await database.drop();
  }
}
