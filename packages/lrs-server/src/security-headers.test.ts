import { createHash, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type Engine, type TestServer } from './testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
// What a browser would render as a page, or run, if it were shown one: each must come back inert.
const ACTIVE_TYPES = ['text/html', 'text/html; charset=utf-8', 'application/xhtml+xml', 'image/svg+xml', 'text/xml', 'application/xml', 'application/javascript', 'text/javascript', 'application/pdf', 'text/plain', 'application/octet-stream', 'application/json'];
const PAYLOAD = '<html><body><script>parent.postMessage("ran","*")</script><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/></body></html>';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly these headers (fetch adds its own Sec-Fetch-Mode) and the whole answer. */
function raw(url: string, { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The CSP as directive → sources. */
function csp(header: string | null | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name, sources);
  }
  return out;
}

const isInert = (headers: Headers) => {
  const policy = csp(headers.get('content-security-policy'));
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(policy.get('sandbox')).toEqual([]);
  expect(policy.get('default-src')).toEqual(["'none'"]);
  expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
};

/** Every inline script of an HTML page is allowed by its CSP by hash, and no other script source but 'self' is. */
function inlineScriptsAllowed(html: string, header: string | null) {
  const scripts = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  const allowed = csp(header).get('script-src') ?? csp(header).get('default-src') ?? [];
  expect(allowed).not.toContain("'unsafe-inline'");
  expect(allowed).not.toContain("'unsafe-eval'");
  for (const s of scripts) expect(allowed).toContain(`'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`);
  return scripts.length;
}

