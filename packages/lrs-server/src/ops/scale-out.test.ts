import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../testing.js';
import { freePort, startNginx } from './nginx-testing.js';

// Three `xcredit start` processes on one PostgreSQL behind a real nginx running the repository's
// deploy/nginx/xcredit.conf. PostgreSQL only: PGlite is one process by construction.
const postgresUrl = inject('postgresUrl');
const CLI = fileURLToPath(new URL('../../bin/xcredit.js', import.meta.url));
const KEY = 'scale-admin';
const SECRET = 'scale-admin-secret-0123456789';
const ADMIN = `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`;
const XAPI = { authorization: ADMIN, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' };
const SWEEP_SECONDS = 2;

interface Proc {
  child: ChildProcess;
  port: number;
  url: string;
  exited: Promise<number | null>;
  stderr: () => string;
}

function startProcess(env: Record<string, string>, port: number): Promise<Proc> {
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (/xcredit is running on/.test(stdout)) resolve({ child, port, url: `http://127.0.0.1:${port}`, exited, stderr: () => stderr });
    });
    child.once('exit', () => reject(new Error(`xcredit exited before listening: ${stderr}`)));
  });
}

/** Records webhook deliveries. */
function receiver() {
  const got: { id: string; type: string; data: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  return {
    got,
    start: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const statement = (actor: string) => ({ id: randomUUID(), actor: { mbox: `mailto:${actor}@example.com` }, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, object: { id: 'https://example.com/scale-out' } });

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!postgresUrl)('three xcredit processes on PostgreSQL behind nginx', () => {
  const procs: Proc[] = [];
  let nginx: Awaited<ReturnType<typeof startNginx>>;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;
  let pool: pg.Pool;
  const hooks = receiver();
  const started = Date.now();
  const api = async (base: string, method: string, path: string, body?: unknown, authorization = ADMIN) => {
    const res = await fetch(`${base}/api/v1${path}`, { method, headers: { authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };

  beforeAll(async () => {
    database = await createTestDatabase(postgresUrl!);
    pool = new pg.Pool({ connectionString: database.url, max: 3 });
    env = {
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: '6',
      XCREDIT_ADMIN_KEY: KEY,
      XCREDIT_ADMIN_SECRET: SECRET,
      XCREDIT_SECRET_KEY: 'scale-out-secret-key-0123456789abcdef',
      XCREDIT_TRUST_PROXY: 'loopback',
      XCREDIT_LOG_LEVEL: 'warn',
      XCREDIT_VALIDATION_THREADS: '0',
      XCREDIT_WEBHOOK_ALLOW_PRIVATE_HOSTS: '127.0.0.1',
      XCREDIT_AT_RISK_SWEEP_SECONDS: String(SWEEP_SECONDS),
    };
    const ports = [await freePort(), await freePort(), await freePort()];
    // Started together: the startup lock lets one migrate while the others wait.
    procs.push(...(await Promise.all(ports.map((p) => startProcess(env, p)))));
    nginx = await startNginx(ports);
  }, 240_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await hooks.stop().catch(() => {});
    await pool?.end();
    await database?.drop();
  }, 120_000);

  it('serves through nginx, passing the request id on, and refuses a body over its limit', async () => {
    const res = await fetch(`${nginx.url}/readyz`);
    expect(res.status).toBe(200);
    const given = await fetch(`${nginx.url}/api/v1/learners`, { headers: { authorization: ADMIN, 'x-request-id': 'scale-out-request-0001' } });
    expect(given.status).toBe(200);
    expect(given.headers.get('x-request-id')).toBe('scale-out-request-0001');
    const made = await fetch(`${nginx.url}/api/v1/learners`, { headers: { authorization: ADMIN } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    // A body over nginx's limit is refused by nginx before any process sees it.
    const huge = await fetch(`${nginx.url}/xapi/statements`, { method: 'POST', headers: XAPI, body: 'x'.repeat(21 * 1024 * 1024) });
    expect(huge.status).toBe(413);
  });

  it('holds a sign-in lockout across processes, and a new secret set elsewhere counts at once in each', async () => {
    const run = promisify(execFile);
    await run(process.execPath, [CLI, 'create-client', '--name', 'hr', '--key', 'scale-hr', '--secret', 'first-secret-0123456789', '--scopes', 'credits/read'], { env: { ...process.env, ...env } });
    const as = (secret: string) => `Basic ${Buffer.from(`scale-hr:${secret}`).toString('base64')}`;
    // Each process remembers the first secret.
    for (const p of procs) expect((await api(p.url, 'GET', '/learners', undefined, as('first-secret-0123456789'))).status).toBe(200);
    await run(process.execPath, [CLI, 'create-client', '--name', 'hr', '--key', 'scale-hr', '--secret', 'second-secret-0123456789', '--scopes', 'credits/read'], { env: { ...process.env, ...env } });
    for (const p of procs) {
      expect((await api(p.url, 'GET', '/learners', undefined, as('first-secret-0123456789'))).status).toBe(401);
      expect((await api(p.url, 'GET', '/learners', undefined, as('second-secret-0123456789'))).status).toBe(200);
    }
    // Wrong secrets spread over the three processes add up (the old secret, once at each, made three
    // of the five a key may have): the key is locked everywhere.
    for (let i = 0; i < 2; i++) expect((await api(procs[(i + 1) % 3]!.url, 'GET', '/learners', undefined, as(`wrong-${i}`))).status).toBe(401);
    for (const p of procs) {
      const locked = await api(p.url, 'GET', '/learners', undefined, as('another-wrong-one'));
      expect(locked.status).toBe(429);
      expect(locked.body.error.message).toMatch(/too many failed sign-ins with this client key/);
    }
    expect((await api(nginx.url, 'GET', '/learners', undefined, as('yet-another-guess'))).status).toBe(429);
  });

  it('keeps Consistent-Through, in every process, before a write still under way in another', async () => {
    const blocker = await pool.connect();
    const s = statement('consistent');
    let answer: Promise<Response>;
    try {
      await blocker.query('begin');
      // Inserts into statements wait; reads do not.
      await blocker.query('lock table statements in exclusive mode');
      answer = fetch(`${procs[0]!.url}/xapi/statements`, { method: 'POST', headers: XAPI, body: JSON.stringify([s]) });
      // Long enough for process 0 to have received it and published its horizon.
      await new Promise((r) => setTimeout(r, 2500));
      const seen: string[] = [];
      for (const base of [procs[1]!.url, procs[2]!.url, nginx.url, procs[0]!.url]) {
        const res = await fetch(`${base}/xapi/statements?limit=1`, { headers: XAPI });
        expect(res.status).toBe(200);
        seen.push(res.headers.get('x-experience-api-consistent-through')!);
      }
      await blocker.query('commit');
      expect((await answer).status).toBe(200);
      const stored = (await (await fetch(`${procs[1]!.url}/xapi/statements?statementId=${s.id}`, { headers: XAPI })).json()).stored as string;
      for (const t of seen) expect(new Date(t).getTime()).toBeLessThan(new Date(stored).getTime());
      // Once it is stored, every process's Consistent-Through moves past it.
      await until('Consistent-Through past the stored statement', async () => {
        const res = await fetch(`${procs[2]!.url}/xapi/statements?limit=1`, { headers: XAPI });
        return new Date(res.headers.get('x-experience-api-consistent-through')!).getTime() >= new Date(stored).getTime();
      });
    } finally {
      await blocker.query('rollback').catch(() => {});
      blocker.release();
    }
  });

  it('runs the at-risk sweep and delivers each webhook once with three processes', async () => {
    const url = await hooks.start();
    const period = String(new Date().getUTCFullYear());
    expect((await api(nginx.url, 'POST', '/webhooks', { url, events: ['credit.earned', 'learner.at_risk'] })).status).toBe(201);
    expect((await api(nginx.url, 'PUT', `/targets/${period}`, { total: 500, required: 0 })).status).toBeLessThan(300);
    const learners = Array.from({ length: 9 }, (_, i) => `risk-${i}`);
    for (const [i, id] of learners.entries()) {
      expect((await api(procs[i % 3]!.url, 'PUT', `/learners/${id}`, {})).status).toBeLessThan(300);
      expect((await api(procs[(i + 1) % 3]!.url, 'POST', '/awards', { learnerId: id, source: 'offline', title: 'Drill', credits: 1, period })).status).toBe(201);
    }
    const ofType = (type: string) => hooks.got.filter((e) => e.type === type);
    await until('every credit.earned and learner.at_risk delivered', async () => ofType('credit.earned').length >= learners.length && ofType('learner.at_risk').length >= learners.length);
    // Several more sweep periods: nothing is sent again.
    await new Promise((r) => setTimeout(r, SWEEP_SECONDS * 3 * 1000));
    const ids = hooks.got.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ofType('credit.earned').map((e) => e.data.learnerId).sort()).toEqual([...learners].sort());
    expect(ofType('learner.at_risk').map((e) => e.data.learnerId).sort()).toEqual([...learners].sort());
    // The sweep ran, and at most once per period across the three processes (each on its own would have run it three times as often).
    const { rows } = await pool.query<{ runs: string }>(`select runs from schedules where name = 'at-risk sweep'`);
    const runs = Number(rows[0]!.runs);
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(Math.floor((Date.now() - started) / 1000 / SWEEP_SECONDS));
    const { rows: outbox } = await pool.query<{ n: string }>(`select count(*) as n from outbox where done_at is null`);
    expect(Number(outbox[0]!.n)).toBe(0);
  });

  it('loses and duplicates no acknowledged statement when a process is killed under load; clients retry until acknowledged', async () => {
    const acked: string[] = [];
    let retries = 0;
    let stop = false;
    /** One client: batches of two by POST, or one by PUT, each retried with the same ids until acknowledged. */
    const client = async (n: number) => {
      for (let round = 0; !stop; round++) {
        const batch = [statement(`load-${n}`), statement(`load-${n}`)];
        const put = round % 3 === 2;
        for (let attempt = 0; ; attempt++) {
          if (attempt > 200) throw new Error(`client ${n} gave up on ${batch[0]!.id}`);
          try {
            const res = put
              ? await fetch(`${nginx.url}/xapi/statements?statementId=${batch[0]!.id}`, { method: 'PUT', headers: XAPI, body: JSON.stringify(batch[0]) })
              : await fetch(`${nginx.url}/xapi/statements`, { method: 'POST', headers: XAPI, body: JSON.stringify(batch) });
            if (res.status === (put ? 204 : 200)) {
              await res.arrayBuffer();
              acked.push(...(put ? [batch[0]!.id] : batch.map((s) => s.id)));
              break;
            }
            const text = await res.text();
            if (res.status < 500) throw new Error(`client ${n}: ${res.status} ${text}`);
          } catch (err) {
            if (err instanceof Error && err.message.startsWith(`client ${n}`)) throw err;
          }
          retries++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const clients = Array.from({ length: 12 }, (_, n) => client(n));
    await until('load under way', async () => acked.length >= 60);
    const victim = procs[1]!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const atKill = acked.length;
    await until('load after the kill', async () => acked.length >= atKill + 120);
    stop = true;
    await Promise.all(clients);

    const { rows } = await pool.query<{ id: string }>(`select id from statements where statement->'actor'->>'mbox' like 'mailto:load-%'`);
    const stored = rows.map((r) => r.id);
    expect(new Set(acked).size).toBe(acked.length);
    expect(stored.length).toBe(new Set(stored).size);
    // Every acknowledged statement is stored once, and nothing else: each batch was retried until acknowledged.
    expect([...stored].sort()).toEqual([...acked].sort());
    console.log(`scale-out: ${acked.length} statements acknowledged, ${retries} retries, one process of three killed under load`);
    // nginx keeps serving on the two left.
    expect((await fetch(`${nginx.url}/xapi/statements?limit=1`, { headers: XAPI })).status).toBe(200);
  });
});
