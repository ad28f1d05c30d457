import { execFile, spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../testing.js';
import { parseWorkers } from './workers.js';

const CLI = fileURLToPath(new URL('../../bin/xcredit.js', import.meta.url));
const postgresUrl = inject('postgresUrl');

const run = (args: string[], env: Record<string, string>) =>
  promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );

describe('xcredit start --workers', () => {
  it('reads --workers as a whole number of processes from 1 to 64', () => {
    expect(parseWorkers('4')).toBe(4);
    expect(parseWorkers('0')).toMatch(/between 1 and 64/);
    expect(parseWorkers('65')).toMatch(/between 1 and 64/);
    expect(parseWorkers('two')).toMatch(/must be a whole number/);
  });

  it('refuses a bad count and PGlite, saying what to do', async () => {
    const bad = await run(['start', '--workers', 'many'], { XCREDIT_DATA_DIR: 'memory://', DATABASE_URL: '' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--workers "many" must be a whole number');
    const lite = await run(['start', '--workers', '2'], { XCREDIT_DATA_DIR: 'memory://', DATABASE_URL: '' });
    expect(lite.code).toBe(2);
    expect(lite.stderr).toContain('--workers needs DATABASE_URL');
    expect(lite.stderr).toContain('one process only');
  });
});

describe.skipIf(!postgresUrl)('xcredit start --workers 2 on PostgreSQL', () => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  it('serves on one port from two processes, replaces a worker that dies, and stops all on SIGTERM', async () => {
    const database = await createTestDatabase(postgresUrl!);
    drops.push(database.drop);
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const primary = spawn(process.execPath, [CLI, 'start', '--workers', '2'], {
      env: { ...process.env, DATABASE_URL: database.url, PORT: String(port), HOST: '127.0.0.1', XCREDIT_SECRET_KEY: 'workers-secret-key-0123456789abcdef', XCREDIT_LOG_LEVEL: 'warn', XCREDIT_VALIDATION_THREADS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    primary.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    primary.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => primary.once('exit', (code) => resolve(code)));
    try {
      const until = async (what: string, check: () => boolean | Promise<boolean>) => {
        for (let i = 0; i < 600; i++) {
          if (await check()) return;
          await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`timed out waiting for ${what}: ${stdout} ${stderr}`);
      };
      await until('the banner', () => /with 2 worker processes/.test(stdout));
      // The first administrator is made once and shown once, however many workers start.
      expect(stdout.match(/client secret/g)).toHaveLength(1);
      // The worker processes: the primary's children.
      const pids = async () => {
        const { stdout: out } = await promisify(execFile)('ps', ['-o', 'pid=', '--ppid', String(primary.pid)], { encoding: 'utf8' }).catch(() => ({ stdout: '' }));
        return new Set(out.split(/\s+/).filter(Boolean));
      };
      const ready = async () => (await fetch(`http://127.0.0.1:${port}/readyz`, { headers: { connection: 'close' } })).status === 200;
      const before = await pids();
      expect(before.size).toBe(2);
      expect(await ready()).toBe(true);
      // A worker killed outright is replaced.
      const victim = Number([...before][0]);
      process.kill(victim, 'SIGKILL');
      await until('a replacement', () => /died \(SIGKILL\); starting another/.test(stderr));
      await until('two workers again', async () => {
        const now = await pids();
        return now.size === 2 && !now.has(String(victim));
      });
      const after = await pids();
      expect(await ready()).toBe(true);
      primary.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
      // Every worker stopped with it.
      for (const pid of after) expect(() => process.kill(Number(pid), 0)).toThrow();
    } finally {
      if (primary.exitCode === null) primary.kill('SIGKILL');
    }
  }, 240_000);
});
