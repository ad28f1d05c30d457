import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Verbs, VideoExt } from '@xcredit/sdk/xapi';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('xAPI statements on %s', (engine) => {
  let server: TestServer;
  let launch: { launchToken: string; registration: string; actor: object; activityId: string };

  const xapi = (path: string, init: { method?: string; body?: unknown; raw?: string; version?: string | null; auth?: string; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { authorization: init.auth ?? server.admin.authorization, 'content-type': 'application/json', ...init.headers };
    if (init.version !== null) headers['x-experience-api-version'] = init.version ?? '2.0.0';
    return fetch(`${server.url}/xapi${path}`, { method: init.method ?? 'GET', headers, body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)) });
  };
  const statement = (over: Record<string, unknown> = {}) => ({
    actor: { mbox: 'mailto:ana@example.com', name: 'Ana' },
    verb: { id: 'http://adlnet.gov/expapi/verbs/experienced', display: { 'en-US': 'experienced' } },
    object: { id: 'https://example.com/activities/intro', definition: { name: { 'en-US': 'Intro' } } },
    ...over,
  });
  const count = async (query = '') => (await (await xapi(`/statements?limit=500${query}`)).json()).statements.length as number;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    const admin = { authorization: server.admin.authorization, 'content-type': 'application/json' };
    await fetch(`${server.url}/api/v1/courses/video`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ title: 'Video', activityId: 'https://example.com/courses/video', credits: 1, kind: 'elective', lengthSeconds: 60 }),
    });
    launch = await (await fetch(`${server.url}/api/v1/launches`, { method: 'POST', headers: admin, body: JSON.stringify({ learnerId: 'L-1', courseId: 'video' }) })).json();
  });
  afterAll(() => server?.close());

  it('answers /about without credentials, listing both versions', async () => {
    const res = await fetch(`${server.url}/xapi/about`);
    expect(res.status).toBe(200);
    expect((await res.json()).version).toEqual(['2.0.0', '1.0.3']);
  });

  it.each([null, '0.95', '3.0.0'])('rejects X-Experience-API-Version %s with 400', async (version) => {
    const res = await xapi('/statements', { version });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/X-Experience-API-Version/);
  });

  it.each(['1.0.3', '2.0.0'])('stores and returns a statement under version %s, with stored set by the server', async (version) => {
    const id = randomUUID();
    const res = await xapi('/statements', { method: 'POST', version, body: statement({ id, stored: '2001-01-01T00:00:00Z' }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-experience-api-version')).toBe(version);
    expect(await res.json()).toEqual([id]);
    const got = await xapi(`/statements?statementId=${id}`, { version });
    expect(got.status).toBe(200);
    const body = await got.json();
    expect(body).toMatchObject({ id, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, version: version === '2.0.0' ? '2.0.0' : '1.0.0' });
    expect(Date.now() - Date.parse(body.stored)).toBeLessThan(60_000);
    expect(body.authority.account.name).toBe(server.admin.key);
  });

  it('accepts the same statement twice and rejects a reused id with different content (409)', async () => {
    const id = randomUUID();
    expect((await xapi('/statements', { method: 'POST', body: [statement({ id })] })).status).toBe(200);
    expect((await xapi('/statements', { method: 'POST', body: [statement({ id })] })).status).toBe(200);
    const clash = await xapi('/statements', { method: 'POST', body: [statement({ id, verb: { id: 'http://adlnet.gov/expapi/verbs/failed' } })] });
    expect(clash.status).toBe(409);
    expect((await clash.json()).error.message).toContain(id);
    const kept = await (await xapi(`/statements?statementId=${id}`)).json();
    expect(kept.verb.id).toBe('http://adlnet.gov/expapi/verbs/experienced');
  });

  it('refuses text the database cannot store (NUL, half a surrogate pair) with 400 naming the field, and keeps emoji and escaped backslashes', async () => {
    const before = await count();
    const nul = await xapi('/statements', { method: 'POST', raw: JSON.stringify([statement(), statement({ result: { response: 'a\u0000b' } })]) });
    expect(nul.status).toBe(400);
    expect((await nul.json()).error.message).toContain('statements[1].result.response');
    const lone = await xapi('/statements', { method: 'POST', raw: `{"actor":{"mbox":"mailto:ana@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"https://example.com/activities/intro"},"result":{"extensions":{"https://example.com/ext":{"k\\ud800":1}}}}` });
    expect(lone.status).toBe(400);
    expect((await lone.json()).error.message).toContain('statement.result.extensions.https://example.com/ext');
    expect(await count()).toBe(before);
    const id = randomUUID();
    const fine = await xapi('/statements', { method: 'POST', body: statement({ id, result: { response: 'ok 😀 and a literal \\u0000' } }) });
    expect(fine.status).toBe(200);
    expect((await (await xapi(`/statements?statementId=${id}`)).json()).result.response).toBe('ok 😀 and a literal \\u0000');
  });

  it('stores a batch all or nothing: one invalid statement rejects the batch and names it', async () => {
    const before = await count();
    const res = await xapi('/statements', { method: 'POST', body: [statement(), statement({ verb: { id: 'not an iri' } }), statement()] });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain('statements[1].verb.id');
    expect(await count()).toBe(before);
  });

  it('stores a batch all or nothing: a conflict in the middle stores none of it', async () => {
    const id = randomUUID();
    await xapi('/statements', { method: 'POST', body: statement({ id }) });
    const before = await count();
    const fresh = randomUUID();
    const res = await xapi('/statements', { method: 'POST', body: [statement({ id: fresh }), statement({ id, result: { success: true } })] });
    expect(res.status).toBe(409);
    expect(await count()).toBe(before);
    expect((await xapi(`/statements?statementId=${fresh}`)).status).toBe(404);
  });

  it.each([
    ['malformed JSON', '[{"actor":', /malformed JSON/],
    ['a missing actor', JSON.stringify({ verb: { id: 'http://a.example/v' }, object: { id: 'http://a.example/o' } }), /statement\.actor: is required/],
    ['an agent with two identifiers', JSON.stringify(statement({ actor: { mbox: 'mailto:a@b.example', openid: 'http://a.example/me' } })), /statement\.actor/],
    ['an unknown property', JSON.stringify(statement({ colour: 'red' })), /unknown property "colour"/],
    ['a bad timestamp', JSON.stringify(statement({ timestamp: 'yesterday' })), /statement\.timestamp/],
    ['a score out of range', JSON.stringify(statement({ result: { score: { scaled: 2 } } })), /statement\.result\.score\.scaled/],
    ['an empty batch', '[]', /empty/],
  ])('rejects %s with 400 naming the problem', async (_name, raw, message) => {
    const res = await xapi('/statements', { method: 'POST', raw });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(message);
  });

  it('rejects a batch of more than 1000 statements with 413, storing none of it', async () => {
    const before = await count();
    const res = await xapi('/statements', { method: 'POST', body: Array.from({ length: 1001 }, () => statement()) });
    expect(res.status).toBe(413);
    expect((await res.json()).error.message).toMatch(/1000/);
    expect(await count()).toBe(before);
  });

  it('rejects a body over the size limit with 413', async () => {
    const res = await xapi('/statements', { method: 'POST', raw: JSON.stringify([statement({ result: { response: 'x'.repeat(1_200_000) } })]) });
    expect(res.status).toBe(413);
  });

  it('PUTs a statement by id, rejecting a mismatched id', async () => {
    const id = randomUUID();
    expect((await xapi(`/statements?statementId=${id}`, { method: 'PUT', body: statement() })).status).toBe(204);
    expect((await xapi(`/statements?statementId=${id}`)).status).toBe(200);
    const mismatch = await xapi(`/statements?statementId=${randomUUID()}`, { method: 'PUT', body: statement({ id }) });
    expect(mismatch.status).toBe(400);
    expect((await xapi('/statements', { method: 'PUT', body: statement() })).status).toBe(400);
  });

  it('voids a statement: it disappears from queries and is found by voidedStatementId', async () => {
    const id = randomUUID();
    await xapi('/statements', { method: 'POST', body: statement({ id }) });
    const voiding = statement({ verb: { id: Verbs.voided }, object: { objectType: 'StatementRef', id } });
    expect((await xapi('/statements', { method: 'POST', body: voiding })).status).toBe(200);
    expect((await xapi(`/statements?statementId=${id}`)).status).toBe(404);
    expect((await xapi(`/statements?voidedStatementId=${id}`)).status).toBe(200);
  });

  it('queries by agent, verb and activity and pages with more', async () => {
    const actor = { mbox: `mailto:${randomUUID()}@example.com` };
    await xapi('/statements', { method: 'POST', body: Array.from({ length: 5 }, (_, i) => statement({ actor, result: { response: String(i) } })) });
    const agent = encodeURIComponent(JSON.stringify(actor));
    const first = await (await xapi(`/statements?agent=${agent}&limit=2&ascending=true`)).json();
    expect(first.statements.map((s: { result: { response: string } }) => s.result.response)).toEqual(['0', '1']);
    expect(first.more).toMatch(/^\/xapi\/statements\?/);
    const second = await (await xapi(first.more.replace(/^\/xapi/, ''))).json();
    expect(second.statements.map((s: { result: { response: string } }) => s.result.response)).toEqual(['2', '3']);
    expect((await xapi(`/statements?agent=${agent}&verb=${encodeURIComponent('http://adlnet.gov/expapi/verbs/failed')}`).then((r) => r.json())).statements).toEqual([]);
    expect((await xapi('/statements?agent=notjson')).status).toBe(400);
    expect((await xapi('/statements?colour=red')).status).toBe(400);
  });

  describe('with a launch token', () => {
    const videoStatement = (over: Record<string, unknown> = {}) => ({
      actor: launch.actor,
      verb: { id: Verbs.played },
      object: { id: launch.activityId },
      context: { registration: launch.registration },
      result: { extensions: { [VideoExt.time]: 0 } },
      ...over,
    });
    const asPlayer = (body: unknown, token = launch.launchToken) => xapi('/statements', { method: 'POST', version: '1.0.3', auth: `Bearer ${token}`, body });

    it('writes statements for its own learner, registration and course', async () => {
      const res = await asPlayer([videoStatement()]);
      expect(res.status).toBe(200);
      const [id] = await res.json();
      const stored = await (await xapi(`/statements?statementId=${id}`)).json();
      expect(stored.authority.account.name).toBe(`launch/${launch.registration}`);
    });

    it.each([
      ['another learner', () => videoStatement({ actor: { objectType: 'Agent', account: { homePage: 'https://xcredit.dev/tenants/default', name: 'L-2' } } }), 'actor'],
      ['another registration', () => videoStatement({ context: { registration: randomUUID() } }), 'registration'],
      ['no registration', () => videoStatement({ context: {} }), 'registration'],
      ['another course', () => videoStatement({ object: { id: 'https://example.com/courses/other' } }), 'object.id'],
      ['a voiding statement', () => videoStatement({ verb: { id: Verbs.voided }, object: { objectType: 'StatementRef', id: randomUUID() } }), 'voided'],
    ])('is refused (403) for %s, and stores nothing of the batch', async (_name, make, field) => {
      const before = await count();
      const res = await asPlayer([videoStatement(), make()]);
      expect(res.status).toBe(403);
      const message = (await res.json()).error.message;
      expect(message).toContain('statements[1]');
      expect(message.toLowerCase()).toContain(field === 'voided' ? 'void' : field);
      expect(await count()).toBe(before);
    });

    it('is refused when unknown or expired, and cannot read statements', async () => {
      const unknown = await asPlayer([videoStatement()], 'not-a-token');
      expect(unknown.status).toBe(401);
      expect((await unknown.json()).error.message).toMatch(/unknown launch token/);
      const read = await xapi('/statements', { auth: `Bearer ${launch.launchToken}` });
      expect(read.status).toBe(403);
      await server.store.db.updateTable('launches').set({ expires_at: new Date(Date.now() - 1000) }).where('registration', '=', launch.registration).execute();
      const expired = await asPlayer([videoStatement()]);
      expect(expired.status).toBe(401);
      expect((await expired.json()).error.message).toMatch(/expired/);
    });
  });

  it('keeps clients without the write scope from writing, and read/mine to their own statements', async () => {
    const { createClient } = await import('../auth/clients.js');
    const mine = await createClient(server.store.db, { tenantId: 'default', name: 'mine', scopes: ['statements/write', 'statements/read/mine'] });
    const reader = await createClient(server.store.db, { tenantId: 'default', name: 'reader', scopes: ['statements/read'] });
    const basic = (c: { key: string; secret: string }) => `Basic ${Buffer.from(`${c.key}:${c.secret}`).toString('base64')}`;
    const denied = await xapi('/statements', { method: 'POST', auth: basic(reader), body: statement() });
    expect(denied.status).toBe(403);
    expect((await denied.json()).error.message).toContain('statements/write');
    const [own] = await (await xapi('/statements', { method: 'POST', auth: basic(mine), body: statement() })).json();
    const seen = await (await xapi('/statements?limit=500', { auth: basic(mine) })).json();
    expect(seen.statements.map((s: { id: string }) => s.id)).toEqual([own]);
  });
});
