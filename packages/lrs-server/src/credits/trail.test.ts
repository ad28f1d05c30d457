import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { explainedStatementsSchema } from '@xcredit/sdk/contracts';
import { Verbs, VideoExt } from '@xcredit/sdk/xapi';
import { createClient, startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('the statement browser on %s', (engine) => {
  let server: TestServer;
  const api = async (path: string, init: RequestInit & { json?: unknown; auth?: string } = {}) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      ...init,
      headers: { authorization: init.auth ?? server.admin.authorization, 'content-type': 'application/json', 'x-experience-api-version': '1.0.3' },
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });
    return { status: res.status, body: await res.json() };
  };
  const course = { title: 'Fire safety', activityId: 'https://example.com/courses/fire', credits: 2, kind: 'required', lengthSeconds: 60 };
  let launch: { launchToken: string; actor: object; registration: string; activityId: string };
  let sessionId: string;
  const post = (auth: string, statements: object[]) =>
    fetch(`${server.url}/xapi/statements`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json', 'x-experience-api-version': '1.0.3' }, body: JSON.stringify(statements) });
  const video = (verb: keyof typeof Verbs, time: number, extra: object = {}) => ({
    id: randomUUID(),
    actor: launch.actor,
    verb: { id: Verbs[verb] },
    object: { id: launch.activityId },
    context: { registration: launch.registration, extensions: { [VideoExt.sessionId]: sessionId } },
    result: { extensions: { [VideoExt.time]: time, ...extra } },
  });

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    expect((await api('/courses/fire', { method: 'PUT', json: course })).status).toBe(201);
    launch = (await api('/launches', { method: 'POST', json: { learnerId: 'E-1', courseId: 'fire' } })).body;
    sessionId = (await api('/launches/current/sessions', { method: 'POST', auth: `Bearer ${launch.launchToken}` })).body.sessionId;
    const bearer = `Bearer ${launch.launchToken}`;
    // An honest 20 s, then a forged jump: 40 s claimed in 1 s.
    expect((await post(bearer, [video('initialized', 0), video('played', 0)])).status).toBe(200);
    server.clock!.advance(20);
    expect((await post(bearer, [video('paused', 20, { [VideoExt.progress]: 0.33 })])).status).toBe(200);
    expect((await post(bearer, [video('played', 20)])).status).toBe(200);
    server.clock!.advance(1);
    expect((await post(bearer, [video('paused', 60)])).status).toBe(200);
    // A client key writes a "completed" for the same learner outside any launch, and voids nothing.
    const vendor = await createClient(server.store.db, { tenantId: 'default', name: 'vendor', scopes: ['statements/write'] });
    const basic = `Basic ${Buffer.from(`${vendor.key}:${vendor.secret}`).toString('base64')}`;
    server.clock!.advance(1);
    const outside = { actor: launch.actor, verb: { id: Verbs.completed }, object: { id: launch.activityId } };
    expect((await post(basic, [outside])).status).toBe(200);
  });
  afterAll(() => server?.close());

  it('lists statements newest first with their receipt time and what the engine made of each', async () => {
    const res = await api('/statements/explained?learnerId=E-1');
    expect(res.status).toBe(200);
    const page = explainedStatementsSchema.parse(res.body);
    expect(page.statements.map((s) => [s.verb, s.verdict])).toEqual([
      ['completed', 'outside_launch'],
      ['paused', 'capped'],
      ['played', 'counted'],
      ['paused', 'counted'],
      ['played', 'counted'],
      ['initialized', 'counted'],
    ]);
    const [outside, capped, , honest] = page.statements;
    expect(outside!.explanation).toMatch(/outside a launch; stored, never counted/);
    expect(outside!.source).toMatch(/^client /);
    expect(capped!.explanation).toMatch(/^closed playing 0:20–1:00: 40 s claimed, \d+ s verified in 1 s on the server's clock/);
    expect(honest!.explanation).toBe('closed playing 0:00–0:20: 20 s verified as watched');
    expect(honest).toMatchObject({ learnerId: 'E-1', courseId: 'fire', source: 'launch', sessionId, media: { time: 20 } });
    expect(Date.parse(honest!.stored)).toBeLessThan(Date.parse(capped!.stored));
    expect(page.nextCursor).toBeNull();
  });

  it('filters by verb, course and receipt time, and pages with a cursor', async () => {
    const paused = (await api('/statements/explained?verb=paused&courseId=fire')).body;
    expect(paused.statements.map((s: { verb: string }) => s.verb)).toEqual(['paused', 'paused']);
    const byIri = (await api(`/statements/explained?verb=${encodeURIComponent(Verbs.paused)}`)).body;
    expect(byIri.statements).toHaveLength(2);
    const first = (await api('/statements/explained?learnerId=E-1&limit=4')).body;
    expect(first.statements).toHaveLength(4);
    expect(first.nextCursor).toMatch(/^\d+$/);
    const second = (await api(`/statements/explained?learnerId=E-1&limit=4&cursor=${first.nextCursor}`)).body;
    expect(second.statements.map((s: { verb: string }) => s.verb)).toEqual(['played', 'initialized']);
    expect(second.nextCursor).toBeNull();
    const start = first.statements[3].stored;
    const since = (await api(`/statements/explained?learnerId=E-1&since=${encodeURIComponent(start)}`)).body;
    expect(since.statements.every((s: { stored: string }) => s.stored >= start)).toBe(true);
    expect(since.statements.length).toBeLessThan(6);
    const until = (await api(`/statements/explained?learnerId=E-1&until=${encodeURIComponent(start)}`)).body;
    expect(until.statements.length + since.statements.length).toBe(6);
    expect((await api('/statements/explained?learnerId=nobody')).body.statements).toEqual([]);
  });

  it('refuses bad filters with a 400 naming the field, and callers without credits/read', async () => {
    const cases: [string, string][] = [
      ['verb=jumped', 'verb'],
      ['since=yesterday', 'since'],
      ['until=2026-13-01', 'until'],
      ['since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z', 'until'],
      ['until=0001-01-01T00:00:00%2B01:00', 'until'],
      ['since=9999-12-31T23:30:00-01:00', 'since'],
      ['limit=0', 'limit'],
      ['limit=ten', 'limit'],
      ['cursor=abc', 'cursor'],
      ['cursor=9223372036854775808', 'cursor'],
      ['courseId=nope', 'courseId'],
      ['learnerId=%20bad', 'learnerId'],
      ['learner=E-1', 'learner'],
    ];
    for (const [query, field] of cases) {
      const res = await api(`/statements/explained?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.message, query).toContain(field);
    }
    const writer = await createClient(server.store.db, { tenantId: 'default', name: 'writer', scopes: ['statements/write'] });
    const denied = await api('/statements/explained', { auth: `Basic ${Buffer.from(`${writer.key}:${writer.secret}`).toString('base64')}` });
    expect(denied.status).toBe(403);
    expect((await api('/statements/explained', { auth: `Bearer ${launch.launchToken}` })).status).toBe(403);
  });
});
