// Many learners watching at once: N simulated players, each with its own launch token and
// server-issued session, post a 2–3 statement batch every 5–15 s and a heartbeat every ~15 s to
// a server process on PostgreSQL. Prints, per 10-second window, the requests answered, their
// p50/p95/p99, the failures and the CPU the server and PostgreSQL used; the ratios compare each
// window's p99 with the first window's (does latency grow as learners' histories grow?) and with
// GET /xapi/about probed in the same windows (the same server with no database work). Then a
// sample of learners' credits is checked against a full recompute.
//
//   node bench/players.bench.mjs --players 1000 --seconds 180
//   node bench/players.bench.mjs --players 1000 --seconds 120 --processes 4
//
// --processes N starts N server processes behind a real nginx running deploy/nginx/xcredit.conf
// (Debian's /usr/sbin/nginx, in the foreground with a temporary prefix); the players go through it
// and the server CPU is the sum of the processes' and nginx's.
//
// XCREDIT_BENCH_NODE_ARGS passes flags to the server processes (e.g. "--cpu-prof --cpu-prof-dir=prof").
//
// Defaults (200 players, 60 s) keep `npm run bench` short. XCREDIT_BENCH_POSTGRES_URL names a
// PostgreSQL server where a scratch database may be created (and is dropped afterwards).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { creditEvents, openStore, recompute } from '@xcredit/lrs-server';
import { Verbs, VideoExt } from '@xcredit/sdk/xapi';
import { createTestDatabase, probePostgres, startNginx } from '@xcredit/lrs-server/testing';

// Under bench/run.mjs the arguments are the runner's: only a direct run reads them.
const direct = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
const { values: args } = parseArgs({ args: direct ? process.argv.slice(2) : [], options: { players: { type: 'string', default: '200' }, seconds: { type: 'string', default: '60' }, sample: { type: 'string', default: '50' }, processes: { type: 'string' } } });
const PROCESSES = args.processes === undefined ? 0 : Number(args.processes);
const PLAYERS = Number(args.players);
const SECONDS = Number(args.seconds);
const SAMPLE = Number(args.sample);
const WINDOW_MS = 10_000;
const POSTGRES = process.env.XCREDIT_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = 'bench-players';
const SECRET = 'bench-players-secret-0123456789';
const COURSE = { id: 'bench-course', activityId: 'https://bench.example/courses/players', lengthSeconds: 7200 };

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds used so far by the server's processes, and by the postgres processes alive now (Linux /proc: a backend that exited takes its seconds with it). */
function cpuSeconds(pids) {
  const of = (p) => {
    const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
  };
  let postgres = 0;
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'postgres') postgres += of(p);
    } catch {
      // gone meanwhile
    }
  }
  // nginx's master forks its worker: count the children of the pids given too.
  let server = 0;
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const ppid = Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (pids.includes(Number(p)) || pids.includes(ppid)) server += of(p);
    } catch {
      // gone meanwhile
    }
  }
  return { server, postgres };
}

const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
const ms = (v) => (Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(1) : String(Math.round(v)));

