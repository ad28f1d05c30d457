// How fast does the LRS take in Video Profile statements over HTTP, compared with the fastest
// way PostgreSQL can take the same rows? Many concurrent clients post batches to a server
// process on PostgreSQL; then the same number of rows, as the LRS stores them, are loaded with
// COPY into the same table of the same database. Both are measured in this run.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync, rmSync, chmodSync, readFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
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
const ROUNDS = 5; // HTTP then COPY, repeated: the median round is reported
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

/** The last `count` rows the LRS stored, copied back in under new ids with COPY from a file; returns the seconds COPY took. */
async function copySame(query, count) {
  const columns = ['tenant_id', 'id', 'stored', 'verb_id', 'actor_key', 'activity_id', 'registration', 'launch_registration', 'client_key', 'voided', 'statement', 'object_agent_key', 'object_statement_id', 'related_agents', 'related_activities'];
  const { rows } = await query(`select ${columns.join(', ')} from statements where client_key = $1 order by seq desc limit $2`, [KEY, count]);
  if (rows.length !== count) throw new Error(`expected ${count} stored statements, found ${rows.length}`);
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
  try {
    await query('checkpoint');
    const t = performance.now();
    await query(`copy statements (${columns.join(', ')}) from '${file}' with (format csv)`);
    return (performance.now() - t) / 1000;
  } finally {
    rmSync(file, { force: true });
  }
}

/** CPU seconds used so far by the server processes, every postgres process and this one (Linux only). */
function cpuTimes(serverPids) {
  try {
    const tick = 100; // USER_HZ
    const of = (pid) => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / tick;
    };
    const postgres = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .reduce((sum, pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres' ? sum + of(pid) : sum;
        } catch {
          return sum;
        }
      }, 0);
    return { server: serverPids.reduce((sum, pid) => sum + of(pid), 0), postgres, self: of(process.pid) };
  } catch {
    return undefined;
  }
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
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url, XCREDIT_SECRET_KEY: 'bench-secret-key-0123456789abcdefghij', XCREDIT_ADMIN_KEY: KEY, XCREDIT_ADMIN_SECRET: SECRET },
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
  // node:http with kept-alive connections: a lean client leaves the shared cores to the server and the database.
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const post = (url, body) =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': body.length } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`POST failed: ${res.statusCode} ${Buffer.concat(chunks)}`))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const headers = { authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' };
  let store;
  try {
    for (let i = 0; i < SERVERS; i++) await start();
    const videos = Array.from({ length: 4 }, (_, i) => `https://bench.example/videos/${i}`);
    // Warm-up, not measured: one round of the same traffic brings connections, caches and the
    // JIT to the steady state of a server that has been running for a while.
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let b = 0; b < BATCHES; b++) await post(`${bases[c % SERVERS]}/statements`, Buffer.from(JSON.stringify(session(`warm-${c}`, videos[b % videos.length], randomUUID()))));
      }),
    );
    store = await openStore({ databaseUrl: database.url, dataDir: 'memory://' });
    const query = (text, params = []) => sql.raw(params.reduce((t, p, i) => t.replace(`$${i + 1}`, `'${String(p).replace(/'/g, "''")}'`), text)).execute(store.db);

    const total = CLIENTS * BATCHES * BATCH;
    console.log(`ingest: ${CLIENTS} concurrent clients × ${BATCHES} batches × ${BATCH} Video Profile statements = ${total} statements, PostgreSQL, ${SERVERS} server process${SERVERS > 1 ? 'es' : ''}; ${ROUNDS} rounds of HTTP then COPY`);
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const work = Array.from({ length: CLIENTS }, (_, c) =>
        Array.from({ length: BATCHES }, (_, b) => Buffer.from(JSON.stringify(session(`learner-${c}-${b % 5}`, videos[(c + b) % videos.length], randomUUID())))),
      );
      // Each timed phase starts from a checkpoint, so neither pays for the other's dirty pages.
      await query('checkpoint');
      const cpu0 = cpuTimes(children.map((c) => c.pid));
      const t0 = performance.now();
      await Promise.all(
        work.map(async (batches, c) => {
          for (const body of batches) await post(`${bases[c % SERVERS]}/statements`, body);
        }),
      );
      const httpSeconds = (performance.now() - t0) / 1000;
      const cpu1 = cpuTimes(children.map((c) => c.pid));
      const copySeconds = await copySame(query, total);
      const r = { http: total / httpSeconds, copy: total / copySeconds };
      r.ratio = r.http / r.copy;
      if (cpu0 && cpu1) r.cpu = Object.fromEntries(Object.keys(cpu0).map((k) => [k, ((cpu1[k] - cpu0[k]) * 1e6) / total]));
      rounds.push(r);
      console.log(`  round ${round + 1}: POST ${Math.round(r.http)} statements/s, COPY ${Math.round(r.copy)} rows/s, ratio ${r.ratio.toFixed(2)}${r.cpu ? `; CPU per statement: server ${Math.round(r.cpu.server)} µs, PostgreSQL ${Math.round(r.cpu.postgres)} µs, bench clients ${Math.round(r.cpu.self)} µs` : ''}`);
    }
    const median = (k) => rounds.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
    console.log(`  POST /xapi/statements     ${Math.round(median('http'))} statements/s (median)`);
    console.log(`  baseline: COPY same rows  ${Math.round(median('copy'))} rows/s (median)`);
    console.log(`  ratio (http / copy)       ${median('ratio').toFixed(2)} (median of the rounds' ratios)`);
  } finally {
    agent.destroy();
    await store?.close().catch(() => {});
    await Promise.all(children.map((child) => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM')))));
    await database.drop();
  }
}
