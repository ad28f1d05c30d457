import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { errorBodySchema, launchSchema, parsePlayerLaunch, playerLaunchSchema } from '@xcredit/sdk/contracts';
import { Verbs, VideoExt } from '@xcredit/sdk/xapi';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('credits API on %s', (engine) => {
  let server: TestServer;
  const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    fetch(`${server.url}/api/v1${path}`, {
      ...init,
      headers: { authorization: server.admin.authorization, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
      body: init.json === undefined ? init.body : JSON.stringify(init.json),
    });
  const course = { title: 'Fire safety', activityId: 'https://example.com/courses/fire', credits: 3, kind: 'required', lengthSeconds: 120 };

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    expect((await api('/courses/fire', { method: 'PUT', json: course })).status).toBe(201);
  });
  afterAll(() => server?.close());

  it('creates, replaces and reads a course', async () => {
    const replaced = await api('/courses/fire', { method: 'PUT', json: { ...course, title: 'Fire safety 2' } });
    expect(replaced.status).toBe(200);
    const got = await (await api('/courses/fire')).json();
    expect(got).toMatchObject({ courseId: 'fire', title: 'Fire safety 2', credits: 3, kind: 'required', lengthSeconds: 120 });
    expect(got.policy).toMatchObject({ maxRate: 2, gates: { coverage: 0.8 } });
    await api('/courses/fire', { method: 'PUT', json: course });
  });

  it.each([
    ['negative credits', { ...course, credits: -1 }, 'credits'],
    ['a missing title', { ...course, title: undefined }, 'title'],
    ['a wrong kind', { ...course, kind: 'optional' }, 'kind'],
    ['a string length', { ...course, lengthSeconds: '120' }, 'lengthSeconds'],
    ['an activity id that is not an IRI', { ...course, activityId: 'fire' }, 'activityId'],
    ['an unknown field', { ...course, colour: 'red' }, 'colour'],
    ['a malformed policy', { ...course, policy: { maxRate: 100 } }, 'policy.maxRate'],
  ])('rejects a course with %s, naming the field, and changes nothing', async (_name, input, field) => {
    const res = await api('/courses/other', { method: 'PUT', json: input });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.message).toContain(field);
    expect((await api('/courses/other')).status).toBe(404);
  });

  it('rejects malformed JSON and a non-JSON body with 400', async () => {
    const bad = await api('/courses/x', { method: 'PUT', body: '{"title": ' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/malformed JSON/);
    const text = await api('/courses/x', { method: 'PUT', body: 'title=x', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(400);
    expect((await text.json()).error.message).toMatch(/Content-Type must be application\/json/);
  });

  it('refuses an activity id that another course owns', async () => {
    const res = await api('/courses/copy', { method: 'PUT', json: course });
    expect(res.status).toBe(409);
    expect((await res.json()).error.message).toContain('"fire"');
  });

  it('creates a launch with a token, registration, actor and player URL', async () => {
    const res = await api('/launches', { method: 'POST', json: { learnerId: 'E-1001', courseId: 'fire' } });
    expect(res.status).toBe(201);
    const launch = await res.json();
    expect(launch.launchToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(launch.registration).toMatch(/^[0-9a-f-]{36}$/);
    expect(launch.actor).toEqual({ objectType: 'Agent', account: { homePage: 'https://xcredit.dev/tenants/default', name: 'E-1001' } });
    expect(launch.activityId).toBe(course.activityId);
    expect(launch.playerUrl).toBe(`${server.url}/play#token=${launch.launchToken}`);
    expect(Date.parse(launch.expiresAt)).toBeGreaterThan(Date.now());
  });

  it.each([
    ['an unknown course', { learnerId: 'E-1', courseId: 'nope' }, 404, 'nope'],
    ['a missing learnerId', { courseId: 'fire' }, 400, 'learnerId'],
    ['a learnerId of the wrong type', { learnerId: 7, courseId: 'fire' }, 400, 'learnerId'],
    ['a learnerId with spaces', { learnerId: 'a b', courseId: 'fire' }, 400, 'learnerId'],
  ])('rejects a launch for %s', async (_name, input, status, field) => {
    const res = await api('/launches', { method: 'POST', json: input });
    expect(res.status).toBe(status);
    expect((await res.json()).error.message).toContain(field);
  });

  it('needs credentials with the right scope', async () => {
    expect((await fetch(`${server.url}/api/v1/courses/fire`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/api/v1/courses/fire`, { headers: { authorization: `Basic ${Buffer.from(`${server.admin.key}:nope`).toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const { createClient } = await import('../auth/clients.js');
    const reader = await createClient(server.store.db, { tenantId: 'default', name: 'reader', scopes: ['credits/read'] });
    const auth = `Basic ${Buffer.from(`${reader.key}:${reader.secret}`).toString('base64')}`;
    expect((await fetch(`${server.url}/api/v1/courses/fire`, { headers: { authorization: auth } })).status).toBe(200);
    const put = await fetch(`${server.url}/api/v1/courses/fire`, { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(course) });
    expect(put.status).toBe(403);
    expect((await put.json()).error.message).toContain('credits/admin');
  });

  it('reports credits for a learner, 404 for an unknown one and 400 for a bad period', async () => {
    await api('/launches', { method: 'POST', json: { learnerId: 'E-2002', courseId: 'fire' } });
    const year = String(new Date().getUTCFullYear());
    const res = await api(`/learners/E-2002/credits?period=${year}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ learnerId: 'E-2002', period: year, earned: 0, courses: [{ courseId: 'fire', credits: 3, earned: 0, coverage: 0, attention: 0, mastery: 1 }] });
    expect((await api('/learners/ghost/credits')).status).toBe(404);
    const bad = await api('/learners/E-2002/credits?period=last-year');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain('period');
  });

  it('counts only what receipt times vouch for: a forged full viewing posted at once earns nothing', async () => {
    const launch = await (await api('/launches', { method: 'POST', json: { learnerId: 'E-3003', courseId: 'fire' } })).json();
    const issued = await fetch(`${server.url}/api/v1/launches/current/sessions`, { method: 'POST', headers: { authorization: `Bearer ${launch.launchToken}` } });
    const sid = (await issued.json()).sessionId;
    const st = (verb: string, time: number) => ({
      actor: launch.actor,
      verb: { id: verb },
      object: { id: launch.activityId },
      context: { registration: launch.registration, extensions: { [VideoExt.sessionId]: sid, [VideoExt.length]: 120 } },
      result: { extensions: { [VideoExt.time]: time, [VideoExt.progress]: 1, [VideoExt.playedSegments]: '0[.]120' } },
    });
    const post = await fetch(`${server.url}/xapi/statements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${launch.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
      body: JSON.stringify([st(Verbs.initialized, 0), st(Verbs.played, 0), st(Verbs.completed, 120), st(Verbs.terminated, 120)]),
    });
    expect(post.status).toBe(200);
    const credits = await (await api('/learners/E-3003/credits')).json();
    expect(credits.courses[0].earned).toBe(0);
    expect(credits.courses[0].coverage).toBeLessThanOrEqual(0.03);
  });

  it('lets the player read its launch and its own credits with the token, and nothing else', async () => {
    const launch = await (await api('/launches', { method: 'POST', json: { learnerId: 'E-4004', courseId: 'fire' } })).json();
    const bearer = { authorization: `Bearer ${launch.launchToken}` };
    const current = await (await fetch(`${server.url}/api/v1/launches/current`, { headers: bearer })).json();
    expect(current).toMatchObject({ learnerId: 'E-4004', courseId: 'fire', registration: launch.registration, activityId: course.activityId, course: { lengthSeconds: 120 } });
    expect(current.policy.maxRate).toBe(2);
    // Both checks of the launch contract accept what the server answers.
    expect(launchSchema.safeParse(launch).success).toBe(true);
    expect(playerLaunchSchema.safeParse(current).success).toBe(true);
    expect(parsePlayerLaunch(current).course.lengthSeconds).toBe(120);
    const mine = await (await fetch(`${server.url}/api/v1/launches/current/credits`, { headers: bearer })).json();
    expect(mine).toMatchObject({ courseId: 'fire', learnerId: 'E-4004', earned: 0 });
    expect((await fetch(`${server.url}/api/v1/learners/E-4004/credits`, { headers: bearer })).status).toBe(403);
    const forged = await fetch(`${server.url}/api/v1/launches/current`, { headers: { authorization: 'Bearer forged' } });
    expect(forged.status).toBe(401);
    expect(errorBodySchema.safeParse(await forged.json()).success).toBe(true);
  });
});
