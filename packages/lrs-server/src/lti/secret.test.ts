import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../config.js';
import { SECRET_KEY_FILE } from '../secret-key.js';
import { startServer, type RunningServer } from '../server.js';
import { putMailSettings, transportSettings } from '../reminders/settings.js';
import { createTestDatabase, seedDataDir, startTestServer, type Engine } from '../testing.js';
import { decrypt } from '../secret-key.js';
import { rotateSecretKey } from './secret.js';
import { ltiDb } from './tables.js';

const cli = fileURLToPath(new URL('../../bin/xcredit.js', import.meta.url));
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'xcredit-secret-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const ADMIN = { XCREDIT_ADMIN_KEY: 'secret-test-admin', XCREDIT_ADMIN_SECRET: 'secret-test-admin-secret-0123' };
const auth = `Basic ${Buffer.from(`${ADMIN.XCREDIT_ADMIN_KEY}:${ADMIN.XCREDIT_ADMIN_SECRET}`).toString('base64')}`;
const KEY_1 = 'first-secret-key-0123456789abcdefghijklmnop';
const KEY_2 = 'second-secret-key-0123456789abcdefghijklmno';

async function start(env: Record<string, string | undefined>): Promise<RunningServer> {
  return startServer(loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_LOG_LEVEL: 'silent', ...ADMIN, ...env }));
}

