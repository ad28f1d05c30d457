import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { startServer } from './server.js';

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
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_DATA_DIR: tempDir(), XCREDIT_ADMIN_KEY: 'restart-admin', XCREDIT_ADMIN_SECRET: 'restart-secret-0123456789' });
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
    const dir = tempDir();
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_DATA_DIR: dir, XCREDIT_ADMIN_KEY: 'recompute-admin', XCREDIT_ADMIN_SECRET: 'recompute-secret-0123456789' });
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

  it('refuses to start on a port that is taken, saying so', async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_DATA_DIR: 'memory://' });
    const first = await startServer(config);
    try {
      await expect(startServer({ ...config, port: first.port })).rejects.toThrow(`port ${first.port} is already in use`);
    } finally {
      await first.close();
    }
  });
});

describe('the demo', () => {
  it('serves the demo page, the player bundles and the demo video', async () => {
    const server = await startServer(loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_DATA_DIR: 'memory://' }), { demo: true });
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
});
