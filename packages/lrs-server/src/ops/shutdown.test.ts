import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type Engine } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const CLI = fileURLToPath(new URL('../../bin/xcredit.js', import.meta.url));
const KEY = 'shutdown-admin';
const SECRET = 'shutdown-admin-secret-0123456789';

/** `xcredit start` as a real process on a free port, with its stdout kept. */
async function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', XCREDIT_ADMIN_KEY: KEY, XCREDIT_ADMIN_SECRET: SECRET, XCREDIT_SECRET_KEY: 'shutdown-secret-key-0123456789abcdef', XCREDIT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      const found = /xcredit is running on (http:\/\/\S+)/.exec(stdout);
      if (found) resolve(found[1]!);
    });
    child.once('exit', () => reject(new Error(`the server exited before listening: ${stderr}`)));
  });
  return { child, url: url.replace('localhost', '127.0.0.1'), exited, output: () => ({ stdout, stderr }) };
}

/**
 * A POST whose headers the server has taken (it answered 100 Continue) and whose body is sent
 * only when `sendBody` is called: a request in flight for as long as the test wants.
 */
function inFlight(url: string, path: string, body: unknown, requestId: string) {
  const data = Buffer.from(JSON.stringify(body));
  let sendBody!: () => void;
  let answer!: Promise<{ status: number; text: string }>;
  const started = new Promise<void>((resolve, reject) => {
    const req = request(`${url}${path}`, {
      method: 'POST',
      agent: false,
      headers: {
        authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`,
        'x-experience-api-version': '1.0.3',
        'content-type': 'application/json',
        'content-length': data.length,
        'x-request-id': requestId,
        expect: '100-continue',
      },
    });
    req.on('continue', () => resolve());
    req.on('error', reject);
    sendBody = () => req.end(data);
    answer = new Promise((done, fail) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', fail);
    });
    req.flushHeaders();
  });
  return { started, send: () => (sendBody(), answer) };
}

/** Resolves once nothing listens at the URL's port any more. */
async function refusing(url: string) {
  const { hostname, port } = new URL(url);
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), hostname);
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });
    if (refused) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(engines)('a server process on %s', (engine) => {
  const children: ChildProcess[] = [];
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const drop of drops) await drop();
  });

  it('on SIGTERM stops taking connections, finishes the requests in flight, logs each and exits 0', async () => {
    let env: Record<string, string> = { XCREDIT_DATA_DIR: 'memory://' };
    if (engine === 'postgres') {
      const database = await createTestDatabase(inject('postgresUrl')!);
      drops.push(database.drop);
      env = { DATABASE_URL: database.url };
    }
    const server = await startProcess(env);
    children.push(server.child);
    const actor = { mbox: 'mailto:shutdown@example.com' };
    const statement = () => ({ id: randomUUID(), actor, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, object: { id: 'https://example.com/shutdown' } });
    const batches = Array.from({ length: 3 }, () => [statement(), statement()]);
    const requests = batches.map((batch, i) => inFlight(server.url, '/xapi/statements', batch, `shutdown-request-${i}`));
    await Promise.all(requests.map((r) => r.started));

    server.child.kill('SIGTERM');
    await refusing(server.url);
    const answers = await Promise.all(requests.map((r) => r.send()));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => JSON.parse(a.text))).toEqual(batches.map((batch) => batch.map((s) => s.id)));
    expect(await server.exited).toBe(0);

    // One JSON line per request, with its id, method, path and status; no credentials.
    const { stdout } = server.output();
    const lines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { req?: { id: string; method: string; path: string }; res?: { statusCode: number } });
    expect(lines.filter((l) => l.req?.id?.startsWith('shutdown-request-')).map((l) => [l.req!.id, l.req!.method, l.req!.path, l.res!.statusCode]).sort()).toEqual([
      ['shutdown-request-0', 'POST', '/xapi/statements', 200],
      ['shutdown-request-1', 'POST', '/xapi/statements', 200],
      ['shutdown-request-2', 'POST', '/xapi/statements', 200],
    ]);
    expect(stdout).not.toContain(SECRET);
    expect(stdout).not.toMatch(/authorization/i);
  });
});
