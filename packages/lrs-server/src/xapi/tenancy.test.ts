import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClient, ensureTenant } from '../auth/clients.js';
import type { Scope } from '../auth/scopes.js';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('xAPI tenancy and scopes on %s', (engine) => {
  let server: TestServer;
  let other: string;
  const basic = (c: { key: string; secret: string }) => `Basic ${Buffer.from(`${c.key}:${c.secret}`).toString('base64')}`;
  const client = async (tenantId: string, scopes: Scope[]) => basic(await createClient(server.store.db, { tenantId, name: scopes.join('+'), scopes }));
  const xapi = (auth: string, path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${server.url}/xapi${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: auth, 'x-experience-api-version': '2.0.0', 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  const ana = { objectType: 'Agent', mbox: 'mailto:ana@example.com', name: 'Ana of tenant A' };
  const activityId = `https://example.com/shared/${randomUUID()}`;
  const stateQuery = `activityId=${encodeURIComponent(activityId)}&agent=${encodeURIComponent(JSON.stringify(ana))}`;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    await ensureTenant(server.store.db, { id: 'tenant-b', name: 'Tenant B', homePage: 'https://b.example' });
    other = await client('tenant-b', ['all']);
  });
  afterAll(() => server?.close());

  describe('a client of another tenant', () => {
    let id: string;
    beforeAll(async () => {
      id = randomUUID();
      const a = server.admin.authorization;
      const stored = await xapi(a, '/statements', { method: 'POST', body: { id, actor: ana, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, object: { id: activityId, definition: { name: { 'en-US': 'Secret course' } } } } });
      expect(stored.status).toBe(200);
      expect((await xapi(a, `/activities/state?${stateQuery}&stateId=s`, { method: 'PUT', body: { secret: true } })).status).toBe(204);
      expect((await xapi(a, `/activities/profile?activityId=${encodeURIComponent(activityId)}&profileId=p`, { method: 'POST', body: { secret: true } })).status).toBe(204);
    });

    it('cannot read its statements, whether by id, by query or by following a cursor', async () => {
      expect((await xapi(other, `/statements?statementId=${id}`)).status).toBe(404);
      const byAgent = await (await xapi(other, `/statements?agent=${encodeURIComponent(JSON.stringify(ana))}`)).json();
      expect(byAgent.statements).toEqual([]);
      const all = await (await xapi(other, `/statements?activity=${encodeURIComponent(activityId)}&related_activities=true`)).json();
      expect(all.statements).toEqual([]);
      expect((await (await xapi(other, '/statements?cursor=999999999')).json()).statements).toEqual([]);
    });

    it('cannot infer a statement id exists: the same id with other content is its own statement, not a 409', async () => {
      const mine = { id, actor: { mbox: 'mailto:b@b.example' }, verb: { id: 'http://adlnet.gov/expapi/verbs/failed' }, object: { id: 'https://b.example/x' } };
      expect((await xapi(other, '/statements', { method: 'POST', body: mine })).status).toBe(200);
      const voiding = { actor: { mbox: 'mailto:b@b.example' }, verb: { id: 'http://adlnet.gov/expapi/verbs/voided' }, object: { objectType: 'StatementRef', id } };
      expect((await xapi(other, '/statements', { method: 'POST', body: voiding })).status).toBe(200);
      const stillThere = await xapi(server.admin.authorization, `/statements?statementId=${id}`);
      expect(stillThere.status).toBe(200);
      expect((await stillThere.json()).verb.id).toBe('http://adlnet.gov/expapi/verbs/experienced');
    });

    it('sees none of its documents, activity definitions or agent names', async () => {
      expect((await xapi(other, `/activities/state?${stateQuery}&stateId=s`)).status).toBe(404);
      expect(await (await xapi(other, `/activities/state?${stateQuery}`)).json()).toEqual([]);
      expect((await xapi(other, `/activities/profile?activityId=${encodeURIComponent(activityId)}&profileId=p`)).status).toBe(404);
      expect(await (await xapi(other, `/activities?activityId=${encodeURIComponent(activityId)}`)).json()).toEqual({ objectType: 'Activity', id: activityId });
      const person = await (await xapi(other, `/agents?agent=${encodeURIComponent(JSON.stringify({ mbox: ana.mbox }))}`)).json();
      expect(person).toEqual({ objectType: 'Person', mbox: [ana.mbox] });
    });

    it('cannot delete or overwrite its documents', async () => {
      expect((await xapi(other, `/activities/state?${stateQuery}`, { method: 'DELETE' })).status).toBe(204);
      expect((await xapi(other, `/activities/state?${stateQuery}&stateId=s`, { method: 'POST', body: { mine: true } })).status).toBe(204);
      const theirs = await xapi(server.admin.authorization, `/activities/state?${stateQuery}&stateId=s`);
      expect(await theirs.json()).toEqual({ secret: true });
    });
  });

  describe('scopes', () => {
    const statement = () => ({ actor: { mbox: `mailto:${randomUUID()}@example.com` }, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, object: { id: 'https://example.com/x' } });
    const state = `/activities/state?${stateQuery}&stateId=scoped`;
    const profile = `/activities/profile?activityId=${encodeURIComponent(activityId)}&profileId=scoped`;
    const agentProfile = `/agents/profile?agent=${encodeURIComponent(JSON.stringify(ana))}&profileId=scoped`;
    const checks: [string, (auth: string) => Promise<Response>][] = [
      ['write statements', (auth) => xapi(auth, '/statements', { method: 'POST', body: statement() })],
      ['read statements', (auth) => xapi(auth, '/statements')],
      ['read state', (auth) => xapi(auth, `${state}-missing`)],
      ['write state', (auth) => xapi(auth, state, { method: 'POST', body: { x: 1 } })],
      ['read activity profiles', (auth) => xapi(auth, `${profile}-missing`)],
      ['write activity profiles', (auth) => xapi(auth, profile, { method: 'POST', body: { x: 1 } })],
      ['write agent profiles', (auth) => xapi(auth, agentProfile, { method: 'POST', body: { x: 1 } })],
      ['read activities', (auth) => xapi(auth, `/activities?activityId=${encodeURIComponent(activityId)}`)],
    ];
    const table: [Scope[], string[]][] = [
      [['all'], ['write statements', 'read statements', 'read state', 'write state', 'read activity profiles', 'write activity profiles', 'write agent profiles', 'read activities']],
      [['all/read'], ['read statements', 'read state', 'read activity profiles', 'read activities']],
      [['statements/write'], ['write statements']],
      [['statements/read'], ['read statements', 'read activities']],
      [['statements/read/mine'], ['read statements', 'read activities']],
      [['state'], ['read state', 'write state', 'read activities']],
      [['profile'], ['read activity profiles', 'write activity profiles', 'write agent profiles', 'read activities']],
      [['define'], ['read activities']],
      [['credits/read'], []],
    ];
    it.each(table)('a client with %j may do exactly %j; the rest is 403', async (scopes, allowed) => {
      const auth = await client('default', scopes);
      for (const [what, run] of checks) {
        const res = await run(auth);
        const ok = allowed.includes(what);
        expect({ what, status: res.status }).toEqual({ what, status: ok ? expect.any(Number) : 403 });
        if (ok) expect({ what, status: res.status }).not.toEqual({ what, status: 403 });
      }
    });

    it('statements/read/mine sees only the statements its own key wrote', async () => {
      const mine = await client('default', ['statements/write', 'statements/read/mine']);
      const [own] = await (await xapi(mine, '/statements', { method: 'POST', body: statement() })).json();
      const [foreign] = await (await xapi(server.admin.authorization, '/statements', { method: 'POST', body: statement() })).json();
      const seen = (await (await xapi(mine, '/statements?limit=500')).json()).statements.map((s: { id: string }) => s.id);
      expect(seen).toEqual([own]);
      expect((await xapi(mine, `/statements?statementId=${foreign}`)).status).toBe(404);
    });
  });
});
