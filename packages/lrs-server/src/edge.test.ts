import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_TENANT } from './auth/clients.js';
import { badText, findBadText } from './edge.js';
import { startTestServer, type Engine, type TestServer } from './testing.js';

describe('badText', () => {
  it.each([
    ['a\u0000b', /NUL/],
    ['\ud800', /unpaired surrogate/],
    ['x\udc00', /unpaired surrogate/],
    ['\udc00\ud800', /unpaired surrogate/],
  ])('refuses %j', (text, message) => expect(badText(text)).toMatch(message));

  it.each(['', 'plain', '学分', '🎉 paired surrogates', '\u00ff\ufffd'])('accepts %j', (text) => expect(badText(text)).toBeUndefined());

  it('finds the path of the first bad string or key in a parsed body', () => {
    expect(findBadText({ a: [1, { b: 'ok', c: 'x\u0000' }] }, 'body')).toEqual({ path: 'body.a[1].c', message: expect.stringMatching(/NUL/) });
    expect(findBadText({ 'k\u0000': 1 }, 'body')?.path).toBe('body key "k\\u0000"');
    expect(findBadText({ a: ['fine'] }, 'body')).toBeUndefined();
  });
});

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('bad input at the edge on %s', (engine) => {
  let server: TestServer;
  const actor = { objectType: 'Agent', account: { homePage: DEFAULT_TENANT.homePage, name: 'edge-learner' } };
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { authorization: server.admin.authorization, 'x-experience-api-version': '1.0.3', ...(init.headers as Record<string, string>) } });
  const refused = async (res: Response, status: number, names: RegExp) => {
    const body = (await res.json()) as { error: { message: string } };
    expect({ status: res.status, message: body.error.message }).toEqual({ status, message: expect.stringMatching(names) });
  };

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
  });
  afterAll(() => server?.close());

  it('refuses a NUL in a query parameter, a path id, a JSON body, a CSV body and a cookie, naming where', async () => {
    await refused(await call('/api/v1/learners?department=a%00b'), 400, /query parameter department must not contain a NUL/);
    await refused(await call('/xapi/activities/state?activityId=http%3A%2F%2Fx%2Fa&agent=' + encodeURIComponent(JSON.stringify(actor)) + '&stateId=a%00'), 400, /query parameter stateId/);
    await refused(await call('/api/v1/learners/a%00b'), 400, /path must not contain a NUL/);
    await refused(await call('/api/v1/awards', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ learnerId: 'l1', source: 'growth', title: 'x', credits: 1, period: '2026', evidence: { note: 'a\u0000' } }) }), 400, /body\.evidence\.note must not contain a NUL/);
    await refused(await call('/api/v1/learners/import', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'learnerId,displayName\nl1,A\u0000\n' }), 400, /body must not contain a NUL/);
    await refused(await call('/api/v1/learners', { headers: { cookie: 'xcredit_admin=%00' } }), 400, /cookie xcredit_admin must not contain a NUL/);
    const statement = { actor: { ...actor, name: 'x\u0000' }, verb: { id: 'http://example.com/v' }, object: { id: 'http://example.com/a' } };
    await refused(await call('/xapi/statements', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(statement) }), 400, /statement\.actor\.name: text must not contain the NUL/);
    const agent = encodeURIComponent(JSON.stringify({ mbox: 'mailto:a\u0000@b.c' }));
    await refused(await call(`/xapi/statements?agent=${agent}`), 400, /agent\.mbox must not contain a NUL/);
  });

  it('refuses lone surrogates, malformed percent-encodings and repeated parameters', async () => {
    await refused(await call('/api/v1/awards', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"learnerId":"l1","source":"growth","title":"\\ud800","credits":1,"period":"2026"}' }), 400, /body\.title must be valid Unicode/);
    await refused(await call('/api/v1/learners?department=%ED%A0%80'), 400, /query parameter department has a malformed percent-encoding/);
    await refused(await call('/api/v1/awards?period=2026&period=2027'), 400, /query parameter period is given more than once/);
    // A Basic key that decodes to a NUL is malformed credentials, not a database error.
    const res = await fetch(`${server.url}/api/v1/policy`, { headers: { authorization: `Basic ${Buffer.from('k\u0000ey:secret').toString('base64')}` } });
    await refused(res, 401, /malformed Basic credentials/);
  });

  it('refuses a cursor past the bigint it indexes, UUID look-alikes and dates the database cannot hold', async () => {
    await refused(await call('/xapi/statements?cursor=9223372036854775808'), 400, /cursor is malformed/);
    expect((await call('/xapi/statements?cursor=9223372036854775807')).status).toBe(200);
    await refused(await call('/api/v1/awards/------------------------------------'), 400, /awardId .* must be an award id \(UUID\)/);
    await refused(await call('/api/v1/awards/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz/approve', { method: 'POST' }), 400, /awardId/);
    for (const since of ['0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '+275760-09-13T00:00:00.000Z']) {
      await refused(await call(`/xapi/statements?since=${encodeURIComponent(since)}`), 400, /since must be an ISO 8601 timestamp .* years 0001 to 9999/);
    }
    expect((await call(`/xapi/statements?since=${encodeURIComponent('0001-01-01T00:00:00Z')}`)).status).toBe(200);
    await refused(await call('/api/v1/learners/l1/ledger?period=9999'), 400, /period "9999" must be a year from 1000 to 9998/);
    await refused(await call('/api/v1/reports/summary?period=0000'), 400, /period/);
  });

  it('treats a malformed dashboard cookie as no session', async () => {
    const res = await fetch(`${server.url}/admin/api/catalog`, { headers: { cookie: 'xcredit_admin=%E0%A4%A' } });
    await refused(res, 401, /not signed in/);
    expect((await fetch(`${server.url}/admin`, { headers: { cookie: 'xcredit_admin=%' } })).status).toBe(200);
  });

  it('answers an unexpected failure with a generic 500 naming the request id, and logs the cause', async () => {
    // A real database failure: the table the route reads is gone.
    await sql`alter table webhooks rename to webhooks_gone`.execute(server.store.db);
    try {
      const res = await call('/api/v1/webhooks', { headers: { 'x-request-id': 'proxy-id-12345' } });
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(res.headers.get('x-request-id')).toBe('proxy-id-12345');
      expect(JSON.parse(text)).toEqual({ error: { status: 500, code: 'internal', message: expect.stringContaining('request proxy-id-12345'), requestId: 'proxy-id-12345' } });
      expect(text).not.toMatch(/webhooks|relation|select|postgres|pglite|\.js:\d+/i);
    } finally {
      await sql`alter table webhooks_gone rename to webhooks`.execute(server.store.db);
    }
    // Every answer names its request; an id a proxy sends is kept only when it is sane.
    expect((await call('/xapi/about', { headers: { 'x-request-id': 'bad id with spaces' } })).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('names the request in every error body, as in X-Request-Id', async () => {
    const given = await call('/api/v1/learners/nobody-here', { headers: { 'x-request-id': 'proxy-id-67890' } });
    expect(given.status).toBe(404);
    expect(((await given.json()) as { error: { requestId: string } }).error.requestId).toBe('proxy-id-67890');
    const own = await call('/api/v1/no-such-route');
    expect(own.status).toBe(404);
    expect(((await own.json()) as { error: { requestId: string } }).error.requestId).toBe(own.headers.get('x-request-id'));
  });
});
