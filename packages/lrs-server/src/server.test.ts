import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { startServer } from './server.js';
import { seedDataDir, testImage } from './testing.js';

const cli = fileURLToPath(new URL('../bin/xcredit.js', import.meta.url));
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'xcredit-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the embedded database', () => {
  it('is migrated by `xcredit migrate`, once', () => {
    const env = { ...process.env, XCREDIT_DATA_DIR: tempDir(), DATABASE_URL: '' };
    const first = spawnSync(process.execPath, [cli, 'migrate'], { env, encoding: 'utf8' });
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('applied: 0001_foundation');
    const again = spawnSync(process.execPath, [cli, 'migrate'], { env, encoding: 'utf8' });
    expect(again.stdout).toContain('already up to date');
  });

  it('keeps courses, launches and statements across restarts', async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_LOG_LEVEL: 'silent', XCREDIT_DATA_DIR: await seedDataDir(tempDir()), XCREDIT_ADMIN_KEY: 'restart-admin', XCREDIT_ADMIN_SECRET: 'restart-secret-0123456789' });
    const auth = { authorization: `Basic ${Buffer.from('restart-admin:restart-secret-0123456789').toString('base64')}`, 'content-type': 'application/json' };
    const first = await startServer(config, { demo: true });
    const launch = await (await fetch(`${first.url}/api/v1/launches`, { method: 'POST', headers: auth, body: JSON.stringify({ learnerId: 'demo-learner', courseId: 'demo-safety-101' }) })).json();
    await first.close();
    const second = await startServer(config, { demo: true });
    try {
      const res = await fetch(`${second.url}/api/v1/launches/current`, { headers: { authorization: `Bearer ${launch.launchToken}` } });
      expect(res.status).toBe(200);
      expect((await res.json()).courseId).toBe('demo-safety-101');
    } finally {
      await second.close();
    }
  });

  it('rebuilds credits from raw statements with `xcredit recompute`', async () => {
    const dir = await seedDataDir(tempDir());
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_LOG_LEVEL: 'silent', XCREDIT_DATA_DIR: dir, XCREDIT_ADMIN_KEY: 'recompute-admin', XCREDIT_ADMIN_SECRET: 'recompute-secret-0123456789' });
    const auth = { authorization: `Basic ${Buffer.from('recompute-admin:recompute-secret-0123456789').toString('base64')}`, 'content-type': 'application/json' };
    const server = await startServer(config, { demo: true });
    const launch = await (await fetch(`${server.url}/api/v1/launches`, { method: 'POST', headers: auth, body: JSON.stringify({ learnerId: 'demo-learner', courseId: 'demo-safety-101' }) })).json();
    const st = (verb: string, time: number) => ({ actor: launch.actor, verb: { id: verb }, object: { id: launch.activityId }, context: { registration: launch.registration }, result: { extensions: { 'https://w3id.org/xapi/video/extensions/time': time } } });
    const res = await fetch(`${server.url}/xapi/statements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${launch.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
      body: JSON.stringify([st('https://w3id.org/xapi/video/verbs/played', 0), st('https://w3id.org/xapi/video/verbs/paused', 2)]),
    });
    expect(res.status).toBe(200);
    await server.close();
    const out = spawnSync(process.execPath, [cli, 'recompute'], { env: { ...process.env, XCREDIT_DATA_DIR: dir, DATABASE_URL: '' }, encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/recomputed 1 learner\/course pairs from 2 statements .*; 0 ledger corrections/);
    const bad = spawnSync(process.execPath, [cli, 'recompute', '--since', 'last tuesday'], { env: { ...process.env, XCREDIT_DATA_DIR: dir, DATABASE_URL: '' }, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--since "last tuesday" is not a date');
  });

  it('archives old statements with `xcredit archive-statements`, here or in the server that holds the folder, and says what is wrong', async () => {
    const dir = tempDir();
    await seedDataDir(join(dir, 'data'));
    const env = { ...process.env, XCREDIT_DATA_DIR: join(dir, 'data'), DATABASE_URL: '' };
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', cwd: dir });
    const none = run('archive-statements', '--before', '2020-01', '--to', 'archive');
    expect(none.stderr).toBe('');
    expect(none.status).toBe(0);
    expect(none.stdout).toContain('nothing to archive before 2020-01');
    const current = run('archive-statements', '--before', '2999-01', '--to', 'archive');
    expect(current.status).toBe(2);
    expect(current.stderr).toMatch(/--before 2999-01 is past the start of the current period \d{4}/);
    const midMonth = run('archive-statements', '--before', '2025-02-03', '--to', 'archive');
    expect(midMonth.status).toBe(2);
    expect(midMonth.stderr).toContain('--before "2025-02-03" must be the first day of a month');
    const missing = run('restore-statements', '--from', 'archive/statements-2019-01.jsonl.gz');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, 'archive/statements-2019-01.jsonl.gz')}: no such file`);
    // With a server on the folder, the server runs it, writing where the command line said.
    const server = await startServer(loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_LOG_LEVEL: 'silent', XCREDIT_DATA_DIR: join(dir, 'data') }));
    try {
      // Not spawnSync: the server answering the command runs in this process.
      const held = await promisify(execFile)(process.execPath, [cli, 'archive-statements', '--before', '2020-01', '--to', 'held'], { env, encoding: 'utf8', cwd: dir });
      expect(held.stdout).toContain('nothing to archive before 2020-01');
      expect(held.stderr).toContain('run by the xcredit server');
      expect(existsSync(join(dir, 'held'))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('refuses to start on a port that is taken, saying so', async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_LOG_LEVEL: 'silent', XCREDIT_DATA_DIR: 'memory://' });
    const first = await startServer(config, { pgliteImage: await testImage() });
    try {
      await expect(startServer({ ...config, port: first.port }, { pgliteImage: await testImage() })).rejects.toThrow(`port ${first.port} is already in use`);
    } finally {
      await first.close();
    }
  });
});

