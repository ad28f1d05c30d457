import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VIDEO_ACTIVITY_TYPE, Verbs, VideoExt } from '@xcredit/sdk/xapi';

// The validation threads load the built package, so these tests run the built server: one with
// a thread checking large batches, one checking everything on its event loop. Both must answer
// every request alike.
const cli = fileURLToPath(new URL('../../bin/xcredit.js', import.meta.url));
const KEY = 'pool-admin';
const SECRET = 'pool-admin-secret-0123456789';
const admin = { authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`, 'content-type': 'application/json' };

interface Running {
  url: string;
  child: ChildProcess;
}

/** An answer as both servers should give it: each error names its own request, so that id is set aside. */
function withoutRequestId<T>(body: T): T {
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (!error || typeof error.requestId !== 'string') return body;
  const { requestId: _id, ...rest } = error;
  return { ...(body as object), error: rest } as T;
}

async function start(threads: number): Promise<Running & { banner: string }> {
  const child = spawn(process.execPath, [cli, 'start'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: '', XCREDIT_DATA_DIR: 'memory://', XCREDIT_ADMIN_KEY: KEY, XCREDIT_ADMIN_SECRET: SECRET, XCREDIT_VALIDATION_THREADS: String(threads) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /running on (http:\/\/\S+)[\s\S]*credits API/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the server exited with code ${code}: ${out}`)));
  });
  await new Promise((r) => setTimeout(r, 100));
  return { url, child, banner: out };
}

const stop = (r: Running | undefined) =>
  r && r.child.exitCode === null ? new Promise<void>((resolve) => (r.child.once('exit', () => resolve()), r.child.kill('SIGTERM'))) : Promise.resolve();

/** A batch of played/paused statements large enough (over 16 KB) to go to a validation thread. */
function batch(actor: object, activityId: string, registration: string, size = 60, sessionId?: string) {
  return Array.from({ length: size }, (_, i) => ({
    id: randomUUID(),
    actor,
    verb: { id: i % 2 ? Verbs.paused : Verbs.played, display: { 'en-US': i % 2 ? 'paused' : 'played' } },
    object: { id: activityId, definition: { type: VIDEO_ACTIVITY_TYPE, name: { 'en-US': 'Pooled video' } } },
    context: { registration, contextActivities: { category: { id: 'https://w3id.org/xapi/video' } }, extensions: { [VideoExt.sessionId]: sessionId ?? randomUUID(), [VideoExt.length]: 600 } },
    result: { extensions: { [VideoExt.time]: i * 5 } },
  }));
}

