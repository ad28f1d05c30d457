import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('launches API on %s', (engine) => {
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

  it('lets the player read its launch and its own credits with the token, and nothing else', async () => {
    const launch = await (await api('/launches', { method: 'POST', json: { learnerId: 'E-4004', courseId: 'fire' } })).json();
    const bearer = { authorization: `Bearer ${launch.launchToken}` };
    const current = await (await fetch(`${server.url}/api/v1/launches/current`, { headers: bearer })).json();
    expect(current).toMatchObject({ learnerId: 'E-4004', courseId: 'fire', registration: launch.registration, activityId: course.activityId, course: { lengthSeconds: 120 } });
    expect(current.policy.maxRate).toBe(2);
    const mine = await (await fetch(`${server.url}/api/v1/launches/current/credits`, { headers: bearer })).json();
    expect(mine).toMatchObject({ courseId: 'fire', learnerId: 'E-4004', earned: 0 });
    expect((await fetch(`${server.url}/api/v1/learners/E-4004/credits`, { headers: bearer })).status).toBe(403);
    expect((await fetch(`${server.url}/api/v1/launches/current`, { headers: { authorization: 'Bearer forged' } })).status).toBe(401);
  });
});
