import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminFetch, FIRE_COURSE, startServerWithCourses, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('catalog API on %s', (engine) => {
  let server: TestServer;
  const api = adminFetch(() => server);
  const course = FIRE_COURSE;

  beforeAll(async () => {
    server = await startServerWithCourses({ engine, postgresUrl: inject('postgresUrl') ?? undefined, courses: { fire: course } });
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

  it("sets the tenant's policy defaults, which courses inherit; a bad one is refused naming the field and changes nothing", async () => {
    const set = await api('/policy', { method: 'PUT', json: { maxRate: 3, gates: { coverage: 0.5 } } });
    expect(set.status).toBe(200);
    expect(await (await api('/policy')).json()).toEqual({ maxRate: 3, gates: { coverage: 0.5 } });
    expect((await (await api('/courses/fire')).json()).policy).toMatchObject({ maxRate: 3, gates: { coverage: 0.5 } });
    const bad = await api('/policy', { method: 'PUT', json: { maxRate: 100 } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain('maxRate');
    expect(await (await api('/policy')).json()).toEqual({ maxRate: 3, gates: { coverage: 0.5 } });
    expect((await api('/policy', { method: 'PUT', json: {} })).status).toBe(200);
    expect((await (await api('/courses/fire')).json()).policy).toMatchObject({ maxRate: 2, gates: { coverage: 0.8 } });
  });
});
