import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminFetch, FIRE_COURSE, startServerWithCourses, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('launches API on %s', (engine) => {
  let server: TestServer;
  const api = adminFetch(() => server);
  const course = FIRE_COURSE;

  beforeAll(async () => {
    server = await startServerWithCourses({ engine, postgresUrl: inject('postgresUrl') ?? undefined, courses: { fire: course } });
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

describe.each(engines)("expiry by the server's clock on %s", (engine) => {
  let server: TestServer;
  const api = adminFetch(() => server);

  beforeAll(async () => {
    server = await startServerWithCourses({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true, courses: { fire: FIRE_COURSE } });
  });
  afterAll(() => server?.close());

  it('ends a launch token when the server clock passes its expiry, whatever the machine time', async () => {
    const launch = await (await api('/launches', { method: 'POST', json: { learnerId: 'E-5005', courseId: 'fire', ttlSeconds: 60 } })).json();
    const current = () => fetch(`${server.url}/api/v1/launches/current`, { headers: { authorization: `Bearer ${launch.launchToken}` } });
    expect(Date.parse(launch.expiresAt)).toBe(server.clock!().getTime() + 60_000);
    server.clock!.advance(59);
    expect((await current()).status).toBe(200);
    server.clock!.advance(1);
    const expired = await current();
    expect(expired.status).toBe(401);
    expect((await expired.json()).error.message).toContain(`launch token expired at ${launch.expiresAt}`);
  });

  it("ends a dashboard session when the server clock passes its 8 hours", async () => {
    const signIn = await fetch(`${server.url}/admin/session`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: new URLSearchParams({ key: server.admin.key, secret: server.admin.secret }),
    });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const catalog = () => fetch(`${server.url}/admin/api/catalog`, { headers: { cookie } });
    server.clock!.advance(8 * 3600 - 1);
    expect((await catalog()).status).toBe(200);
    server.clock!.advance(1);
    const ended = await catalog();
    expect(ended.status).toBe(401);
    expect((await ended.json()).error.message).toContain('session expired');
  });
});