describe('the demo', () => {
  it('serves the demo page, the player bundles and the demo video', async () => {
    const server = await startServer(loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_LOG_LEVEL: 'silent', XCREDIT_DATA_DIR: 'memory://' }), { demo: true, pgliteImage: await testImage() });
    try {
      const page = await fetch(`${server.url}/demo`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<xcredit-player');
      expect(html).toMatch(/launch-token="[A-Za-z0-9_-]{40,}"/);
      for (const asset of ['/static/xcredit-player.js', '/static/xcredit-player.iife.js', '/media/demo.mp4']) {
        const res = await fetch(`${server.url}${asset}`);
        expect(res.status, asset).toBe(200);
      }
      expect((await fetch(`${server.url}/static/nope.js`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('is missing from a server started without it, and the 404 (like the sign-in page) names a command that works from a clone', async () => {
    const server = await startServer(loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_LOG_LEVEL: 'silent', XCREDIT_DATA_DIR: 'memory://' }), { pgliteImage: await testImage() });
    try {
      const res = await fetch(`${server.url}/demo`);
      expect(res.status).toBe(404);
      const { message } = (await res.json()).error;
      expect(message).toContain('`npm start`');
      expect(message).toContain('`npm run xcredit -- start --demo`');
      // A bare `xcredit …` is not a command a clone has on its PATH.
      expect(message).not.toMatch(/`xcredit /);
      // So does the dashboard's sign-in page, in both languages.
      for (const lang of ['en', 'zh']) {
        const page = await (await fetch(`${server.url}/admin?lang=${lang}`)).text();
        expect(page, lang).toContain('npm run xcredit -- create-client --name admin --scopes credits/admin');
        expect(page, lang).not.toMatch(/[(（]xcredit create-client/);
      }
    } finally {
      await server.close();
    }
  });
});

/** Runs `xcredit start` until it prints the dashboard's URL; resolves with what it printed. */
async function startCli(env: NodeJS.ProcessEnv): Promise<{ out: string; url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [cli, 'start'], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: '', XCREDIT_ADMIN_KEY: '', XCREDIT_ADMIN_SECRET: '', ...env } });
  let out = '';
  child.stderr.on('data', (c) => (out += c));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      const m = /dashboard\s+(\S+)\/admin\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`xcredit start exited (${code}): ${out}`)));
  });
  return { out, url, stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))) };
}

const signIn = (url: string, key: string, secret: string) =>
  fetch(`${url}/admin/session`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url }, body: new URLSearchParams({ key, secret }) });

describe('a first start', () => {
  it('on an empty data folder makes an administrator, prints its sign-in once with the dashboard URL, and it signs in', async () => {
    const env = { XCREDIT_DATA_DIR: tempDir() };
    const first = await startCli(env);
    let key: string, secret: string;
    try {
      expect(first.out).toContain('First start: an administrator was made');
      key = /client key\s+(\S+)/.exec(first.out)![1]!;
      secret = /client secret\s+(\S+)/.exec(first.out)![1]!;
      const res = await signIn(first.url, key, secret);
      expect(res.status).toBe(303);
      expect(res.headers.get('set-cookie')).toMatch(/xcredit_admin|session/i);
      expect((await signIn(first.url, key, `${secret}x`)).status).toBe(401);
      const api = await fetch(`${first.url}/api/v1/learners`, { headers: { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}` } });
      expect(api.status).toBe(200);
    } finally {
      await first.stop();
    }
    const second = await startCli(env);
    try {
      expect(second.out).not.toContain(secret);
      expect(second.out).not.toContain('First start');
      expect((await signIn(second.url, key, secret)).status).toBe(303);
    } finally {
      await second.stop();
    }
  });

  it('makes no administrator when one is configured', async () => {
    const started = await startCli({ XCREDIT_DATA_DIR: await seedDataDir(tempDir()), XCREDIT_ADMIN_KEY: 'ops-admin', XCREDIT_ADMIN_SECRET: 'ops-secret-0123456789' });
    try {
      expect(started.out).not.toContain('First start');
      expect((await signIn(started.url, 'admin', 'anything-at-all')).status).toBe(401);
      expect((await signIn(started.url, 'ops-admin', 'ops-secret-0123456789')).status).toBe(303);
    } finally {
      await started.stop();
    }
  });
});