async function registerPlatform(server: RunningServer, issuer: string): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/lti/platforms`, {
    method: 'POST',
    headers: { Authorization: auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'LMS', issuer, clientId: 'client-1', authenticationEndpoint: `${issuer}/auth`, accessTokenEndpoint: `${issuer}/token`, jwksUrl: `${issuer}/jwks`, deploymentIds: ['1'] }),
  });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

/** The stored private keys, and every string anywhere in the LTI records (the candidates an attacker with the database holds). */
async function stored(server: RunningServer) {
  const rows = await ltiDb(server.store.db).selectFrom('lti_documents').select(['collection', 'doc']).execute();
  const strings = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') strings.add(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  rows.forEach((r) => walk(r.doc));
  const privateKeys = rows.filter((r) => r.collection === 'privatekey').map((r) => r.doc as { iv: string; data: string });
  return { privateKeys, strings, collections: new Set(rows.map((r) => r.collection)) };
}

const opens = (doc: { iv: string; data: string }, key: string) => {
  try {
    return JSON.parse(decrypt(doc.data, doc.iv, key)) !== undefined;
  } catch {
    return false;
  }
};

const keys = async (server: RunningServer) => (await (await fetch(`${server.url}/lti/keys`)).json()).keys as unknown[];

describe('the secret key of the embedded database', () => {
  it('is made once into the data folder (mode 0600), reused after a restart, and never stored in the database', async () => {
    const dir = await seedDataDir(tempDir());
    const first = await start({ XCREDIT_DATA_DIR: dir });
    let key: string;
    try {
      const file = join(dir, SECRET_KEY_FILE);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      key = readFileSync(file, 'utf8').trim();
      expect(key.length).toBeGreaterThanOrEqual(32);
      expect(first.lti.state.status).toBe('ready');
      await registerPlatform(first, 'https://lms.example.com');
      const { privateKeys, strings, collections } = await stored(first);
      expect(privateKeys.length).toBe(1);
      expect(opens(privateKeys[0]!, key)).toBe(true);
      expect(collections.has('xcredit:secret')).toBe(false);
      for (const candidate of strings) expect(opens(privateKeys[0]!, candidate), 'a string in the database decrypts the private key').toBe(false);
      expect((await keys(first)).length).toBe(1);
    } finally {
      await first.close();
    }
    const second = await start({ XCREDIT_DATA_DIR: dir });
    try {
      expect(readFileSync(join(dir, SECRET_KEY_FILE), 'utf8').trim()).toBe(key);
      expect(second.lti.state.status).toBe('ready');
      expect((await keys(second)).length).toBe(1);
    } finally {
      await second.close();
    }

    // A different key does not open what is stored: LTI says so and the rest keeps serving.
    const wrong = await start({ XCREDIT_DATA_DIR: dir, XCREDIT_SECRET_KEY: KEY_2 });
    try {
      expect(wrong.lti.state).toMatchObject({ status: 'failed', reason: expect.stringMatching(/do not decrypt with XCREDIT_SECRET_KEY .*rotate-secret-key/) });
      expect((await fetch(`${wrong.url}/xapi/about`)).status).toBe(200);
    } finally {
      await wrong.close();
    }

    // `xcredit rotate-secret-key` re-encrypts with a new key file.
    const rotated = spawnSync(process.execPath, [cli, 'rotate-secret-key'], { env: { ...process.env, XCREDIT_DATA_DIR: dir, DATABASE_URL: '', XCREDIT_SECRET_KEY: '' }, encoding: 'utf8' });
    expect(rotated.status, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/re-encrypted [1-9]\d* stored LTI record\(s\) and 0 mail server password\(s\); the new key is in /);
    const newKey = readFileSync(join(dir, SECRET_KEY_FILE), 'utf8').trim();
    expect(newKey).not.toBe(key);
    expect(statSync(join(dir, SECRET_KEY_FILE)).mode & 0o777).toBe(0o600);
    const third = await start({ XCREDIT_DATA_DIR: dir });
    try {
      expect(third.lti.state.status).toBe('ready');
      expect((await keys(third)).length).toBe(1);
      const { privateKeys } = await stored(third);
      expect(opens(privateKeys[0]!, newKey)).toBe(true);
      expect(opens(privateKeys[0]!, key)).toBe(false);
    } finally {
      await third.close();
    }
  }, 240_000);

  it('takes over from a key an older release kept in the database, and drops it', async () => {
    const dir = await seedDataDir(tempDir());
    const old = await start({ XCREDIT_DATA_DIR: dir, XCREDIT_SECRET_KEY: KEY_1 });
    try {
      await registerPlatform(old, 'https://legacy.example.com');
      await ltiDb(old.store.db).insertInto('lti_documents').values({ tenant_id: 'default', collection: 'xcredit:secret', doc: JSON.stringify({ key: KEY_1 }) }).execute();
    } finally {
      await old.close();
    }
    const next = await start({ XCREDIT_DATA_DIR: dir, XCREDIT_SECRET_KEY: KEY_2 });
    try {
      expect(next.lti.state.status).toBe('ready');
      const { privateKeys, collections } = await stored(next);
      expect(collections.has('xcredit:secret')).toBe(false);
      expect(opens(privateKeys[0]!, KEY_2)).toBe(true);
      expect((await keys(next)).length).toBe(1);
    } finally {
      await next.close();
    }
  }, 120_000);
});

describe.runIf(inject('postgresUrl'))('the secret key with PostgreSQL', () => {
  it('must be set, and rotates from XCREDIT_SECRET_KEY to XCREDIT_NEW_SECRET_KEY', async () => {
    const database = await createTestDatabase(inject('postgresUrl')!);
    try {
      await expect(start({ DATABASE_URL: database.url })).rejects.toThrow(/XCREDIT_SECRET_KEY must be set when DATABASE_URL is/);
      const started = spawnSync(process.execPath, [cli, 'lti-registration-link'], { env: { ...process.env, DATABASE_URL: database.url, XCREDIT_SECRET_KEY: '' }, encoding: 'utf8' });
      expect(started.status, started.stderr).toBe(0); // commands that need no key run without one
      expect(started.stdout).toMatch(/^registration link rl_\S+ for tenant default, valid once until \S+:\n  http:\/\/localhost:3000\/lti\/register\/[A-Za-z0-9_-]{43}$/m);

      const first = await start({ DATABASE_URL: database.url, XCREDIT_SECRET_KEY: KEY_1 });
      try {
        await registerPlatform(first, 'https://pg.example.com');
        const mail = await fetch(`${first.url}/api/v1/reminders/settings`, { method: 'PUT', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled: true, host: 'smtp.example.com', port: 587, user: 'credits', password: 'smtp-pass-1', from: 'credits@example.com' }) });
        expect(mail.status).toBe(200);
      } finally {
        await first.close();
      }
      const env = { ...process.env, DATABASE_URL: database.url, XCREDIT_SECRET_KEY: KEY_1 };
      const missing = spawnSync(process.execPath, [cli, 'rotate-secret-key'], { env, encoding: 'utf8' });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/set XCREDIT_NEW_SECRET_KEY/);
      const wrongOld = spawnSync(process.execPath, [cli, 'rotate-secret-key'], { env: { ...env, XCREDIT_SECRET_KEY: KEY_2, XCREDIT_NEW_SECRET_KEY: KEY_1 }, encoding: 'utf8' });
      expect(wrongOld.status).toBe(1);
      expect(wrongOld.stderr).toMatch(/do not decrypt with the current secret key; nothing was changed/);
      const rotated = spawnSync(process.execPath, [cli, 'rotate-secret-key'], { env: { ...env, XCREDIT_NEW_SECRET_KEY: KEY_2 }, encoding: 'utf8' });
      expect(rotated.status, rotated.stderr).toBe(0);
      expect(rotated.stdout).toMatch(/^re-encrypted [1-9]\d* stored LTI record\(s\) and 1 mail server password\(s\); now set XCREDIT_SECRET_KEY to the new key/);

      const withOld = await start({ DATABASE_URL: database.url, XCREDIT_SECRET_KEY: KEY_1 });
      try {
        expect(withOld.lti.state.status).toBe('failed');
      } finally {
        await withOld.close();
      }
      const withNew = await start({ DATABASE_URL: database.url, XCREDIT_SECRET_KEY: KEY_2 });
      try {
        expect(withNew.lti.state.status).toBe('ready');
        expect((await keys(withNew)).length).toBe(1);
        expect((await transportSettings(withNew.store.db, 'default', KEY_2))?.password).toBe('smtp-pass-1');
      } finally {
        await withNew.close();
      }
    } finally {
      await database.drop();
    }
  }, 120_000);
});

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('rotating the secret key on %s', (engine) => {
  it('re-encrypts every tenant’s mail server password with the LTI records, or nothing when one does not open', async () => {
    const server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    try {
      const db = server.store.db;
      await db.insertInto('tenants').values({ id: 'school', name: 'School', home_page: 'https://school.example.com' }).execute();
      const settings = { enabled: true, host: 'smtp.example.com', port: 587, secure: false, from: 'credits@example.com', language: 'en', deadlineDays: 30 } as const;
      await putMailSettings(db, 'default', KEY_1, { ...settings, user: 'credits', password: 'pass-default-密码' });
      await putMailSettings(db, 'school', KEY_1, { ...settings, user: 'school', password: 'pass-school' });
      const password = async (tenant: string, key: string) => {
        try {
          return (await transportSettings(db, tenant, key))?.password;
        } catch {
          return 'does not open';
        }
      };

      expect(await rotateSecretKey(db, KEY_1, KEY_2)).toMatchObject({ mail: 2 });
      expect([await password('default', KEY_2), await password('school', KEY_2)]).toEqual(['pass-default-密码', 'pass-school']);
      expect(await password('default', KEY_1)).not.toBe('pass-default-密码');

      // A wrong current key changes nothing, the passwords included.
      const KEY_3 = 'third-secret-key-0123456789abcdefghijklmnopq';
      await expect(rotateSecretKey(db, KEY_3, KEY_1)).rejects.toThrow(/mail server password of tenant default does not decrypt with the current secret key; nothing was changed/);
      expect([await password('default', KEY_2), await password('school', KEY_2)]).toEqual(['pass-default-密码', 'pass-school']);
    } finally {
      await server.close();
    }
  }, 120_000);
});
