import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('cmi5 launches on %s', (engine) => {
  let server: TestServer;
  const post = (path: string, body?: unknown, authorization?: string) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const xapi = (path: string, authorization: string) => fetch(`${server.url}/xapi${path}`, { headers: { authorization, 'X-Experience-API-Version': '1.0.3' } });

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    const res = await fetch(`${server.url}/api/v1/courses/cmi5-course`, {
      method: 'PUT',
      headers: { authorization: server.admin.authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'cmi5 course', activityId: 'https://example.com/courses/cmi5', credits: 1, kind: 'elective', lengthSeconds: 30 }),
    });
    expect(res.status).toBe(201);
  });
  afterAll(() => server?.close());

  it('needs a client with credits/admin and says which field is wrong', async () => {
    expect((await post('/cmi5/launches', { learnerId: 'l1', courseId: 'cmi5-course' })).status).toBe(401);
    const bad = await post('/cmi5/launches', { learnerId: 'l1', courseId: 'cmi5-course', moveOn: 'Sometimes' }, server.admin.authorization);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/moveOn/);
  });

  it('hands out the auth-token once; it acts as the launch on the LRS, with LMS.LaunchData and launched in place', async () => {
    const res = await post('/cmi5/launches', { learnerId: 'l2', courseId: 'cmi5-course', returnURL: 'https://lms.example/back', moveOn: 'CompletedOrPassed' }, server.admin.authorization);
    expect(res.status).toBe(201);
    const launch = (await res.json()) as { launchUrl: string; registration: string; sessionId: string };
    const q = new URL(launch.launchUrl).searchParams;
    expect(q.get('registration')).toBe(launch.registration);
    expect(JSON.parse(q.get('actor')!)).toMatchObject({ account: { name: 'l2' } });

    const first = await fetch(q.get('fetch')!, { method: 'POST' });
    expect(first.status).toBe(200);
    const token = ((await first.json()) as { 'auth-token': string })['auth-token'];
    const second = await fetch(q.get('fetch')!, { method: 'POST' });
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ 'error-code': '1' });
    expect((await post(`/cmi5/fetch/default/not-issued`)).status).toBe(400);

    const basic = `Basic ${token}`;
    const current = await fetch(`${server.url}/api/v1/launches/current`, { headers: { authorization: basic } });
    expect(current.status).toBe(200);
    expect(await current.json()).toMatchObject({ registration: launch.registration, learnerId: 'l2' });
    const state = await xapi(`/activities/state?${new URLSearchParams({ stateId: 'LMS.LaunchData', activityId: q.get('activityId')!, agent: q.get('actor')!, registration: launch.registration })}`, basic);
    expect(state.status).toBe(200);
    expect(await state.json()).toMatchObject({ launchMode: 'Normal', moveOn: 'CompletedOrPassed', returnURL: 'https://lms.example/back', contextTemplate: { extensions: { 'https://w3id.org/xapi/cmi5/context/extensions/sessionid': launch.sessionId } } });
    // Like a launch token, the auth-token cannot read statements; the admin sees the LMS's launched.
    expect((await xapi(`/statements?registration=${launch.registration}`, basic)).status).toBe(403);
    const stored = (await (await xapi(`/statements?registration=${launch.registration}`, server.admin.authorization)).json()) as { statements: { verb: { id: string } }[] };
    expect(stored.statements.map((s) => s.verb.id)).toEqual(['http://adlnet.gov/expapi/verbs/launched']);
  });

  it('refuses a returnURL that is not http(s), naming it', async () => {
    for (const returnURL of ['javascript:alert(document.domain)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)']) {
      const res = await post('/cmi5/launches', { learnerId: 'l3', courseId: 'cmi5-course', returnURL }, server.admin.authorization);
      expect(res.status, returnURL).toBe(400);
      expect(JSON.stringify(await res.json())).toMatch(/returnURL: must be an http\(s\) URL/);
    }
  });

  it('keeps nothing the token can be rebuilt from until the fetch URL is used, then mints it once', async () => {
    const res = await post('/cmi5/launches', { learnerId: 'l4', courseId: 'cmi5-course' }, server.admin.authorization);
    const launch = (await res.json()) as { launchUrl: string; registration: string };
    const fetchUrl = new URL(launch.launchUrl).searchParams.get('fetch')!;
    const fetchId = fetchUrl.split('/').at(-1)!;
    const pending = await server.store.db.selectFrom('xapi_documents').select(['document_id', 'content']).where('activity_id', '=', 'https://xcredit.dev/cmi5/fetch').execute();
    const text = pending.map((r) => `${r.document_id} ${Buffer.from(r.content).toString('utf8')}`).join('\n');
    expect(text).toContain(launch.registration);
    expect(text).not.toContain(fetchId);
    expect(text).not.toMatch(/launch:|authToken|auth-token/);

    const first = await fetch(fetchUrl, { method: 'POST' });
    expect(first.status).toBe(200);
    const token = ((await first.json()) as { 'auth-token': string })['auth-token'];
    expect(Buffer.from(token, 'base64').toString('utf8')).toMatch(/^launch:.{20,}/);
    const current = await fetch(`${server.url}/api/v1/launches/current`, { headers: { authorization: `Basic ${token}` } });
    expect(await current.json()).toMatchObject({ registration: launch.registration, learnerId: 'l4' });
    const again = await fetch(fetchUrl, { method: 'POST' });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ 'error-code': '1' });
    const left = await server.store.db.selectFrom('xapi_documents').select('document_id').where('activity_id', '=', 'https://xcredit.dev/cmi5/fetch').execute();
    expect(left.length).toBe(pending.length - 1);
  });

  it('serves the AU page only for an endpoint and fetch URL this server issued', async () => {
    const res = await post('/cmi5/launches', { learnerId: 'l5', courseId: 'cmi5-course' }, server.admin.authorization);
    const launchUrl = new URL(((await res.json()) as { launchUrl: string }).launchUrl);
    expect((await fetch(launchUrl)).status).toBe(200);
    const swapped = (name: string, value: string) => {
      const url = new URL(launchUrl);
      url.searchParams.set(name, value);
      return url;
    };
    const fetchPath = new URL(launchUrl.searchParams.get('fetch')!).pathname;
    for (const [name, value] of [
      ['endpoint', 'https://evil.example/xapi/'],
      ['endpoint', `${server.url}/api/v1/`],
      ['endpoint', 'javascript:alert(1)'],
      ['fetch', `https://evil.example${fetchPath}`],
      ['fetch', `${server.url}/api/v1/launches/current`],
      ['fetch', `${server.url}${fetchPath}?x=1`],
      ['fetch', `${server.url}/cmi5/fetch/../${fetchPath.split('/').at(-1)}`],
      ['fetch', `${server.url}/cmi5/fetch/%2e%2e/${fetchPath.split('/').at(-1)}`],
    ] as const) {
      const refused = await fetch(swapped(name, value));
      expect(refused.status, value).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(new RegExp(`^${name}:`));
    }
  });
});
