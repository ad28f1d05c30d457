// How fast does the LRS take in Video Profile statements over HTTP, compared with the fastest
// way PostgreSQL can take the same rows? Many concurrent clients post batches to a server
// process on PostgreSQL; then the same number of rows, as the LRS stores them, are loaded with
// COPY into the same table of the same database. Both are measured in this run.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { openStore } from '@xcredit/lrs-server';
import { Verbs, VideoExt, VIDEO_ACTIVITY_TYPE, VIDEO_PROFILE } from '@xcredit/sdk/xapi';
import { createTestDatabase, probePostgres } from '@xcredit/lrs-server/testing';

const POSTGRES = process.env.XCREDIT_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLIENTS = 32; // concurrent HTTP clients
const BATCHES = 25; // per client
const BATCH = 40; // statements per batch
const SERVERS = Number(process.env.XCREDIT_BENCH_SERVERS ?? 1); // server processes behind a client-side round robin
const KEY = 'bench-ingest';
const SECRET = 'bench-ingest-secret-0123456789';

const probe = await probePostgres(POSTGRES);
if (!probe.ok) {
  console.log(`skipped: no PostgreSQL at ${POSTGRES} (${probe.reason})`);
} else {
  await run();
}

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One learner's session: initialized, then played/paused pairs with growing segments, like the player sends. */
function session(learner, video, registration) {
  const sessionId = randomUUID();
  const actor = { objectType: 'Agent', account: { homePage: 'https://xcredit.dev/tenants/default', name: learner } };
  const context = {
    registration,
    contextActivities: { category: [{ id: VIDEO_PROFILE, definition: { type: 'http://adlnet.gov/expapi/activities/profile' } }] },
    extensions: { [VideoExt.sessionId]: sessionId, [VideoExt.length]: 600, [VideoExt.completionThreshold]: 0.9 },
  };
  const object = { id: video, definition: { type: VIDEO_ACTIVITY_TYPE, name: { 'en-US': 'Bench video' } } };
  const out = [];
  for (let i = 0; i < BATCH; i++) {
    const t = i * 10;
    const verb = i === 0 ? Verbs.initialized : i % 2 ? Verbs.played : Verbs.paused;
    const result = i === 0 ? undefined : { extensions: { [VideoExt.time]: t, ...(verb === Verbs.paused ? { [VideoExt.progress]: t / 600, [VideoExt.playedSegments]: `0[.]${t}` } : {}) } };
    out.push({ id: randomUUID(), actor, verb: { id: verb, display: { 'en-US': verb.split('/').pop() } }, object, context, timestamp: new Date().toISOString(), ...(result ? { result } : {}) });
  }
  return out;
}

async function run() {
  const database = await createTestDatabase(POSTGRES);
  const root = fileURLToPath(new URL('..', import.meta.url));
  const children = [];
  const bases = [];
  const start = async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [...(process.env.XCREDIT_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/xc-prof'] : []), 'packages/lrs-server/bin/xcredit.js', 'start'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url, XCREDIT_ADMIN_KEY: KEY, XCREDIT_ADMIN_SECRET: SECRET },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    const base = `http://127.0.0.1:${port}/xapi`;
    for (let i = 0; ; i++) {
      if (await fetch(`${base}/about`).then((r) => r.ok, () => false)) break;
      if (i > 100) throw new Error('the server did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    bases.push(base);
  };
  const headers = { authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' };
  let store;
  try {
    for (let i = 0; i < SERVERS; i++) await start();
    const videos = Array.from({ length: 4 }, (_, i) => `https://bench.example/videos/${i}`);
    const work = Array.from({ length: CLIENTS }, (_, c) =>
      Array.from({ length: BATCHES }, (_, b) => JSON.stringify(session(`learner-${c}-${b % 5}`, videos[(c + b) % videos.length], randomUUID()))),
    );
    // Warm-up: one batch per client, not measured (connections, caches, JIT).
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => fetch(`${bases[c % SERVERS]}/statements`, { method: 'POST', headers, body: JSON.stringify(session('warm', videos[0], randomUUID())) }).then((r) => r.text())));

    const t0 = performance.now();
    await Promise.all(
      work.map(async (batches, c) => {
        for (const body of batches) {
          const res = await fetch(`${bases[c % SERVERS]}/statements`, { method: 'POST', headers, body });
          if (res.status !== 200) throw new Error(`POST failed: ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
        }
      }),
    );
    const httpSeconds = (performance.now() - t0) / 1000;
    const total = CLIENTS * BATCHES * BATCH;

    // The same number of rows, as the LRS stored them, copied back in under new ids.
    store = await openStore({ databaseUrl: database.url, dataDir: 'memory://' });
    const query = (text, params = []) => sql.raw(params.reduce((t, p, i) => t.replace(`$${i + 1}`, `'${String(p).replace(/'/g, "''")}'`), text)).execute(store.db);
    const columns = ['tenant_id', 'id', 'stored', 'verb_id', 'actor_key', 'activity_id', 'registration', 'launch_registration', 'client_key', 'voided', 'statement', 'object_agent_key', 'object_statement_id', 'related_agents', 'related_activities'];
    const { rows } = await query(`select ${columns.join(', ')} from statements where client_key = $1 order by seq desc limit $2`, [KEY, total]);
    const file = `/tmp/xcredit-bench-copy-${process.pid}.csv`;
    const csv = (v) => {
      if (v === null || v === undefined) return '';
      if (Array.isArray(v)) v = `{${v.map((e) => `"${String(e).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
      else if (v instanceof Date) v = v.toISOString();
      else if (typeof v === 'object') v = JSON.stringify(v);
      else v = String(v);
      return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
    };
    writeFileSync(file, rows.map((r) => columns.map((c) => csv(c === 'id' ? randomUUID() : r[c])).join(',')).join('\n') + '\n');
    chmodSync(file, 0o644);
    let copySeconds;
    try {
      const t1 = performance.now();
      await query(`copy statements (${columns.join(', ')}) from '${file}' with (format csv)`);
      copySeconds = (performance.now() - t1) / 1000;
    } finally {
      rmSync(file, { force: true });
    }

    const httpRate = total / httpSeconds;
    const copyRate = rows.length / copySeconds;
    console.log(`ingest: ${CLIENTS} concurrent clients × ${BATCHES} batches × ${BATCH} Video Profile statements = ${total} statements, PostgreSQL, ${SERVERS} server process${SERVERS > 1 ? 'es' : ''}`);
    console.log(`  POST /xapi/statements     ${Math.round(httpRate)} statements/s (${httpSeconds.toFixed(2)} s)`);
    console.log(`  baseline: COPY same rows  ${Math.round(copyRate)} rows/s (${copySeconds.toFixed(2)} s)`);
    console.log(`  ratio (http / copy)       ${(httpRate / copyRate).toFixed(2)}`);
  } finally {
    await store?.close().catch(() => {});
    await Promise.all(children.map((child) => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM')))));
    await database.drop();
  }
}