describe('the validation pool', () => {
  const principal = { kind: 'client', tenant: { id: 'default', homePage: 'https://xcredit.dev/tenants/default' }, key: 'pool-test', scopes: new Set(['all']) };
  // The built module: its threads load the built worker.
  const load = async () => (await import(new URL('../../dist/xapi/validation-pool.js', import.meta.url).href)) as typeof import('./validation-pool.js');

  it('prepares a batch on a thread as the event loop would, bytes included', async () => {
    const { ValidationPool } = await load();
    const pool = ValidationPool.create(2)!;
    try {
      const statements = batch({ mbox: 'mailto:pool@example.com' }, 'https://example.com/activities/pooled', randomUUID(), 3);
      const write = await pool.prepare({ bytes: Buffer.from(JSON.stringify(statements)), principal: principal as never, version: '2.0.0', stored: new Date('2026-01-01T00:00:00Z') });
      expect(write.statements.map((s) => s.id)).toEqual(statements.map((s) => s.id));
      const row = JSON.parse(write.statements[0]!.json.toString('utf8'));
      expect(Buffer.isBuffer(write.statements[0]!.json)).toBe(true);
      expect(row).toMatchObject({ tenant_id: 'default', client_key: 'pool-test', stored: '2026-01-01T00:00:00.000Z', statement: { object: { objectType: 'Activity' } } });
      expect(write.definitions.length).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });

  it('answers the HttpError the event loop would, and refuses work once closed', async () => {
    const { ValidationPool } = await load();
    const pool = ValidationPool.create(1)!;
    const bad = pool.prepare({ bytes: Buffer.from('[{"verb": 1}]'), principal: principal as never, version: '2.0.0', stored: new Date() });
    await expect(bad).rejects.toMatchObject({ status: 400, code: 'invalid_input' });
    await expect(bad.catch((e: { issues: unknown }) => e.issues)).resolves.toEqual(expect.arrayContaining([expect.objectContaining({ path: 'statements[0].actor' })]));
    await pool.close();
    await expect(pool.prepare({ bytes: Buffer.from('[]'), principal: principal as never, version: '2.0.0', stored: new Date() })).rejects.toThrow(/closed/);
  });

  it('stops, instead of respawning forever, when its threads fail as they start', async () => {
    const { ValidationPool } = await load();
    const dir = mkdtempSync(join(tmpdir(), 'xcredit-pool-'));
    const script = join(dir, 'broken-worker.mjs');
    writeFileSync(script, "throw new Error('cannot load');\n");
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const pool = ValidationPool.create(2, pathToFileURL(script))!;
    try {
      expect(pool).toBeDefined();
      await vi.waitFor(() => expect(pool.available).toBe(false), { timeout: 10_000 });
      expect(errors).toHaveBeenCalledWith(expect.stringContaining('validation threads stopped (cannot load)'));
      await expect(pool.prepare({ bytes: Buffer.from('[]'), principal: principal as never, version: '2.0.0', stored: new Date() })).rejects.toThrow(/stopped: cannot load/);
    } finally {
      errors.mockRestore();
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the task of a thread that dies while working, and replaces the thread', async () => {
    const { ValidationPool } = await load();
    const dir = mkdtempSync(join(tmpdir(), 'xcredit-pool-'));
    const script = join(dir, 'dying-worker.mjs');
    // Answers its first task, dies on its second.
    writeFileSync(script, "import { parentPort } from 'node:worker_threads';\nlet n = 0;\nparentPort.on('message', (t) => (n++ ? process.exit(3) : parentPort.postMessage({ id: t.id, crash: 'first answer' })));\n");
    const pool = ValidationPool.create(1, pathToFileURL(script))!;
    const task = () => pool.prepare({ bytes: Buffer.from('[]'), principal: principal as never, version: '2.0.0', stored: new Date() });
    try {
      await expect(task()).rejects.toThrow('first answer');
      await expect(task()).rejects.toThrow('validation thread exited with code 3');
      // A new thread took its place: it answers its own first task.
      await expect(task()).rejects.toThrow('first answer');
      expect(pool.available).toBe(true);
    } finally {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not started for 0 threads', async () => {
    const { ValidationPool } = await load();
    expect(ValidationPool.create(0)).toBeUndefined();
  });
});

describe('statement batches checked on a validation thread', () => {
  let pooled: (Running & { banner: string }) | undefined;
  let inline: (Running & { banner: string }) | undefined;

  beforeAll(async () => {
    [pooled, inline] = await Promise.all([start(1), start(0)]);
    // The pooled server really has its thread; the other checks everything on its event loop.
    expect(pooled.banner).toContain('validation     1 thread checking large statement batches');
    expect(inline.banner).not.toContain('validation ');
    for (const r of [pooled, inline]) {
      const course = await fetch(`${r.url}/api/v1/courses/pooled`, {
        method: 'PUT',
        headers: admin,
        body: JSON.stringify({ title: 'Pooled', activityId: 'https://example.com/courses/pooled', credits: 1, kind: 'elective', lengthSeconds: 600 }),
      });
      expect(course.ok).toBe(true);
    }
  }, 60_000);
  afterAll(() => Promise.all([stop(pooled), stop(inline)]));

  /** Sends the same request to both servers and answers both responses. */
  const both = async (path: string, init: { body: string; auth?: Record<string, string>; version?: string }) =>
    (await Promise.all(
      [pooled!, inline!].map(async (r) => {
        const res = await fetch(`${r.url}${path}`, {
          method: 'POST',
          headers: { ...admin, ...init.auth, 'x-experience-api-version': init.version ?? '2.0.0' },
          body: init.body,
        });
        return { status: res.status, body: withoutRequestId((await res.json()) as unknown) };
      }),
    )) as [{ status: number; body: unknown }, { status: number; body: unknown }];

  it('stores a large batch, normalized, with the ids it was given', async () => {
    const statements = batch({ mbox: 'mailto:pool@example.com' }, 'https://example.com/activities/pooled', randomUUID());
    const body = JSON.stringify(statements);
    expect(body.length).toBeGreaterThan(16 * 1024);
    const [a, b] = await both('/xapi/statements', { body });
    expect(a).toEqual({ status: 200, body: statements.map((s) => s.id) });
    expect(b).toEqual(a);
    const got = await fetch(`${pooled!.url}/xapi/statements?statementId=${statements[1]!.id}`, { headers: { authorization: admin.authorization, 'x-experience-api-version': '2.0.0' } });
    const stored = await got.json();
    expect(stored.context.contextActivities.category).toEqual([{ id: 'https://w3id.org/xapi/video' }]);
    expect(stored.object.objectType).toBe('Activity');
    expect(stored.authority.account.name).toBe(KEY);
  });

  it('refuses an invalid large batch with the same 400 and issues, storing none of it', async () => {
    const statements = batch({ mbox: 'mailto:pool@example.com' }, 'https://example.com/activities/pooled', randomUUID());
    (statements[7] as Record<string, unknown>).verb = { id: 'not an iri', display: { 'en-US': 'bad' } };
    (statements[30] as Record<string, unknown>).unknownField = true;
    const [a, b] = await both('/xapi/statements', { body: JSON.stringify(statements) });
    expect(a.status).toBe(400);
    expect(JSON.stringify(a.body)).toContain('statements[7].verb.id');
    expect(JSON.stringify(a.body)).toContain('statements[30]');
    expect(b).toEqual(a);
    const first = await fetch(`${pooled!.url}/xapi/statements?statementId=${statements[0]!.id}`, { headers: { authorization: admin.authorization, 'x-experience-api-version': '2.0.0' } });
    expect(first.status).toBe(404);
  });

  it('answers malformed JSON with the same 400, and a body over the limit with 413', async () => {
    const malformed = `[${JSON.stringify(batch({ mbox: 'mailto:pool@example.com' }, 'https://example.com/activities/pooled', randomUUID())).slice(1, -1)},`;
    const [a, b] = await both('/xapi/statements', { body: malformed });
    expect(a.status).toBe(400);
    expect((a.body as { error: { code: string } }).error.code).toBe('malformed_json');
    expect(b).toEqual(a);
    const padded = batch({ mbox: 'mailto:pool@example.com' }, 'https://example.com/activities/pooled', randomUUID(), 600).map((s) => ({ ...s, result: { ...s.result, response: 'x'.repeat(1200) } }));
    const huge = JSON.stringify(padded);
    expect(huge.length).toBeGreaterThan(1024 * 1024);
    const [c, d] = await both('/xapi/statements', { body: huge });
    expect(c.status).toBe(413);
    expect(d).toEqual(c);
  });

  it('holds a launch token to its learner, registration (403) and issued sessions (400), and stores what it may write', async () => {
    const launches = await Promise.all(
      [pooled!, inline!].map(async (r) => (await fetch(`${r.url}/api/v1/launches`, { method: 'POST', headers: admin, body: JSON.stringify({ learnerId: 'pool-learner', courseId: 'pooled' }) })).json()),
    );
    const results = await Promise.all(
      [pooled!, inline!].map(async (r, i) => {
        const l = launches[i] as { launchToken: string; registration: string; actor: object; activityId: string };
        const post = (statements: unknown[]) =>
          fetch(`${r.url}/xapi/statements`, { method: 'POST', headers: { authorization: `Bearer ${l.launchToken}`, 'content-type': 'application/json', 'x-experience-api-version': '1.0.3' }, body: JSON.stringify(statements) }).then(
            async (res) => ({ status: res.status, body: withoutRequestId(await res.json()) }),
          );
        const issued = await fetch(`${r.url}/api/v1/launches/current/sessions`, { method: 'POST', headers: { authorization: `Bearer ${l.launchToken}` } });
        const { sessionId } = await issued.json();
        const other = await post(batch({ mbox: 'mailto:someone-else@example.com' }, l.activityId, l.registration, 60, sessionId));
        const invented = await post(batch(l.actor, l.activityId, l.registration, 60, 'invented-session'));
        const own = await post(batch(l.actor, l.activityId, l.registration, 60, sessionId));
        return { other, invented, own: own.status };
      }),
    );
    expect(results[0]!.other.status).toBe(403);
    expect(results[0]!.other.body.error.message).toContain('statements[0].actor');
    expect(results[0]!.own).toBe(200);
    expect(results[1]!.other.status).toBe(403);
    expect(results[1]!.own).toBe(200);
    // A session the server did not issue: the same 400 from a thread and from the event loop.
    expect(results[0]!.invented.status).toBe(400);
    expect(results[0]!.invented.body.error.code).toBe('unknown_session');
    expect(results[1]!.invented).toEqual(results[0]!.invented);
  });
});
