import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTenant } from '../auth/clients.js';
import { createClient, startTestServer, type Engine, type TestServer } from '../testing.js';
import { startPlatformSimulator } from '@xcredit/lti-platform-sim';
import { ltiDb } from './tables.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const SECRET = 'TRAP-ANSWER-7f3a9c';

/** An HTTP server that counts every request it gets and answers with something that must never be shown. */
interface Trap {
  url: string;
  port: number;
  hits: string[];
  close(): Promise<void>;
}

async function trap(host: string | { path: string }, answer?: (req: IncomingMessage, res: ServerResponse, self: Trap) => void): Promise<Trap> {
  const self: Trap = { url: '', port: 0, hits: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    self.hits.push(`${req.method} ${req.url}`);
    if (answer) return answer(req, res, self);
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`${SECRET} internal service`);
  });
  await new Promise<void>((resolve) => (typeof host === 'string' ? server.listen(0, host, resolve) : server.listen(host.path, resolve)));
  const address = server.address();
  self.port = typeof address === 'string' ? 0 : (address as AddressInfo).port;
  self.url = typeof host === 'string' ? `http://${host.includes(':') ? `[${host}]` : host}:${self.port}` : '';
  self.close = () => new Promise((resolve) => server.close(() => resolve()));
  return self;
}

const errorCode = (html: string) => /data-code="([^"]+)"/.exec(html)?.[1];

