import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { loadConfig } from '../config.js';
import { startServer, type RunningServer } from '../server.js';
import { createClient, createTestDatabase, startTestServer, testImage, type Engine, type TestServer } from '../testing.js';
import * as secrets from './secrets.js';
import { signIn } from './sign-in.js';
import { addressSubject, DEFAULT_LIMITS, keySubject, SignInThrottle } from './throttle.js';

// Counts the scrypt checks sign-in makes, without changing them.
vi.mock('./secrets.js', async (original) => {
  const real = await original<typeof import('./secrets.js')>();
  return { ...real, verifySecret: vi.fn(real.verifySecret) };
});
const hashChecks = () => vi.mocked(secrets.verifySecret).mock.calls;

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const basic = (key: string, secret: string) => `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;

/** One sign-in attempt on each surface that takes a client key and secret. */
function surfaces(url: string) {
  const headers = (key: string, secret: string) => ({ authorization: basic(key, secret), 'x-experience-api-version': '2.0.0' });
  return {
    xapi: (key: string, secret: string) => fetch(`${url}/xapi/statements?limit=1`, { headers: headers(key, secret) }),
    // The 1.0.3 alternate request syntax carries Authorization in a form field.
    xapiForm: (key: string, secret: string) =>
      fetch(`${url}/xapi/statements?method=GET`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ Authorization: basic(key, secret), 'X-Experience-API-Version': '1.0.3' }) }),
    api: (key: string, secret: string) => fetch(`${url}/api/v1/policy`, { headers: headers(key, secret) }),
    lti: (key: string, secret: string) => fetch(`${url}/api/v1/lti/platforms`, { headers: headers(key, secret) }),
    cmi5: (key: string, secret: string) => fetch(`${url}/cmi5/launches`, { method: 'POST', headers: { ...headers(key, secret), 'content-type': 'application/json' }, body: '{}' }),
    admin: (key: string, secret: string) =>
      fetch(`${url}/admin/session`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key, secret }) }),
  };
}

async function expectLocked(res: Response) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(DEFAULT_LIMITS.windowMs / 1000);
  expect(await res.text()).toContain('too many failed sign-ins');
}

describe.each(engines)('sign-in throttle on %s', (engine) => {
  let server: TestServer;
  let on: ReturnType<typeof surfaces>;
  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    on = surfaces(server.url);
  });
  afterAll(() => server?.close());

  const newAdminClient = (name: string) => createClient(server.store.db, { tenantId: 'default', name, scopes: ['all', 'credits/admin'] });

  it('locks a key guessed on /admin, /api/v1 and /xapi together, on every surface, with Retry-After, until a new secret is set', async () => {
    const { key, secret } = await newAdminClient('guessed');
    const guesses = [on.admin, on.api, on.xapi, on.lti, on.xapiForm];
    expect(guesses.length).toBe(DEFAULT_LIMITS.perKey);
    for (const [i, surface] of guesses.entries()) expect((await surface(key, `wrong-${i}`)).status).toBe(401);
    // The right secret no longer helps, wherever it is presented.
    for (const surface of Object.values(on)) await expectLocked(await surface(key, secret));

    await createClient(server.store.db, { tenantId: 'default', name: 'guessed', key, secret: 'a-brand-new-secret-0123', scopes: ['all', 'credits/admin'] });
    expect((await on.xapi(key, 'a-brand-new-secret-0123')).status).toBe(200);
    expect((await on.admin(key, 'a-brand-new-secret-0123')).status).toBe(303);
  });

  it('locks an unknown key exactly like a known one, so a lockout tells no key exists', async () => {
    const known = await newAdminClient('known');
    const answers = async (key: string) => {
      const statuses = [];
      for (let i = 0; i <= DEFAULT_LIMITS.perKey; i++) statuses.push((await on.api(key, `wrong-${i}`)).status);
      return statuses;
    };
    expect(await answers(known.key)).toEqual(await answers('xc_never-issued-key'));
  });

  it('runs the same scrypt for an unknown key as for a wrong secret, and none for a locked key', async () => {
    const { key } = await newAdminClient('timed');
    const stored = await server.store.db.selectFrom('clients').select('secret_hash').where('key', '=', key).executeTakeFirstOrThrow();
    const params = (hash: string) => hash.split('$').slice(0, 4).join('$');

    let before = hashChecks().length;
    expect((await on.xapi(key, 'wrong')).status).toBe(401);
    expect(hashChecks().slice(before).map(([, hash]) => hash)).toEqual([stored.secret_hash]);

    before = hashChecks().length;
    expect((await on.xapi('xc_no-such-key', 'wrong')).status).toBe(401);
    const unknown = hashChecks().slice(before).map(([, hash]) => hash);
    expect(unknown).toHaveLength(1);
    expect(params(unknown[0]!)).toBe(params(stored.secret_hash));

    before = hashChecks().length;
    expect((await on.admin('xc_no-such-key-either', 'wrong')).status).toBe(401);
    expect(hashChecks().slice(before).map(([, hash]) => params(hash))).toEqual([params(stored.secret_hash)]);

    for (let i = 1; i < DEFAULT_LIMITS.perKey; i++) await on.xapi(key, 'wrong');
    before = hashChecks().length;
    await expectLocked(await on.xapi(key, 'wrong'));
    expect(hashChecks().length).toBe(before);
  });

  it('keeps storage bounded under 20,000 distinct bogus keys from one address, and valid known clients keep working', async () => {
    const gc = exposeGc();
    const { db } = server.store;
    await db.deleteFrom('auth_failures').execute();
    // A client signed in before the spray, whose credentials the server has verified.
    expect((await on.xapi(server.admin.key, server.admin.secret)).status).toBe(200);
    const fresh = await newAdminClient('fresh');

    // Requests in flight when the limit is reached were all let in, so the bound is the limit plus one batch.
    const BATCH = 25;
    const statuses = new Map<number, number>();
    const spray = async (from: number, to: number) => {
      for (let i = from; i < to; i += BATCH) {
        const batch = await Promise.all(Array.from({ length: Math.min(BATCH, to - i) }, (_, j) => ((i + j) % 2 ? on.xapi(`bogus-${i + j}`, 'x') : on.admin(`bogus-${i + j}`, 'x'))));
        for (const r of batch) {
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          await r.arrayBuffer();
        }
      }
    };
    await spray(0, 500);
    const failed = statuses.get(401)!;
    expect(failed).toBeGreaterThanOrEqual(DEFAULT_LIMITS.perAddress);
    expect(failed).toBeLessThan(DEFAULT_LIMITS.perAddress + BATCH);
    expect(statuses.get(429)).toBe(500 - failed);

    await spray(500, 2_000);
    expect(statuses.get(401)).toBe(failed);
    expect(statuses.get(429)).toBe(2_000 - failed);

    // The rest through the same sign-in, as a second server process on this database would see
    // them, watching this process's heap (after collecting garbage) while they arrive.
    const elsewhere = new SignInThrottle(db);
    const refusals = new Map<number, number>();
    const attempt = (i: number) => signIn(db, elsewhere, `bogus-${i}`, 'x', '127.0.0.1').catch((err: { status: number }) => void refusals.set(err.status, (refusals.get(err.status) ?? 0) + 1));
    await attempt(2_000);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 2_001; i < 20_000; i++) await attempt(i);
    gc();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(Object.fromEntries(refusals)).toEqual({ 429: 18_000 });
    const { rows } = await db.selectFrom('auth_failures').select((eb) => eb.fn.countAll<string>().as('rows')).executeTakeFirstOrThrow();
    expect(Number(rows)).toBe(failed + 1);
    // Even 60 bytes kept for each of 18,000 keys would show; what is left is noise.
    expect(heapGrowth).toBeLessThan(1024 * 1024);

    // New credentials from the locked address wait; credentials the server verified before keep
    // working after their minute in the cache, though their address is locked.
    const refused = await on.xapi(fresh.key, fresh.secret);
    await expectLocked(refused.clone());
    expect(await refused.text()).toContain('from this network address');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 61_000);
      const checks = hashChecks().length;
      expect((await on.xapi(server.admin.key, server.admin.secret)).status).toBe(200);
      expect(hashChecks().length - checks).toBe(1);
    } finally {
      vi.useRealTimers();
    }

    // Once the window has passed, the address may sign in again and the sweep empties the table.
    await expect(elsewhere.assertOpen(fresh.key, '127.0.0.1')).rejects.toMatchObject({ status: 429 });
    await db.updateTable('auth_failures').set({ window_start: new Date(Date.now() - DEFAULT_LIMITS.windowMs - 1000) }).execute();
    await expect(new SignInThrottle(db).assertOpen(fresh.key, '127.0.0.1')).resolves.toBeUndefined();
    await elsewhere.sweep();
    expect(await db.selectFrom('auth_failures').selectAll().execute()).toEqual([]);
  }, 600_000);
});

describe.runIf(inject('postgresUrl'))('sign-in throttle shared by two servers on one PostgreSQL database', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const servers: RunningServer[] = [];
  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresUrl')!);
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_LOG_LEVEL: 'silent', DATABASE_URL: database.url, XCREDIT_SECRET_KEY: randomBytes(32).toString('base64url') });
    // One after the other: both migrate the same database.
    servers.push(await startServer(config));
    servers.push(await startServer(config));
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await database?.drop();
  });

  it('counts failures made on either, and both refuse the locked key', async () => {
    const [a, b] = servers.map((s) => surfaces(s.url));
    const { key, secret } = await createClient(servers[0]!.store.db, { tenantId: 'default', name: 'shared', scopes: ['all', 'credits/admin'] });
    for (let i = 0; i < DEFAULT_LIMITS.perKey; i++) expect((await (i % 2 ? a! : b!).api(key, `wrong-${i}`)).status).toBe(401);
    await expectLocked(await a!.xapi(key, secret));
    await expectLocked(await b!.admin(key, secret));
  });
});

describe('sign-in throttle behind a reverse proxy (XCREDIT_TRUST_PROXY)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(loadConfig({ PORT: '0', HOST: '127.0.0.1', XCREDIT_LOG_LEVEL: 'silent', XCREDIT_DATA_DIR: 'memory://', XCREDIT_TRUST_PROXY: 'loopback' }), { pgliteImage: await testImage() });
  });
  afterAll(() => server?.close());

  it("counts each client's forwarded address, so one client's failures do not lock out the others behind the proxy", async () => {
    const from = (address: string, key: string, secret: string) =>
      fetch(`${server.url}/api/v1/policy`, { headers: { authorization: basic(key, secret), 'x-forwarded-for': address } });
    for (let i = 0; i < DEFAULT_LIMITS.perAddress; i++) expect((await from('198.51.100.1', `sprayed-${i}`, 'x')).status).toBe(401);
    const { key, secret } = await createClient(server.store.db, { tenantId: 'default', name: 'behind the proxy', scopes: ['all'] });
    await expectLocked(await from('198.51.100.1', key, secret));
    expect((await from('198.51.100.2', key, secret)).status).toBe(200);
  });
});

describe('address subjects', () => {
  it('keep IPv4 addresses whole and group IPv6 addresses by /64', () => {
    expect(addressSubject('203.0.113.9')).toBe('addr:203.0.113.9');
    expect(addressSubject('::ffff:203.0.113.9')).toBe('addr:203.0.113.9');
    expect(addressSubject('2001:db8:1:2:aaaa::1')).toBe('addr:2001:db8:1:2::/64');
    expect(addressSubject('2001:0db8:0001:0002:bbbb:cccc:dddd:eeee')).toBe('addr:2001:db8:1:2::/64');
    expect(addressSubject('2001:db8::1')).toBe('addr:2001:db8:0:0::/64');
    expect(addressSubject('::1')).toBe('addr:0:0:0:0::/64');
  });
  it('never store a key in clear, and are the same size whatever key is sent', () => {
    expect(keySubject('x'.repeat(10_000))).toHaveLength(keySubject('k').length);
    expect(keySubject('secret-looking-key')).not.toContain('secret-looking-key');
  });
});

/** The garbage collector, so heap sizes compare live objects rather than garbage. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
