import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from './index.js';
import { FolderLockedError, LOCK_FILE, lockFolder, readHolder } from './lock.js';
import { seedDataDir } from '../testing.js';

const BIN = resolve(import.meta.dirname, '../../bin/xcredit.js');
const folders: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

function tempFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xcredit-lock-'));
  folders.push(dir);
  return join(dir, 'data');
}

/** `node bin/xcredit.js …` on `dataDir`, as a user would run it. */
function xcredit(dataDir: string, args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, XCREDIT_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: '', XCREDIT_ADMIN_KEY: '', XCREDIT_ADMIN_SECRET: '', XCREDIT_VALIDATION_THREADS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; out: string; err: string }>((done) => child.on('close', (code) => done({ code, out, err })));
  return {
    child,
    exited,
    /** The server's URL once it says it is running. */
    running: () =>
      new Promise<string>((ok, fail) => {
        const look = () => {
          const url = /xcredit is running on (\S+)/.exec(out)?.[1];
          if (url) return ok(url);
        };
        child.stdout!.on('data', look);
        void exited.then((r) => fail(new Error(`the server exited (${r.code}) before running: ${r.err}`)));
        look();
      }),
  };
}

const basic = (key: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`, 'x-experience-api-version': '2.0.0' });

describe('the embedded data folder lock, between real processes', () => {
  it('refuses a second server, hands a CLI command to the running one without losing it, and recovers from a killed server', async () => {
    const dataDir = await seedDataDir(tempFolder());
    const server = xcredit(dataDir, ['start']);
    const url = await server.running();
    const holder = readHolder(join(dataDir, LOCK_FILE));
    expect(holder).toMatchObject({ pid: server.child.pid, command: 'start' });

    const second = await xcredit(dataDir, ['start']).exited;
    expect(second.code).toBe(1);
    expect(second.err).toContain(`the data folder ${dataDir} is in use by process ${server.child.pid} (xcredit start`);

    // The command reaches the running server, which sees the client at once.
    const created = await xcredit(dataDir, ['create-client', '--name', 'hr', '--key', 'hr-while-running', '--secret', 'hr-secret-0123456789']).exited;
    expect(created.code).toBe(0);
    expect(created.out).toContain('key:    hr-while-running');
    expect(created.err).toContain(`run by the xcredit server, process ${server.child.pid}`);
    expect((await fetch(`${url}/xapi/statements?limit=1`, { headers: basic('hr-while-running', 'hr-secret-0123456789') })).status).toBe(200);
    // A usage error from the server comes back as one.
    const bad = await xcredit(dataDir, ['create-client']).exited;
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('create-client needs --name');

    // A server killed outright leaves its lock behind; the next process takes the folder over.
    server.child.kill('SIGKILL');
    await server.exited;
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);
    const after = await xcredit(dataDir, ['create-client', '--name', 'after', '--key', 'after-kill', '--secret', 'after-secret-0123456789']).exited;
    expect(after.code).toBe(0);
    expect(after.err).not.toContain('run by the xcredit server');
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    // Both writes are in the folder.
    const store = await openStore({ dataDir });
    try {
      const keys = await store.db.selectFrom('clients').select('key').where('key', 'in', ['hr-while-running', 'after-kill']).orderBy('key').execute();
      expect(keys.map((k) => k.key)).toEqual(['after-kill', 'hr-while-running']);
    } finally {
      await store.close();
    }
  }, 300_000);

  it('lets a stopped server go cleanly: no lock is left, and the next server sees what the CLI wrote', async () => {
    const dataDir = await seedDataDir(tempFolder());
    const first = xcredit(dataDir, ['start']);
    await first.running();
    expect((await xcredit(dataDir, ['create-client', '--name', 'kept', '--key', 'kept-key', '--secret', 'kept-secret-0123456789']).exited).code).toBe(0);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    const again = xcredit(dataDir, ['start']);
    const url = await again.running();
    expect((await fetch(`${url}/xapi/statements?limit=1`, { headers: basic('kept-key', 'kept-secret-0123456789') })).status).toBe(200);
    again.child.kill('SIGTERM');
    await again.exited;
  }, 300_000);
});

describe('lockFolder', () => {
  it('refuses a folder this process holds, naming the holder, until it is released', async () => {
    const dataDir = tempFolder();
    const store = await openStore({ dataDir, command: 'migrate' });
    const refused = await openStore({ dataDir }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(FolderLockedError);
    expect((refused as Error).message).toContain(`in use by process ${process.pid} (xcredit migrate`);
    expect((refused as Error).message).toContain('Wait for it to finish');
    await store.close();
    const reopened = await openStore({ dataDir });
    await reopened.close();
  });

  it('takes over the lock of a process that is gone, and of a pid now used by another process', async () => {
    const dataDir = tempFolder();
    mkdirSync(dataDir, { recursive: true });
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((done) => gone.on('close', done));
    const lockFile = join(dataDir, LOCK_FILE);
    writeFileSync(lockFile, JSON.stringify({ pid: gone.pid, host: hostname(), command: 'start', since: '2026-01-01T00:00:00.000Z' }));
    (await lockFolder(dataDir, 'migrate')).release();

    if (existsSync('/proc/self/stat')) {
      // A live pid with another start time: the pid was reused after the holder died.
      writeFileSync(lockFile, JSON.stringify({ pid: process.ppid, host: hostname(), command: 'start', since: '2026-01-01T00:00:00.000Z', procStart: '1' }));
      const lock = await lockFolder(dataDir, 'migrate');
      expect(readHolder(lockFile)).toMatchObject({ pid: process.pid, command: 'migrate' });
      lock.release();
      expect(existsSync(lockFile)).toBe(false);
    }

    // A live holder on this host is respected.
    writeFileSync(lockFile, JSON.stringify({ pid: process.ppid, host: hostname(), command: 'start', since: '2026-01-01T00:00:00.000Z' }));
    await expect(lockFolder(dataDir, 'migrate')).rejects.toBeInstanceOf(FolderLockedError);
  });
});