describe.each(engines)('LTI Dynamic Registration refuses to be a proxy, on %s', (engine) => {
  let strict: TestServer;
  let lenient: TestServer;
  let loopback: Trap;
  let loopback6: Trap;
  let allowed: Trap;
  let tenantB: { authorization: string };

  const api = async (server: TestServer, method: string, path: string, body?: unknown, authorization: string | null = server.admin.authorization) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { ...(authorization ? { Authorization: authorization } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const link = async (server: TestServer, authorization?: string) => {
    const made = await api(server, 'POST', '/lti/registration-links', {}, authorization);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    return made.body as { id: string; url: string; expiresAt: string };
  };
  const register = async (url: string, configUrl: string) => {
    const res = await fetch(`${url}?openid_configuration=${encodeURIComponent(configUrl)}&registration_token=registration-token`);
    return { status: res.status, html: await res.text() };
  };

  beforeAll(async () => {
    const postgresUrl = inject('postgresUrl') ?? undefined;
    // The production default: public addresses only.
    strict = await startTestServer({ engine, postgresUrl, ltiAllowPrivateHosts: '' });
    // Only 127.0.0.2 allowed; the traps on 127.0.0.1 and ::1 stay forbidden.
    lenient = await startTestServer({ engine, postgresUrl, ltiAllowPrivateHosts: '127.0.0.2' });
    loopback = await trap('127.0.0.1');
    loopback6 = await trap('::1');
    allowed = await trap('127.0.0.2', (req, res, self) => {
      const path = req.url ?? '';
      if (path.startsWith('/redirect')) return void res.writeHead(302, { location: `${loopback.url}/.well-known/openid-configuration` }).end();
      if (path.startsWith('/names-loopback')) {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ issuer: self.url, authorization_endpoint: `${self.url}/auth`, token_endpoint: `${self.url}/token`, jwks_uri: `${self.url}/jwks`, registration_endpoint: `${loopback.url}/register` }),
        );
      }
      if (path.startsWith('/private-keys')) {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ issuer: self.url, authorization_endpoint: `${self.url}/auth`, token_endpoint: 'http://10.0.0.5/token', jwks_uri: `${loopback.url}/jwks`, registration_endpoint: `${self.url}/register` }),
        );
      }
      if (path.startsWith('/refuses')) {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ issuer: self.url, authorization_endpoint: `${self.url}/auth`, token_endpoint: `${self.url}/token`, jwks_uri: `${self.url}/jwks`, registration_endpoint: `${self.url}/register-refused` }),
        );
      }
      if (path.startsWith('/huge')) return void res.writeHead(200, { 'content-type': 'application/json' }).end(`{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`);
      if (path.startsWith('/not-json')) return void res.writeHead(200, { 'content-type': 'text/html' }).end(`<p>${SECRET}</p>`);
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: SECRET }));
    });
    await ensureTenant(lenient.store.db, { id: 'tenant-b', name: 'Tenant B', homePage: 'https://b.example.com' });
    const b = await createClient(lenient.store.db, { tenantId: 'tenant-b', name: 'b admin', scopes: ['credits/admin'] });
    tenantB = { authorization: `Basic ${Buffer.from(`${b.key}:${b.secret}`).toString('base64')}` };
  });
  afterAll(async () => {
    await Promise.all([loopback?.close(), loopback6?.close(), allowed?.close()]);
    await strict?.close();
    await lenient?.close();
  });

  it('makes registration links only for an admin, lists them without their token, and revokes them', async () => {
    expect((await api(strict, 'POST', '/lti/registration-links', {}, null)).status).toBe(401);
    const reader = await createClient(strict.store.db, { tenantId: 'default', name: 'reader', scopes: ['credits/read'] });
    const readerAuth = `Basic ${Buffer.from(`${reader.key}:${reader.secret}`).toString('base64')}`;
    expect((await api(strict, 'POST', '/lti/registration-links', {}, readerAuth)).status).toBe(403);
    expect((await api(strict, 'GET', '/lti/registration-links', undefined, readerAuth)).status).toBe(403);
    const bad = await api(strict, 'POST', '/lti/registration-links', { expiresInHours: 0, extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/expiresInHours|extra/);

    const made = await link(strict);
    expect(new Date(made.expiresAt).getTime() - Date.now()).toBeGreaterThan(6 * 24 * 3600_000);
    const listed = await api(strict, 'GET', '/lti/registration-links');
    const entry = listed.body.links.find((l: { id: string }) => l.id === made.id);
    expect(entry).toMatchObject({ id: made.id, status: 'open', usedAt: null, platformId: null });
    expect(JSON.stringify(listed.body)).not.toContain(made.url.split('/').pop());
    expect((await api(strict, 'DELETE', `/lti/registration-links/${made.id}`, undefined, readerAuth)).status).toBe(403);
    expect((await api(strict, 'DELETE', '/lti/registration-links/rl_unknown')).status).toBe(404);
    expect((await api(strict, 'DELETE', `/lti/registration-links/${made.id}`)).status).toBe(204);
    const after = await api(strict, 'GET', '/lti/registration-links');
    expect(after.body.links.find((l: { id: string }) => l.id === made.id).status).toBe('revoked');
  });

  it('starts nothing without a valid link: no link, an unknown, expired or revoked one → 4xx and no request made', async () => {
    const target = `${loopback.url}/.well-known/openid-configuration`;
    const none = await register(`${strict.url}/lti/register`, target);
    expect(none.status).toBe(404);
    expect(errorCode(none.html)).toBe('registration_link_required');
    const unknown = await register(`${strict.url}/lti/register/not-a-real-token-${'a'.repeat(30)}`, target);
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown.html)).toBe('unknown_registration_link');

    const expiring = await link(strict);
    await ltiDb(strict.store.db).updateTable('lti_registration_links').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', expiring.id).execute();
    const expired = await register(expiring.url, target);
    expect(expired.status).toBe(404);
    expect(errorCode(expired.html)).toBe('unknown_registration_link');

    const revoking = await link(strict);
    expect((await api(strict, 'DELETE', `/lti/registration-links/${revoking.id}`)).status).toBe(204);
    const revoked = await register(revoking.url, target);
    expect(revoked.status).toBe(404);

    // Another tenant's link works only for that tenant's server data; a link of one server is unknown to another.
    const elsewhere = await link(lenient);
    const foreign = await register(elsewhere.url.replace(lenient.url, strict.url), target);
    expect(foreign.status).toBe(404);
    expect(loopback.hits).toEqual([]);
  });

  it.each([
    ['127.0.0.1', () => `${loopback.url}/.well-known/openid-configuration`],
    ['localhost', () => `http://localhost:${loopback.port}/.well-known/openid-configuration`],
    ['[::1]', () => `http://[::1]:${loopback6.port}/.well-known/openid-configuration`],
    ['0.0.0.0', () => `http://0.0.0.0:${loopback.port}/`],
    ['::ffff:127.0.0.1', () => `http://[::ffff:127.0.0.1]:${loopback.port}/`],
    ['decimal 2130706433', () => `http://2130706433:${loopback.port}/`],
    ['octal 0177.0.0.1', () => `http://0177.0.0.1:${loopback.port}/`],
    ['hex 0x7f.1', () => `http://0x7f.1:${loopback.port}/`],
    ['10.0.0.1', () => 'http://10.0.0.1/'],
    ['172.16.0.1', () => 'http://172.16.0.1/'],
    ['192.168.1.1', () => 'http://192.168.1.1/'],
    ['169.254.169.254 (cloud metadata)', () => 'http://169.254.169.254/latest/meta-data/'],
    ['fd00::1', () => 'http://[fd00::1]/'],
    ['fe80::1', () => 'http://[fe80::1]/'],
    ['unix socket', () => 'http://unix:/var/run/docker.sock:/containers/json'],
  ])('refuses to fetch %s, before connecting, and keeps the link for a corrected try', async (_name, target) => {
    const made = await link(strict);
    const before = loopback.hits.length + loopback6.hits.length;
    const res = await register(made.url, target());
    expect(res.status, res.html).toBe(502);
    expect(errorCode(res.html)).toBe('platform_configuration_failed');
    expect(res.html).toMatch(/was not requested/);
    expect(loopback.hits.length + loopback6.hits.length).toBe(before);
    const listed = await api(strict, 'GET', '/lti/registration-links');
    expect(listed.body.links.find((l: { id: string }) => l.id === made.id).status).toBe('open');
  });

  it('refuses a platform registered by hand whose token or key URL is a non-public address, naming the field', async () => {
    const base = { name: 'Moodle', issuer: 'https://lms.example.edu', clientId: 'abc', authenticationEndpoint: 'http://127.0.0.1/auth', deploymentIds: ['1'] };
    const res = await api(strict, 'POST', '/lti/platforms', { ...base, accessTokenEndpoint: 'http://169.254.169.254/token', jwksUrl: 'http://[::1]:9/keys' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/accessTokenEndpoint: 169\.254\.169\.254 is a loopback, private .*; jwksUrl: ::1 is/);
    expect((await api(strict, 'GET', '/lti/platforms')).body.platforms).toEqual([]);
    // The browser is sent to the authentication endpoint; the server never fetches it.
    const ok = await api(strict, 'POST', '/lti/platforms', { ...base, accessTokenEndpoint: 'https://lms.example.edu/token', jwksUrl: 'https://lms.example.edu/keys' });
    expect(ok.status).toBe(201);
  });

  it('refuses a platform whose configuration names a non-public token or key URL, before registering with it, naming the field', async () => {
    const made = await link(lenient);
    const res = await register(made.url, `${allowed.url}/private-keys`);
    expect(res.status).toBe(502);
    expect(errorCode(res.html)).toBe('platform_address_refused');
    expect(res.html).toMatch(/token_endpoint: 10\.0\.0\.5 is a loopback, private/);
    expect(res.html).toMatch(/jwks_uri: 127\.0\.0\.1 is a loopback, private/);
    // The configuration was read; nothing was registered with the platform, nothing stored, and the link stays unused.
    expect(allowed.hits).toContain('GET /private-keys');
    expect(allowed.hits.filter((h) => h.startsWith('POST /register'))).toEqual([]);
    expect((await api(lenient, 'GET', '/lti/platforms')).body.platforms.find((p: { issuer: string }) => p.issuer === allowed.url)).toBeUndefined();
    const links = await api(lenient, 'GET', '/lti/registration-links');
    expect(links.body.links.find((l: { id: string }) => l.id === made.id)).toMatchObject({ status: 'open' });
  });

  it('refuses other schemes without a request', async () => {
    const made = await link(strict);
    for (const target of ['file:///etc/passwd', 'gopher://127.0.0.1:6379/_INFO', 'ftp://10.0.0.1/']) {
      const res = await register(made.url, target);
      expect(res.status, target).toBe(400);
      expect(errorCode(res.html)).toBe('missing_openid_configuration');
    }
  });

  it('follows no redirect to a forbidden address, and posts to no forbidden registration endpoint an allowed platform names', async () => {
    const made = await link(lenient);
    const redirected = await register(made.url, `${allowed.url}/redirect`);
    expect(redirected.status).toBe(502);
    expect(redirected.html).toMatch(/was not requested/);
    const named = await register(made.url, `${allowed.url}/names-loopback`);
    expect(named.status).toBe(502);
    expect(errorCode(named.html)).toBe('registration_refused');
    expect(allowed.hits).toEqual(expect.arrayContaining(['GET /redirect', 'GET /names-loopback']));
    expect(loopback.hits).toEqual([]);
  });

  it('never shows what the platform answered: error statuses, bodies, non-JSON, oversized answers', async () => {
    const made = await link(lenient);
    for (const [path, code] of [
      ['/answers-403', 'platform_configuration_failed'],
      ['/not-json', 'platform_configuration_failed'],
      ['/huge', 'platform_configuration_failed'],
      ['/refuses', 'registration_refused'],
    ] as const) {
      const res = await register(made.url, `${allowed.url}${path}`);
      expect(res.status, path).toBe(502);
      expect(errorCode(res.html), path).toBe(code);
      expect(res.html, path).not.toContain(SECRET);
      expect(res.html, path).not.toMatch(/\b403\b/);
    }
  });

  it('registers through a valid link into the link’s tenant, once', async () => {
    const sim = await startPlatformSimulator({ host: '127.0.0.2' });
    try {
      const made = await link(lenient, tenantB.authorization);
      const res = await register(made.url, sim.endpoints.openidConfiguration);
      expect(res.status, res.html).toBe(200);
      const inB = await api(lenient, 'GET', '/lti/platforms', undefined, tenantB.authorization);
      const platform = inB.body.platforms.find((p: { issuer: string }) => p.issuer === sim.url);
      expect(platform).toMatchObject({ status: 'pending', source: 'dynamic', clientId: sim.clientId });
      const inDefault = await api(lenient, 'GET', '/lti/platforms');
      expect(inDefault.body.platforms.find((p: { issuer: string }) => p.issuer === sim.url)).toBeUndefined();
      const links = await api(lenient, 'GET', '/lti/registration-links', undefined, tenantB.authorization);
      expect(links.body.links.find((l: { id: string }) => l.id === made.id)).toMatchObject({ status: 'used', platformId: platform.id });
      const again = await register(made.url, sim.endpoints.openidConfiguration);
      expect(again.status).toBe(404);
      expect(errorCode(again.html)).toBe('unknown_registration_link');
    } finally {
      await sim.close();
    }
  });

  it('answers a clash of issuer and client id without revealing the tenant that holds them', async () => {
    const sim = await startPlatformSimulator({ host: '127.0.0.2', clientId: 'shared-client' });
    try {
      const first = await api(lenient, 'POST', '/lti/platforms', sim.registration({ name: 'First tenant LMS' }));
      expect(first.status).toBe(201);
      const second = await api(lenient, 'POST', '/lti/platforms', sim.registration({ name: 'Second' }), tenantB.authorization);
      expect(second.status).toBe(409);
      const text = JSON.stringify(second.body);
      for (const secret of ['default', 'Default tenant', first.body.id, 'First tenant LMS']) expect(text).not.toContain(secret);
      // The same tenant hears which of its platforms it is.
      const own = await api(lenient, 'POST', '/lti/platforms', sim.registration());
      expect(own.status).toBe(409);
      expect(own.body.error.message).toContain(first.body.id);
      // The first registration is untouched.
      const kept = await api(lenient, 'GET', `/lti/platforms/${first.body.id}`);
      expect(kept.body).toMatchObject({ name: 'First tenant LMS', status: 'active' });
    } finally {
      await sim.close();
    }
  });

  it('fetches no platform keys from a forbidden address during a launch (ltijs’s own requests are guarded)', async () => {
    const sim = await startPlatformSimulator({ clientId: 'keys-from-loopback' });
    try {
      sim.registerTool({ loginUrl: `${strict.url}/lti/login`, launchUrl: `${strict.url}/lti`, jwksUrl: `${strict.url}/lti/keys` });
      // Refused when registered (the address is known then)…
      expect((await api(strict, 'POST', '/lti/platforms', { ...sim.registration(), jwksUrl: `${loopback.url}/jwks` })).status).toBe(400);
      // …and where the socket connects, for a name that resolves inside later: the stored key URL points there.
      const registered = await api(strict, 'POST', '/lti/platforms', { ...sim.registration(), accessTokenEndpoint: 'https://keys.example.com/token', jwksUrl: 'https://keys.example.com/jwks' });
      expect(registered.status).toBe(201);
      const moved = await sql`update lti_documents set doc = jsonb_set(doc, '{authConfig,key}', ${JSON.stringify(`${loopback.url}/jwks`)}::jsonb) where doc->'authConfig'->>'key' = 'https://keys.example.com/jwks'`.execute(strict.store.db);
      expect(Number(moved.numAffectedRows)).toBe(1);
      const before = loopback.hits.length;
      const launched = await sim.launch({ claims: sim.studentClaims('ssrf-learner'), targetLinkUri: `${strict.url}/lti` });
      expect(launched.status).toBeGreaterThanOrEqual(400);
      expect(launched.html).not.toContain(SECRET);
      expect(loopback.hits.length).toBe(before);
    } finally {
      await sim.close();
    }
  });
});

describe('unix sockets', () => {
  it('are never connected to, even when every loopback address is allowed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xcredit-sock-'));
    const sock = await trap({ path: join(dir, 's.sock') });
    const server = await startTestServer({ engine: 'pglite', ltiAllowPrivateHosts: '127.0.0.0/8, ::1, localhost, unix' });
    try {
      const made = await (await fetch(`${server.url}/api/v1/lti/registration-links`, { method: 'POST', headers: { Authorization: server.admin.authorization } })).json();
      const res = await fetch(`${made.url}?openid_configuration=${encodeURIComponent(`http://unix:${join(dir, 's.sock')}:/x`)}`);
      expect(res.status).toBe(502);
      expect(sock.hits).toEqual([]);
    } finally {
      await server.close();
      await sock.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
