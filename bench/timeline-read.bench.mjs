// What one statement batch reads of a learner's history, as the history grows: the whole timeline
// (the read every batch made before checkpoints) against the read from the timeline's checkpoint
// (what a batch reads now), on PostgreSQL, by EXPLAIN (ANALYZE, BUFFERS), among 100 other learners
// per size measured with the same history. Rows and buffers do not
// depend on how busy the machine is; times do. Prints the ratio full / checkpoint at each size.
//
//   node bench/timeline-read.bench.mjs --rounds 300
//
// A round is what a player does in about 40 s: play, 30 s watched (two heartbeats), pause.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { fullTimelineQuery, getCourse, timelineReadQuery } from '@xcredit/lrs-server';
import { openPlayer, probePostgres, startTestServer } from '@xcredit/lrs-server/testing';

const direct = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
const { values: args } = parseArgs({ args: direct ? process.argv.slice(2) : [], options: { rounds: { type: 'string', default: '100' } } });
const ROUNDS = Number(args.rounds);
/** Other learners given the same history at each size measured. */
const CROWD = 100;
const POSTGRES = process.env.XCREDIT_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Rows that left the scans, buffers touched and time, of one query, from EXPLAIN (ANALYZE, BUFFERS). */
async function explain(db, query) {
  const { rows } = await sql`explain (analyze, buffers, format json) ${query}`.execute(db);
  const plan = rows[0]['QUERY PLAN'][0];
  let scanned = 0;
  const walk = (node) => {
    if (/Scan/.test(node['Node Type'])) scanned += node['Actual Rows'] * node['Actual Loops'];
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan.Plan);
  return { scanned, buffers: plan.Plan['Shared Hit Blocks'] + plan.Plan['Shared Read Blocks'], ms: plan['Execution Time'] };
}

async function run() {
  const probe = await probePostgres(POSTGRES);
  if (!probe.ok) {
    console.log(`timeline-read: skipped (PostgreSQL not reachable: ${probe.reason})`);
    return;
  }
  const server = await startTestServer({ engine: 'postgres', postgresUrl: POSTGRES, manualClock: true });
  try {
    const api = async (method, path, body) => {
      const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await api('PUT', '/courses/long', { title: 'Long course', activityId: 'https://bench.example/courses/long', credits: 2, kind: 'required', lengthSeconds: 36_000 });
    const player = await openPlayer(server, await api('POST', '/launches', { learnerId: 'ann', courseId: 'long' }));
    const db = server.store.db;
    const course = await getCourse(db, 'default', 'long');
    let media = 0;
    const round = async () => {
      await player.play(media);
      await player.watch(30);
      media += 30;
      await player.pause(media);
    };
    console.log(`timeline-read: one learner's batch read as their history grows (PostgreSQL, ${ROUNDS} rounds of play, 30 s watched, pause)`);
    console.log('  history (statements + heartbeats)   full read: rows, buffers, ms   checkpoint read: rows, buffers, ms   rows full/checkpoint   buffers full/checkpoint');
    const sizes = new Set([10, 30, 100, 300, 1000].filter((n) => n < ROUNDS).concat(ROUNDS));
    for (let r = 1; r <= ROUNDS; r++) {
      await round();
      if (!sizes.has(r)) continue;
      // A batch's read comes after what arrived since the last one: 30 s more, two heartbeats.
      await player.watch(30);
      const period = String(server.clock().getUTCFullYear());
      const key = { tenantId: 'default', learnerId: 'ann', courseId: 'long', period };
      // As many other learners with the same history, so each read has a crowd to pick from.
      await sql`insert into learners (tenant_id, id) select 'default', 'crowd-' || ${r} || '-' || g from generate_series(1, ${CROWD}) g`.execute(db);
      await sql`insert into launches (tenant_id, registration, token_hash, learner_id, course_id, expires_at) select 'default', gen_random_uuid(), md5(random()::text || g), 'crowd-' || ${r} || '-' || g, 'long', now() from generate_series(1, ${CROWD}) g`.execute(db);
      await sql`insert into statements (tenant_id, id, stored, verb_id, actor_key, activity_id, registration, launch_registration, statement)
        select s.tenant_id, gen_random_uuid(), s.stored, s.verb_id, s.actor_key, s.activity_id, s.registration, c.registration, s.statement
        from statements s join launches a on a.tenant_id = s.tenant_id and a.registration = s.launch_registration and a.learner_id = 'ann'
        cross join launches c where c.learner_id like ${`crowd-${r}-%`}`.execute(db);
      await sql`insert into heartbeats (tenant_id, registration, session_id, received_at, sent_at, media_time, playing)
        select h.tenant_id, c.registration, h.session_id, h.received_at, h.sent_at, h.media_time, h.playing
        from heartbeats h join launches a on a.tenant_id = h.tenant_id and a.registration = h.registration and a.learner_id = 'ann'
        cross join launches c where c.learner_id like ${`crowd-${r}-%`}`.execute(db);
      await sql`analyze`.execute(db);
      const [{ n }] = (await sql`select (select count(*) from statements s join launches l on l.tenant_id = s.tenant_id and l.registration = s.launch_registration where l.learner_id = 'ann') + (select count(*) from heartbeats h join launches l using (tenant_id, registration) where l.learner_id = 'ann') as n`.execute(db)).rows;
      const full = await explain(db, fullTimelineQuery(db, 'default', 'ann', course, period));
      const incremental = await explain(db, timelineReadQuery(db, key, undefined, true));
      const ratio = (a, b) => (b ? (a / b).toFixed(1) : '–');
      console.log(
        `  ${String(n).padStart(8)}   ${String(full.scanned).padStart(24)}, ${String(full.buffers).padStart(5)}, ${full.ms.toFixed(1).padStart(6)}   ${String(incremental.scanned).padStart(20)}, ${String(incremental.buffers).padStart(5)}, ${incremental.ms.toFixed(1).padStart(6)}   ${ratio(full.scanned, incremental.scanned).padStart(20)}   ${ratio(full.buffers, incremental.buffers).padStart(22)}`,
      );
      media += 30;
    }
    const [{ bytes }] = (await sql`select pg_column_size(statements) + pg_column_size(heartbeats) as bytes from timeline_checkpoints where learner_id = 'ann'`.execute(db)).rows;
    console.log(`  checkpoint kept for ann: ${bytes} bytes (stored compressed)`);
  } finally {
    await server.close();
  }
}

await run();