async function run() {
  const database = await createTestDatabase(POSTGRES);
  const root = fileURLToPath(new URL('..', import.meta.url));
  const ports = [];
  for (let i = 0; i < Math.max(1, PROCESSES); i++) ports.push(await freePort());
  const children = ports.map((port) =>
    spawn(process.execPath, [...(process.env.XCREDIT_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), 'packages/lrs-server/bin/xcredit.js', 'start'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url, XCREDIT_SECRET_KEY: 'bench-secret-key-0123456789abcdefghij', XCREDIT_ADMIN_KEY: KEY, XCREDIT_ADMIN_SECRET: SECRET, XCREDIT_LOG_LEVEL: 'warn', ...(PROCESSES ? { XCREDIT_TRUST_PROXY: 'loopback' } : {}) },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  const nginx = PROCESSES ? await startNginx(ports) : undefined;
  const base = nginx?.url ?? `http://127.0.0.1:${ports[0]}`;
  const pids = [...children.map((c) => c.pid), ...(nginx ? [nginx.pid] : [])];
  // One process of kept-alive connections for every player: the client stays off the shared cores.
  // A connection per player at most, as real players have; the probe of GET /xapi/about has its own.
  const agent = new Agent({ keepAlive: true, maxSockets: PLAYERS });
  const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const send = (method, path, headers, body, via = agent, retried = false, origin = base) =>
    new Promise((resolve) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(`${origin}${path}`, { method, agent: via, headers: { ...headers, ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => resolve({ status: 0, text: err.message }));
      });
      req.on('error', (err) => {
        // A kept-alive connection the server closed as the request went out: sent again once, as HTTP clients do.
        if (req.reusedSocket && err.code === 'ECONNRESET' && !retried) resolve(send(method, path, headers, body, via, true, origin));
        else resolve({ status: 0, text: err.message });
      });
      req.end(data);
    });
  const admin = { authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}` };
  const must = async (what, res, status) => {
    const r = await res;
    if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.text ? JSON.parse(r.text) : undefined;
  };
  let store;
  try {
    for (const port of ports) {
      for (let i = 0; ; i++) {
        if ((await send('GET', '/readyz', {}, undefined, agent, false, `http://127.0.0.1:${port}`)).status === 200) break;
        if (i > 600) throw new Error('the server did not start');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await must('course', send('PUT', `/api/v1/courses/${COURSE.id}`, admin, { title: 'Bench course', activityId: COURSE.activityId, credits: 2, kind: 'required', lengthSeconds: COURSE.lengthSeconds }), 201);

    // Launches and sessions first, 20 at a time: the timed part is the players' steady traffic.
    const players = [];
    for (let i = 0; i < PLAYERS; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, PLAYERS - i) }, async (_, j) => {
          const learnerId = `learner-${i + j}`;
          const launch = await must('launch', send('POST', '/api/v1/launches', admin, { learnerId, courseId: COURSE.id }), 201);
          const auth = { authorization: `Bearer ${launch.launchToken}` };
          const { sessionId } = await must('session', send('POST', '/api/v1/launches/current/sessions', auth), 201);
          players.push({ learnerId, launch, auth, sessionId });
        }),
      );
    }

    const windows = [];
    const windowAt = (t) => (windows[Math.floor(t / WINDOW_MS)] ??= { latencies: [], about: [], failures: 0, statements: 0 });
    const failures = new Map();
    const t0 = performance.now();
    const end = t0 + SECONDS * 1000;
    const timed = async (kind, method, path, headers, body, ok) => {
      const start = performance.now();
      const res = await send(method, path, headers, body, kind === 'about' ? probeAgent : agent);
      const w = windowAt(start - t0);
      (kind === 'about' ? w.about : w.latencies).push(performance.now() - start);
      if (res.status !== ok) {
        w.failures++;
        const key = `${method} ${path.replace(/\?.*/, '')} → ${res.status} ${res.text.slice(0, 160)}`;
        failures.set(key, (failures.get(key) ?? 0) + 1);
      }
      return res;
    };
    const sleepUntil = (t) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));
    const between = (lo, hi) => lo + Math.random() * (hi - lo);

    const watch = async (p) => {
      const startedAt = Date.now();
      const mediaTime = () => Math.min(COURSE.lengthSeconds, Math.round((Date.now() - startedAt) / 100) / 10);
      const statement = (verb, time) => ({
        id: randomUUID(),
        actor: p.launch.actor,
        verb: { id: verb },
        object: { id: p.launch.activityId },
        timestamp: new Date().toISOString(),
        context: { registration: p.launch.registration, extensions: { [VideoExt.sessionId]: p.sessionId, [VideoExt.length]: COURSE.lengthSeconds } },
        result: { extensions: { [VideoExt.time]: time } },
      });
      const post = async (batch) => {
        const res = await timed('statements', 'POST', '/xapi/statements', { ...p.auth, 'x-experience-api-version': '1.0.3' }, batch, 200);
        if (res.status === 200) windowAt(performance.now() - t0).statements += batch.length;
      };
      let attention;
      const beats = (async () => {
        // Like the player's timers: the next one is due an interval after the last was due, or at once when that has passed.
        for (let next = performance.now() + between(0, 15_000); next < end; next = Math.max(next + between(14_000, 16_000), performance.now())) {
          await sleepUntil(next);
          const res = await timed('heartbeat', 'POST', '/api/v1/launches/current/heartbeat', p.auth, { sessionId: p.sessionId, time: mediaTime(), playing: true, sentAt: new Date().toISOString(), ...(attention ? { attention } : {}) }, 200);
          attention = undefined;
          // An attention check the server issued is answered with the next heartbeat, as a watching learner does.
          if (res.status === 200) {
            const nonce = JSON.parse(res.text).attentionCheck?.nonce;
            if (nonce) attention = { nonce };
          }
        }
      })();
      await sleepUntil(performance.now() + between(0, 5_000));
      await post([statement(Verbs.initialized, 0), statement(Verbs.played, 0)]);
      for (let next = performance.now() + between(5_000, 15_000); next < end; next = Math.max(next + between(5_000, 15_000), performance.now())) {
        await sleepUntil(next);
        const t = mediaTime();
        // A pause and a resume at the same point, sometimes with a seek back.
        const batch = [statement(Verbs.paused, t), statement(Verbs.played, t)];
        if (Math.random() < 0.5) batch.push({ ...statement(Verbs.seeked, t), result: { extensions: { [VideoExt.timeFrom]: t, [VideoExt.timeTo]: Math.max(0, t - 5) } } });
        await post(batch);
      }
      await beats;
    };
    const probeAbout = (async () => {
      for (let next = performance.now(); next < end; next += 500) {
        await sleepUntil(next);
        await timed('about', 'GET', '/xapi/about', {}, undefined, 200);
      }
    })();
    const cpu = [];
    const sampler = setInterval(() => cpu.push({ at: performance.now() - t0, ...cpuSeconds(pids) }), WINDOW_MS);
    cpu.push({ at: 0, ...cpuSeconds(pids) });

    console.log(`players: ${PLAYERS} players × ${SECONDS} s (a 2–3 statement batch every 5–15 s, a heartbeat every ~15 s), ${PROCESSES ? `${PROCESSES} server processes behind nginx` : 'one server process'} on PostgreSQL`);
    await Promise.all([...players.map(watch), probeAbout]);
    const elapsed = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    cpu.push({ at: performance.now() - t0, ...cpuSeconds(pids) });

    const baseline = windows[0];
    const p99of = (w) => quantile([...w.latencies].sort((a, b) => a - b), 0.99);
    console.log('  window   requests  statements/s  p50 ms  p95 ms  p99 ms  failures  server CPU  PostgreSQL CPU  p99 / first window  p99 / GET about');
    windows.forEach((w, i) => {
      if (!w) return;
      const sorted = [...w.latencies].sort((a, b) => a - b);
      const about = quantile([...w.about].sort((a, b) => a - b), 0.99);
      const [c0, c1] = [cpu.findLast((c) => c.at <= i * WINDOW_MS + 1) ?? cpu[0], cpu.find((c) => c.at >= (i + 1) * WINDOW_MS - 1) ?? cpu.at(-1)];
      const span = Math.max(0.001, (c1.at - c0.at) / 1000);
      console.log(
        `  ${String(i * 10).padStart(4)}–${String((i + 1) * 10).padEnd(4)} ${String(sorted.length).padStart(8)}  ${(w.statements / 10).toFixed(0).padStart(12)}  ${ms(quantile(sorted, 0.5)).padStart(6)}  ${ms(quantile(sorted, 0.95)).padStart(6)}  ${ms(quantile(sorted, 0.99)).padStart(6)}  ${String(w.failures).padStart(8)}  ${`${Math.round(((c1.server - c0.server) / span) * 100)}%`.padStart(10)}  ${(c1.postgres < c0.postgres ? '–' : `${Math.round(((c1.postgres - c0.postgres) / span) * 100)}%`).padStart(14)}  ${(p99of(w) / p99of(baseline)).toFixed(2).padStart(18)}  ${(p99of(w) / about).toFixed(2).padStart(15)}`,
      );
    });
    const all = windows.flatMap((w) => w?.latencies ?? []).sort((a, b) => a - b);
    const failed = windows.reduce((n, w) => n + (w?.failures ?? 0), 0);
    const total = cpu.at(-1);
    console.log(`  all: ${all.length} requests in ${elapsed.toFixed(0)} s (${(all.length / elapsed).toFixed(0)}/s); p50 ${ms(quantile(all, 0.5))} ms, p95 ${ms(quantile(all, 0.95))} ms, p99 ${ms(quantile(all, 0.99))} ms; ${failed} failed`);
    console.log(`  CPU: server ${(total.server - cpu[0].server).toFixed(1)} s, PostgreSQL ${(total.postgres - cpu[0].postgres).toFixed(1)} s in ${elapsed.toFixed(0)} s`);
    for (const [what, n] of failures) console.log(`  failed ×${n}: ${what}`);

    // What the server answered for a sample of learners must be what a full recompute finds.
    const sample = players.slice(0, SAMPLE);
    // Only what credits are made of: the answer also says how much of the year has elapsed.
    const read = () => Promise.all(sample.map(async (p) => (({ earned, courses }) => ({ earned, courses }))(await must('credits', send('GET', `/api/v1/learners/${p.learnerId}/credits`, admin), 200))));
    const before = await read();
    store = await openStore({ databaseUrl: database.url, dataDir: 'memory://' });
    const fixed = await recompute(store.db, { events: creditEvents(() => new Date()) });
    const after = await read();
    const differ = sample.filter((_, i) => JSON.stringify(before[i]) !== JSON.stringify(after[i])).map((p) => p.learnerId);
    const earning = before.filter((c) => c.courses.some((x) => x.verifiedSeconds > 0)).length;
    console.log(`  credits check: ${sample.length} learners (${earning} with verified time), ${differ.length} differ from a full recompute${differ.length ? ` (${differ.slice(0, 5).join(', ')})` : ''}; recompute appended ${fixed.ledgerEntries} ledger corrections`);
    if (differ.length) console.log(`  first difference: ${JSON.stringify(before[sample.findIndex((p) => p.learnerId === differ[0])])} → ${JSON.stringify(after[sample.findIndex((p) => p.learnerId === differ[0])])}`);
    if (differ.length || fixed.ledgerEntries) process.exitCode = 1;
    const { rows } = await sql`select count(*)::int as n from statements`.execute(store.db);
    console.log(`  stored: ${rows[0].n} statements`);
  } finally {
    agent.destroy();
    probeAgent.destroy();
    await store?.close().catch(() => {});
    await nginx?.stop();
    await Promise.all(children.map((child) => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM'))))));
    await database.drop();
  }
}

const probe = await probePostgres(POSTGRES);
if (!probe.ok) console.log(`skipped: no PostgreSQL at ${POSTGRES} (${probe.reason})`);
else await run();