describe.each(engines)('security headers on %s', (engine) => {
  let server: TestServer;
  const xapi = (path: string, init: { method?: string; auth?: string; version?: string; type?: string; body?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${server.url}/xapi${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: init.auth ?? server.admin.authorization, 'x-experience-api-version': init.version ?? '2.0.0', ...(init.type ? { 'content-type': init.type } : {}), ...init.headers },
      body: init.body,
    });
  const agent = { objectType: 'Agent', mbox: 'mailto:ana@example.com' };
  const resources = [
    { name: 'State', path: '/activities/state', query: (id: string) => ({ activityId: 'https://example.com/a', agent: JSON.stringify(agent), stateId: id }) },
    { name: 'Activity Profile', path: '/activities/profile', query: (id: string) => ({ activityId: 'https://example.com/a', profileId: id }) },
    { name: 'Agent Profile', path: '/agents/profile', query: (id: string) => ({ agent: JSON.stringify(agent), profileId: id }) },
  ];
  const alternate = (path: string, method: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    raw(`${server.url}/xapi${path}?method=${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ Authorization: server.admin.authorization, 'X-Experience-API-Version': '1.0.3', ...fields }).toString(),
    });

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, demo: true });
  });
  afterAll(() => server?.close());

  it('makes every API answer, error and unknown route inert: nosniff and a CSP sandbox with nothing allowed', async () => {
    const answers = [
      await fetch(`${server.url}/xapi/about`),
      await xapi('/statements'),
      await xapi('/statements', { auth: 'Basic bm9ib2R5OndoYXRldmVy' }),
      await xapi('/activities?activityId=https%3A%2F%2Fexample.com%2Fnone'),
      await fetch(`${server.url}/api/v1/openapi.json`),
      await fetch(`${server.url}/api/v1/learners`, { headers: { authorization: server.admin.authorization } }),
      await fetch(`${server.url}/api/v1/learners`),
      await fetch(`${server.url}/no/such/page`),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 401, 200, 200, 200, 401, 404]);
    for (const res of answers) {
      isInert(res.headers);
      // A window such a document opens on /admin is out of its reach.
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin-allow-popups');
    }
  });

  it.each(resources)('serves $name documents of every content type as inert downloads with the type they were stored with', async (r) => {
    for (const type of ACTIVE_TYPES) {
      const q = new URLSearchParams(r.query(`doc-${randomUUID()}`));
      const put = await xapi(`${r.path}?${q}`, { method: 'PUT', type, body: type === 'application/json' ? '{"a":"<script>alert(1)</script>"}' : PAYLOAD });
      expect(put.status, type).toBe(204);
      const got = await xapi(`${r.path}?${q}`);
      expect(got.status, type).toBe(200);
      expect(got.headers.get('content-type'), type).toBe(type);
      expect(got.headers.get('content-disposition'), type).toBe('attachment');
      isInert(got.headers);
      // The same document through the 1.0.3 alternate request syntax, as the demonstrated attack read it.
      const viaForm = await alternate(r.path, 'GET', Object.fromEntries(q));
      expect(viaForm.status, type).toBe(200);
      expect(viaForm.headers['content-disposition'], type).toBe('attachment');
      expect(viaForm.headers['x-content-type-options']).toBe('nosniff');
      expect(csp(viaForm.headers['content-security-policy'] as string).get('sandbox')).toEqual([]);
    }
  });

  it.each(resources)('refuses a $name document whose Content-Type is not a media type, naming it, and stores nothing', async (r) => {
    const q = new URLSearchParams(r.query(`bad-${randomUUID()}`));
    // "html" alone would be looked up as a file extension and sent back as text/html.
    for (const type of ['html', 'text', 'text/html;x', 'text/html, application/json']) {
      const res = await xapi(`${r.path}?${q}`, { method: 'PUT', type, body: PAYLOAD });
      expect(res.status, type).toBe(400);
      expect((await res.json()).error.message).toContain('Content-Type');
    }
    // Through the alternate syntax a "header" is a form field and may hold anything, line breaks included.
    for (const type of ['text/html\r\nX-Injected: 1', 'text/plain; charset="€"']) {
      const res = await alternate(r.path, 'PUT', { ...Object.fromEntries(q), 'Content-Type': type, content: PAYLOAD, 'If-None-Match': '*' });
      expect(res.status, JSON.stringify(type)).toBe(400);
      expect(JSON.parse(res.body).error.message).toContain('Content-Type');
    }
    expect((await xapi(`${r.path}?${q}`)).status).toBe(404);
  });

  it('serves statements with attachments (multipart) as an inert download', async () => {
    const content = PAYLOAD;
    const sha2 = createHash('sha256').update(content).digest('hex');
    const statement = { id: randomUUID(), actor: agent, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, object: { id: 'https://example.com/a' }, attachments: [{ usageType: 'https://example.com/file', display: { en: 'page' }, contentType: 'text/html', length: Buffer.byteLength(content), sha2 }] };
    const boundary = `b${randomUUID()}`;
    const body = `--${boundary}\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(statement)}\r\n--${boundary}\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ${sha2}\r\n\r\n${content}\r\n--${boundary}--\r\n`;
    expect((await xapi('/statements', { method: 'POST', type: `multipart/mixed; boundary=${boundary}`, body })).status).toBe(200);
    const got = await xapi(`/statements?statementId=${statement.id}&attachments=true`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toMatch(/^multipart\/mixed; boundary=/);
    expect(got.headers.get('content-disposition')).toBe('attachment');
    isInert(got.headers);
  });

  it('refuses API calls a browser makes as a navigation, a form submission or a no-cors request, which may carry remembered credentials', async () => {
    const q = Object.fromEntries(new URLSearchParams(resources[0]!.query('nav')));
    for (const mode of ['navigate', 'nested-navigate', 'no-cors']) {
      const form = await alternate('/activities/state', 'GET', q, { 'sec-fetch-mode': mode, 'sec-fetch-dest': mode === 'no-cors' ? 'empty' : 'document' });
      expect(form.status, mode).toBe(403);
      expect(JSON.parse(form.body).error.message).toMatch(/fetch or XMLHttpRequest/);
      expect((await raw(`${server.url}/xapi/statements`, { headers: { authorization: server.admin.authorization, 'x-experience-api-version': '2.0.0', 'sec-fetch-mode': mode } })).status, mode).toBe(403);
      expect((await raw(`${server.url}/api/v1/learners`, { headers: { authorization: server.admin.authorization, 'sec-fetch-mode': mode } })).status, mode).toBe(403);
    }
    // The same form from a script in CORS mode, or from a client that is no browser, is served.
    expect((await alternate('/activities/state', 'GET', q, { 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' })).status).toBe(404);
    expect((await alternate('/activities/state', 'GET', q)).status).toBe(404);
    // About stays readable in a browser tab.
    expect((await raw(`${server.url}/xapi/about`, { headers: { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } })).status).toBe(200);
  });

  it('never takes the dashboard session cookie as credentials for /xapi or /api/v1, and hands the CSRF token only to a page navigation', async () => {
    const signIn = await raw(`${server.url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key: server.admin.key, secret: server.admin.secret }).toString() });
    expect(signIn.status).toBe(303);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    expect((await raw(`${server.url}/admin/api/catalog`, { headers: { cookie } })).status).toBe(200);
    expect((await raw(`${server.url}/xapi/statements`, { headers: { cookie, 'x-experience-api-version': '2.0.0' } })).status).toBe(401);
    expect((await raw(`${server.url}/api/v1/learners`, { headers: { cookie } })).status).toBe(401);
    const page = await raw(`${server.url}/admin`, { headers: { cookie, 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate' } });
    expect(page.body).toContain('name="csrf-token"');
    for (const dest of ['empty', 'iframe', 'object', 'embed']) {
      const res = await raw(`${server.url}/admin`, { headers: { cookie, 'sec-fetch-dest': dest } });
      expect(res.status, dest).toBe(403);
      expect(res.body, dest).not.toContain('csrf');
    }
  });

  it('gives /admin a strict CSP without inline script, and frames it nowhere', async () => {
    const signIn = await raw(`${server.url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key: server.admin.key, secret: server.admin.secret }).toString() });
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    const visits: Record<string, string>[] = [{}, { cookie }];
    for (const headers of visits) {
      const res = await fetch(`${server.url}/admin`, { headers });
      expect(res.status).toBe(200);
      const policy = csp(res.headers.get('content-security-policy'));
      expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
      expect(policy.get('script-src')).toEqual(["'self'"]);
      expect(policy.get('object-src')).toEqual(["'none'"]);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      // Only the dashboard's own pages share its browsing context group.
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(inlineScriptsAllowed(await res.text(), res.headers.get('content-security-policy'))).toBe(0);
    }
    const api = await fetch(`${server.url}/admin/api/catalog`);
    expect(csp(api.headers.get('content-security-policy')).get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('lets any site frame the player, demo, cmi5 AU and LTI pages by default, whose inline scripts are each allowed by hash', async () => {
    for (const path of ['/play', '/demo', '/cmi5/au', '/lti/keys']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      const policy = csp(res.headers.get('content-security-policy'));
      expect(policy.get('frame-ancestors'), path).toEqual(['*']);
      expect(res.headers.get('x-frame-options'), path).toBeNull();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await res.text();
      if (path !== '/lti/keys') expect(inlineScriptsAllowed(html, res.headers.get('content-security-policy')), path).toBeGreaterThan(0);
    }
  });

  it('serves certificates without any script, and the player bundle and media to other sites', async () => {
    const page = await fetch(`${server.url}/certificates/no-such-certificate`);
    expect(page.status).toBe(404);
    const policy = csp(page.headers.get('content-security-policy'));
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toBeUndefined();
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    const bundle = await fetch(`${server.url}/static/xcredit-player.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(bundle.headers.get('access-control-allow-origin')).toBe('*');
    expect(bundle.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers cross-origin calls to the player APIs from any site, and the rest of the credits API from none, never with credentials', async () => {
    const preflight = (path: string) => fetch(`${server.url}${path}`, { method: 'OPTIONS', headers: { origin: 'https://vendor.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
    for (const path of ['/xapi/statements', '/api/v1/launches/current', '/api/v1/launches/current/heartbeat']) {
      const res = await preflight(path);
      expect(res.status, path).toBe(204);
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(res.headers.get('access-control-allow-credentials'), path).toBeNull();
    }
    for (const path of ['/api/v1/learners', '/api/v1/awards', '/api/v1/launches']) {
      const res = await preflight(path);
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
      const get = await fetch(`${server.url}${path}`, { headers: { origin: 'https://vendor.example', authorization: server.admin.authorization } });
      expect(get.headers.get('access-control-allow-origin'), path).toBeNull();
    }
  });

  describe('HEAD', () => {
    const paths = () => [
      '/xapi/statements',
      `/xapi/activities/state?${new URLSearchParams(resources[0]!.query('head'))}`,
      `/xapi/activities/profile?${new URLSearchParams({ activityId: 'https://example.com/a' })}`,
      `/xapi/agents/profile?${new URLSearchParams({ agent: JSON.stringify(agent) })}`,
      `/xapi/activities?${new URLSearchParams({ activityId: 'https://example.com/a' })}`,
      `/xapi/agents?${new URLSearchParams({ agent: JSON.stringify(agent) })}`,
    ];

    beforeAll(async () => {
      const q = new URLSearchParams(resources[0]!.query('head'));
      expect((await xapi(`/activities/state?${q}`, { method: 'PUT', type: 'application/json', body: '{"page":1}' })).status).toBe(204);
      await xapi('/statements', { method: 'POST', type: 'application/json', body: JSON.stringify({ actor: agent, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, object: { id: 'https://example.com/a' } }) });
    });

    it('answers POST ?method=HEAD (alternate syntax) with the headers of the GET and an empty body whose length it states', async () => {
      for (const path of paths()) {
        const [pathname, search] = path.split('?') as [string, string | undefined];
        const fields = Object.fromEntries(new URLSearchParams(search ?? ''));
        const head = await alternate(pathname.replace('/xapi', ''), 'HEAD', fields);
        const get = await alternate(pathname.replace('/xapi', ''), 'GET', fields);
        expect(head.status, path).toBe(200);
        expect(head.body, path).toBe('');
        expect(head.headers['content-length'], path).toBe('0');
        expect(head.headers['content-type'], path).toBe(get.headers['content-type']);
        expect(head.headers['x-experience-api-version'], path).toBe('1.0.3');
      }
      // An error is a HEAD answer too: its status, and no body.
      const missing = await alternate('/activities/state', 'HEAD', Object.fromEntries(new URLSearchParams(resources[0]!.query('missing'))));
      expect(missing.status).toBe(404);
      expect(missing.body).toBe('');
      expect(missing.headers['content-length']).toBe('0');
    });

    it('answers HEAD on every kind of route with the GET status and headers and no body', async () => {
      const head = (path: string, headers: Record<string, string> = {}) => raw(`${server.url}${path}`, { method: 'HEAD', headers });
      const auth = { authorization: server.admin.authorization, 'x-experience-api-version': '2.0.0' };
      for (const path of paths()) {
        const res = await head(path, auth);
        expect(res.status, path).toBe(200);
        expect(res.body, path).toBe('');
        expect(Number(res.headers['content-length']), path).toBeGreaterThan(0);
      }
      for (const [path, status] of [['/xapi/about', 200], ['/api/v1/openapi.json', 200], ['/admin', 200], ['/play', 200], ['/demo', 200], ['/static/xcredit-player.js', 200], ['/xapi/statements', 400], ['/no/such/page', 404]] as const) {
        const res = await head(path);
        expect(res.status, path).toBe(status);
        expect(res.body, path).toBe('');
        expect(res.headers['x-content-type-options'], path).toBe('nosniff');
      }
    });
  });
});

describe('configured frame ancestors and allowed origins', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ engine: 'pglite', env: { XCREDIT_FRAME_ANCESTORS: "'self' https://lms.example.edu https://*.moodle.example.org", XCREDIT_ALLOWED_ORIGINS: 'https://vendor.example, https://hr.example.com' } });
  });
  afterAll(() => server?.close());

  it('lets only the configured sites frame the embeddable pages; /admin still none', async () => {
    for (const path of ['/play', '/cmi5/au', '/lti/keys']) {
      expect(csp((await fetch(`${server.url}${path}`)).headers.get('content-security-policy')).get('frame-ancestors'), path).toEqual(["'self'", 'https://lms.example.edu', 'https://*.moodle.example.org']);
    }
    expect(csp((await fetch(`${server.url}/admin`)).headers.get('content-security-policy')).get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp((await fetch(`${server.url}/xapi/about`)).headers.get('content-security-policy')).get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('answers cross-origin calls from the listed origins only, on /xapi and the whole credits API', async () => {
    for (const path of ['/xapi/statements', '/api/v1/launches/current', '/api/v1/learners']) {
      for (const [origin, allowed] of [['https://vendor.example', true], ['https://hr.example.com', true], ['https://evil.example', false], ['https://vendor.example.evil.example', false]] as const) {
        const res = await fetch(`${server.url}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
        expect(res.headers.get('access-control-allow-origin'), `${path} ${origin}`).toBe(allowed ? origin : null);
        expect(res.headers.get('vary'), path).toMatch(/Origin/);
        expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      }
    }
  });
});
