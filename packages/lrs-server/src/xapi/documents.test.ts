import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RESUME_STATE_ID } from '@xcredit/sdk/xapi';
import { createClient } from '../auth/clients.js';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('xAPI documents on %s', (engine) => {
  let server: TestServer;
  const ana = { objectType: 'Agent', mbox: 'mailto:ana@example.com' };

  type Init = { method?: string; body?: unknown; raw?: string | Buffer; type?: string; version?: string; auth?: string; headers?: Record<string, string> };
  const call = (path: string, query: Record<string, unknown>, init: Init = {}) => {
    const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    const headers: Record<string, string> = { authorization: init.auth ?? server.admin.authorization, 'x-experience-api-version': init.version ?? '2.0.0', ...init.headers };
    const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    if (body !== undefined) headers['content-type'] = init.type ?? 'application/json';
    return fetch(`${server.url}/xapi${path}?${params}`, { method: init.method ?? 'GET', headers, body: typeof body === 'string' || body === undefined ? body : Uint8Array.from(body) });
  };
  const state = (query: Record<string, unknown>, init?: Init) => call('/activities/state', query, init);
  const basic = (c: { key: string; secret: string }) => `Basic ${Buffer.from(`${c.key}:${c.secret}`).toString('base64')}`;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
  });
  afterAll(() => server?.close());

  describe('State', () => {
    it('stores, returns with ETag and Last-Modified, lists ids since a time, and deletes', async () => {
      const activityId = `https://example.com/a/${randomUUID()}`;
      const q = { activityId, agent: ana, stateId: 'bookmark' };
      expect((await state(q)).status).toBe(404);
      expect((await state(q, { method: 'PUT', body: { page: 3 } })).status).toBe(204);
      const got = await state(q);
      expect(got.status).toBe(200);
      expect(await got.json()).toEqual({ page: 3 });
      expect(got.headers.get('etag')).toMatch(/^"[0-9a-f]{40}"$/);
      expect(got.headers.get('last-modified')).toBeTruthy();
      expect(got.headers.get('content-type')).toMatch(/application\/json/);
      const before = new Date(Date.now() - 60_000).toISOString();
      await state({ activityId, agent: ana, stateId: 'notes' }, { method: 'PUT', raw: 'plain words', type: 'text/plain' });
      expect(await (await state({ activityId, agent: ana })).json()).toEqual(['bookmark', 'notes']);
      expect(await (await state({ activityId, agent: ana, since: new Date(Date.now() + 60_000).toISOString() })).json()).toEqual([]);
      expect((await (await state({ activityId, agent: ana, since: before })).json()).length).toBe(2);
      const text = await state({ activityId, agent: ana, stateId: 'notes' });
      expect(text.headers.get('content-type')).toMatch(/text\/plain/);
      expect(await text.text()).toBe('plain words');
      expect((await state(q, { method: 'DELETE' })).status).toBe(204);
      expect((await state(q)).status).toBe(404);
      expect((await state({ activityId, agent: ana }, { method: 'DELETE' })).status).toBe(204);
      expect(await (await state({ activityId, agent: ana })).json()).toEqual([]);
    });

    it('keeps documents of different registrations apart', async () => {
      const activityId = `https://example.com/a/${randomUUID()}`;
      const [r1, r2] = [randomUUID(), randomUUID()];
      await state({ activityId, agent: ana, stateId: 's', registration: r1 }, { method: 'POST', body: { r: 1 } });
      await state({ activityId, agent: ana, stateId: 's', registration: r2 }, { method: 'POST', body: { r: 2 } });
      expect(await (await state({ activityId, agent: ana, stateId: 's', registration: r2 })).json()).toEqual({ r: 2 });
      expect((await state({ activityId, agent: ana, stateId: 's' })).status).toBe(404);
      expect((await state({ activityId, agent: ana, registration: r1 }, { method: 'DELETE' })).status).toBe(204);
      expect((await state({ activityId, agent: ana, stateId: 's', registration: r1 })).status).toBe(404);
      expect((await state({ activityId, agent: ana, stateId: 's', registration: r2 })).status).toBe(200);
    });

    it('merges JSON objects on POST, and refuses to merge what is not a JSON object (400)', async () => {
      const q = { activityId: `https://example.com/a/${randomUUID()}`, agent: ana, stateId: 'merge' };
      await state(q, { method: 'POST', body: { a: 1, b: { x: 1 } } });
      await state(q, { method: 'POST', body: { b: { y: 2 }, c: 3 } });
      expect(await (await state(q)).json()).toEqual({ a: 1, b: { y: 2 }, c: 3 });
      const notObject = await state(q, { method: 'POST', body: [1, 2] });
      expect(notObject.status).toBe(400);
      expect((await notObject.json()).error.message).toMatch(/JSON object/);
      expect((await state(q, { method: 'POST', raw: 'text', type: 'text/plain' })).status).toBe(400);
      expect((await state(q, { method: 'POST', raw: '{"broken":', type: 'application/json' })).status).toBe(400);
      expect(await (await state(q)).json()).toEqual({ a: 1, b: { y: 2 }, c: 3 });
    });

    it('honours If-Match and If-None-Match (412) and refuses a blind overwrite in 2.0.0 (409)', async () => {
      const q = { activityId: `https://example.com/a/${randomUUID()}`, agent: ana, stateId: 'etag' };
      expect((await state(q, { method: 'PUT', body: { v: 1 }, headers: { 'if-match': '"0000000000000000000000000000000000000000"' } })).status).toBe(412);
      expect((await state(q, { method: 'PUT', body: { v: 1 }, headers: { 'if-none-match': '*' } })).status).toBe(204);
      expect((await state(q, { method: 'PUT', body: { v: 2 }, headers: { 'if-none-match': '*' } })).status).toBe(412);
      const etag = (await state(q)).headers.get('etag')!;
      const blind = await state(q, { method: 'PUT', body: { v: 2 } });
      expect(blind.status).toBe(409);
      expect((await blind.json()).error.message).toMatch(/If-Match/);
      expect((await state(q, { method: 'PUT', body: { v: 2 }, headers: { 'if-match': '"stale"' } })).status).toBe(412);
      expect((await state(q, { method: 'PUT', body: { v: 2 }, headers: { 'if-match': etag } })).status).toBe(204);
      expect((await state(q, { method: 'DELETE', headers: { 'if-match': etag } })).status).toBe(412);
      expect(await (await state(q)).json()).toEqual({ v: 2 });
      // 1.0.3 lets State be overwritten without a precondition.
      expect((await state(q, { method: 'PUT', body: { v: 3 }, version: '1.0.3' })).status).toBe(204);
      expect(await (await state(q)).json()).toEqual({ v: 3 });
    });

    it.each([
      ['no activityId', { agent: ana, stateId: 's' }, /activityId/],
      ['an activityId that is not an IRI', { activityId: 'not an iri', agent: ana, stateId: 's' }, /activityId/],
      ['no agent', { activityId: 'https://example.com/a', stateId: 's' }, /agent/],
      ['an agent that is not JSON', { activityId: 'https://example.com/a', agent: '{nope', stateId: 's' }, /agent/],
      ['an agent with two identifiers', { activityId: 'https://example.com/a', agent: { mbox: 'mailto:a@b.c', openid: 'https://a.example/' }, stateId: 's' }, /agent/],
      ['a registration that is not a UUID', { activityId: 'https://example.com/a', agent: ana, stateId: 's', registration: 'r-1' }, /registration/],
      ['an unknown parameter', { activityId: 'https://example.com/a', agent: ana, stateId: 's', colour: 'red' }, /colour/],
    ])('rejects %s with 400 naming it', async (_name, query, message) => {
      const res = await state(query, { method: 'PUT', body: { x: 1 } });
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toMatch(message);
    });

    it('rejects a PUT without stateId and a document over the size limit (413)', async () => {
      expect((await state({ activityId: 'https://example.com/a', agent: ana }, { method: 'PUT', body: { x: 1 } })).status).toBe(400);
      const big = await state({ activityId: 'https://example.com/a', agent: ana, stateId: 'big' }, { method: 'PUT', raw: Buffer.alloc(17 * 1024 * 1024, 97), type: 'application/octet-stream' });
      expect(big.status).toBe(413);
      expect((await state({ activityId: 'https://example.com/a', agent: ana, stateId: 'big' })).status).toBe(404);
    });

    it('needs the state scope to write and state or all/read to read (403)', async () => {
      const reader = await createClient(server.store.db, { tenantId: 'default', name: 'all-reader', scopes: ['all/read'] });
      const writer = await createClient(server.store.db, { tenantId: 'default', name: 'statements-only', scopes: ['statements/write', 'statements/read'] });
      const q = { activityId: `https://example.com/a/${randomUUID()}`, agent: ana, stateId: 's' };
      await state(q, { method: 'PUT', body: { x: 1 } });
      expect((await state(q, { auth: basic(reader) })).status).toBe(200);
      const denied = await state(q, { method: 'PUT', body: { x: 2 }, auth: basic(reader) });
      expect(denied.status).toBe(403);
      expect((await denied.json()).error.message).toContain('"state"');
      expect((await state(q, { auth: basic(writer) })).status).toBe(403);
      expect((await call('/activities/profile', { activityId: q.activityId, profileId: 'p' }, { auth: basic(writer) })).status).toBe(403);
    });
  });

  describe('Activity Profile and Agent Profile', () => {
    it('stores, merges and lists activity profiles; a profile PUT must be conditional', async () => {
      const activityId = `https://example.com/a/${randomUUID()}`;
      const profile = (query: Record<string, unknown>, init?: Init) => call('/activities/profile', { activityId, ...query }, init);
      expect((await profile({ profileId: 'p1' }, { method: 'PUT', body: { a: 1 }, version: '1.0.3' })).status).toBe(400);
      expect((await profile({ profileId: 'p1' }, { method: 'PUT', body: { a: 1 }, headers: { 'if-none-match': '*' } })).status).toBe(204);
      expect((await profile({ profileId: 'p1' }, { method: 'PUT', body: { a: 2 } })).status).toBe(409);
      expect((await profile({ profileId: 'p1' }, { method: 'POST', body: { b: 2 } })).status).toBe(204);
      expect(await (await profile({ profileId: 'p1' })).json()).toEqual({ a: 1, b: 2 });
      expect(await (await profile({})).json()).toEqual(['p1']);
      expect((await profile({}, { method: 'DELETE' })).status).toBe(400);
      expect((await profile({ profileId: 'p1' }, { method: 'DELETE' })).status).toBe(204);
      expect((await profile({ profileId: 'p1' })).status).toBe(404);
    });

    it('stores agent profiles by agent, whichever identifier form names the same person', async () => {
      const mbox = `mailto:${randomUUID()}@example.com`;
      const { createHash } = await import('node:crypto');
      const sha1 = createHash('sha1').update(mbox).digest('hex');
      const profile = (agent: unknown, init?: Init) => call('/agents/profile', { agent, profileId: 'prefs' }, init);
      expect((await profile({ mbox }, { method: 'POST', body: { lang: 'en' } })).status).toBe(204);
      expect(await (await profile({ mbox_sha1sum: sha1 })).json()).toEqual({ lang: 'en' });
      expect((await profile({ mbox: 'mailto:someone-else@example.com' })).status).toBe(404);
      expect((await call('/agents/profile', { profileId: 'prefs' })).status).toBe(400);
    });
  });

  describe('Activities and Agents', () => {
    it('returns an activity with the definitions its statements gave, merged', async () => {
      const id = `https://example.com/a/${randomUUID()}`;
      const post = (definition: object) =>
        fetch(`${server.url}/xapi/statements`, {
          method: 'POST',
          headers: { authorization: server.admin.authorization, 'x-experience-api-version': '2.0.0', 'content-type': 'application/json' },
          body: JSON.stringify({ actor: ana, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, object: { id, definition } }),
        });
      expect((await post({ name: { 'en-US': 'Intro' } })).status).toBe(200);
      expect((await post({ name: { 'de-DE': 'Einführung' }, type: 'http://adlnet.gov/expapi/activities/media' })).status).toBe(200);
      const res = await call('/activities', { activityId: id });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ objectType: 'Activity', id, definition: { name: { 'en-US': 'Intro', 'de-DE': 'Einführung' }, type: 'http://adlnet.gov/expapi/activities/media' } });
      expect(await (await call('/activities', { activityId: 'https://example.com/never-seen' })).json()).toEqual({ objectType: 'Activity', id: 'https://example.com/never-seen' });
      expect((await call('/activities', {})).status).toBe(400);
    });

    it('returns a Person for an agent and rejects a malformed one', async () => {
      const res = await call('/agents', { agent: { mbox: 'mailto:ana@example.com', name: 'Ana' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ objectType: 'Person', name: ['Ana'], mbox: ['mailto:ana@example.com'] });
      expect((await call('/agents', { agent: { name: 'nobody' } })).status).toBe(400);
      expect((await call('/agents', {})).status).toBe(400);
    });
  });

  describe('with a launch token', () => {
    let course: { activityId: string };
    const launchFor = async (learnerId: string) => {
      const res = await fetch(`${server.url}/api/v1/launches`, {
        method: 'POST',
        headers: { authorization: server.admin.authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ learnerId, courseId: 'resume-course' }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { launchToken: string; registration: string; actor: object; activityId: string };
    };

    beforeAll(async () => {
      course = { activityId: `https://example.com/courses/${randomUUID()}` };
      const res = await fetch(`${server.url}/api/v1/courses/resume-course`, {
        method: 'PUT',
        headers: { authorization: server.admin.authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Resume', activityId: course.activityId, credits: 1, kind: 'elective', lengthSeconds: 60 }),
      });
      expect(res.ok).toBe(true);
    });

    it('keeps the resume position without a registration, and a later launch of the same learner reads it', async () => {
      const first = await launchFor('L-resume');
      const bearer = `Bearer ${first.launchToken}`;
      const q = { activityId: course.activityId, agent: first.actor, stateId: RESUME_STATE_ID };
      expect((await state(q, { method: 'PUT', body: { position: 42 }, auth: bearer, version: '1.0.3' })).status).toBe(204);
      expect((await state({ ...q, registration: first.registration }, { method: 'POST', body: { seen: [[0, 42]] }, auth: bearer })).status).toBe(204);
      const sub = { ...q, activityId: `${course.activityId}/questions/q1` };
      // The course declares no question q1, so that activity is not the launch's.
      expect((await state(sub, { method: 'POST', body: { answered: true }, auth: bearer })).status).toBe(403);

      const later = await launchFor('L-resume');
      expect(later.registration).not.toBe(first.registration);
      const read = await state(q, { auth: `Bearer ${later.launchToken}` });
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual({ position: 42 });
      const theirs = await state({ ...q, registration: first.registration }, { auth: `Bearer ${later.launchToken}` });
      expect(theirs.status).toBe(403);
      expect((await theirs.json()).error.message).toMatch(/registration/);
    });

    it.each([
      ['another learner', (l: { actor: object }) => ({ activityId: course.activityId, agent: { objectType: 'Agent', account: { homePage: 'https://xcredit.dev/tenants/default', name: 'L-other' } }, stateId: 's', _l: l }), /agent/],
      ['another activity', (l: { actor: object }) => ({ activityId: 'https://example.com/courses/other', agent: l.actor, stateId: 's' }), /activityId/],
      ['an activity that only shares a prefix', (l: { actor: object }) => ({ activityId: `${course.activityId}-copy`, agent: l.actor, stateId: 's' }), /activityId/],
      ['another registration', (l: { actor: object }) => ({ activityId: course.activityId, agent: l.actor, stateId: 's', registration: randomUUID() }), /registration/],
    ])('is refused (403) for %s', async (_name, make, message) => {
      const launch = await launchFor('L-guard');
      const { _l, ...query } = make(launch) as Record<string, unknown>;
      const res = await state(query, { method: 'PUT', body: { x: 1 }, auth: `Bearer ${launch.launchToken}` });
      expect(res.status).toBe(403);
      expect((await res.json()).error.message).toMatch(message);
    });

    it('cannot use profiles, activities, agents or delete every state at once', async () => {
      const launch = await launchFor('L-guard');
      const auth = `Bearer ${launch.launchToken}`;
      expect((await call('/activities/profile', { activityId: course.activityId, profileId: 'p' }, { auth })).status).toBe(403);
      expect((await call('/agents/profile', { agent: launch.actor, profileId: 'p' }, { auth })).status).toBe(403);
      expect((await call('/activities', { activityId: course.activityId }, { auth })).status).toBe(403);
      expect((await call('/agents', { agent: launch.actor }, { auth })).status).toBe(403);
      expect((await state({ activityId: course.activityId, agent: launch.actor }, { method: 'DELETE', auth })).status).toBe(403);
    });
  });

  describe('under concurrent writers', () => {
    it('loses no update when many clients merge into one document at once', async () => {
      const q = { activityId: `https://example.com/a/${randomUUID()}`, agent: ana, stateId: 'merge-race' };
      const results = await Promise.all(Array.from({ length: 24 }, (_, i) => state(q, { method: 'POST', body: { [`k${i}`]: i } })));
      expect(results.map((r) => r.status)).toEqual(Array(24).fill(204));
      const doc = await (await state(q)).json();
      expect(Object.keys(doc).sort()).toEqual(Array.from({ length: 24 }, (_, i) => `k${i}`).sort());
    });

    it('loses no update when many clients read-modify-write with If-Match, retrying on 412', async () => {
      const q = { activityId: `https://example.com/a/${randomUUID()}`, agent: ana, stateId: 'etag-race' };
      expect((await state(q, { method: 'PUT', body: { done: [] }, headers: { 'if-none-match': '*' } })).status).toBe(204);
      const worker = async (i: number) => {
        for (;;) {
          const got = await state(q);
          const etag = got.headers.get('etag')!;
          const doc = (await got.json()) as { done: number[] };
          const put = await state(q, { method: 'PUT', body: { done: [...doc.done, i] }, headers: { 'if-match': etag } });
          if (put.status === 204) return;
          expect(put.status).toBe(412);
        }
      };
      await Promise.all(Array.from({ length: 12 }, (_, i) => worker(i)));
      const final = (await (await state(q)).json()) as { done: number[] };
      expect(final.done.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    });

    it('creates a document once when many clients race to create it with If-None-Match: *', async () => {
      const q = { activityId: `https://example.com/a/${randomUUID()}`, agent: ana, stateId: 'create-race' };
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => state(q, { method: 'PUT', body: { winner: i }, headers: { 'if-none-match': '*' } })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 204)).toHaveLength(1);
      expect(statuses.filter((s) => s === 412)).toHaveLength(9);
    });
  });
});
