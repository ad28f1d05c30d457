import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { XcreditExt } from '@xcredit/sdk/xapi';
import { sql } from 'kysely';
import { createClient } from '../auth/clients.js';
import { creditEvents } from '../app.js';
import { recompute } from '../credits/recompute.js';
import { adminFetch, openPlayer, startTestServer, type Engine, type LaunchGiven, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const LENGTH = 60;
const course = (reflection?: object | null) => ({
  title: 'Patient privacy',
  activityId: 'https://example.com/courses/privacy',
  credits: 3,
  kind: 'required',
  lengthSeconds: LENGTH,
  ...(reflection === undefined ? {} : { reflection }),
});
// Ten Chinese characters: 10 graphemes, though 30 bytes in UTF-8.
const TEN_CJK = '我会保护患者隐私数据';

describe.each(engines)('reflections on %s', (engine) => {
  let server: TestServer;
  const api = adminFetch(() => server);
  const call = async (method: string, path: string, body?: unknown, authorization?: string) => {
    const res = await api(path, { method, json: body, ...(authorization ? { headers: { authorization } } : {}) });
    return { status: res.status, body: await res.json() };
  };
  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const asLearner = async (launch: LaunchGiven, method: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1/launches/current/reflection`, {
      method,
      headers: { authorization: `Bearer ${launch.launchToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  /** The learner launches the course and watches all of it; the launch is returned for the reflection. */
  const watch = async (learnerId: string, courseId = 'privacy') => {
    const launch = (await ok('POST', '/launches', { learnerId, courseId })) as LaunchGiven;
    const p = await openPlayer(server, launch);
    await p.play(0);
    await p.watch(LENGTH);
    await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
    return launch;
  };
  const earned = async (learnerId: string) => (await ok('GET', `/learners/${learnerId}/ledger`)).total as number;
  const gate = async (learnerId: string) => (await ok('GET', `/learners/${learnerId}/courses/privacy/engagement`)).gates.find((g: { name: string }) => g.name === 'reflection');

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    for (const id of ['ana', 'ben', 'cai']) await ok('PUT', `/learners/${id}`, { department: 'nursing' });
    await ok('PUT', '/courses/privacy', course({ minLength: 10, prompt: 'What will you do differently?' }));
    await ok('PUT', '/courses/plain', { ...course(), title: 'Plain', activityId: 'https://example.com/courses/plain' });
  });
  afterAll(() => server?.close());

  it('refuses a bad requirement naming the field, and writes nothing', async () => {
    for (const [reflection, field] of [
      [{ minLength: 0 }, 'reflection.minLength'],
      [{ minLength: 2.5 }, 'reflection.minLength'],
      [{ minLength: 10, prompt: '' }, 'reflection.prompt'],
      [{ minLength: 10, words: 3 }, 'reflection'],
    ] as const) {
      const r = await call('PUT', '/courses/bad', { ...course(reflection), activityId: 'https://example.com/courses/bad' });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toContain(field);
    }
    expect((await call('GET', '/courses/bad')).status).toBe(404);
    expect((await ok('GET', '/courses/privacy')).reflection).toEqual({ minLength: 10, prompt: 'What will you do differently?' });
    expect((await ok('GET', '/courses/plain')).reflection).toBeNull();
  });

  it('holds the credits until a reviewer approves; returned and resubmitted on the way; the explanation says why at each step', async () => {
    const launch = await watch('ana');
    expect(await earned('ana')).toBe(0);
    expect(await gate('ana')).toMatchObject({ passed: false, reason: 'reflection not written yet' });
    expect((await asLearner(launch, 'GET')).body).toEqual({ required: true, minLength: 10, prompt: 'What will you do differently?', status: null, text: null, note: null });
    // The player's launch carries the requirement, so it knows to open its panel.
    const current = await fetch(`${server.url}/api/v1/launches/current`, { headers: { authorization: `Bearer ${launch.launchToken}` } });
    expect((await current.json()).course.reflection).toEqual({ minLength: 10, prompt: 'What will you do differently?' });

    // Nine characters are too few, in any script; whitespace around the text does not count.
    const short = await asLearner(launch, 'POST', { text: `  ${TEN_CJK.slice(0, 9)}  ` });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toMatch(/^text: .*at least 10 characters \(this one has 9\)/);
    expect((await call('GET', '/reflections/ana/privacy')).status).toBe(404);
    expect((await asLearner(launch, 'POST', {})).body.error.message).toContain('text');
    expect((await asLearner(launch, 'POST', { text: 42 })).status).toBe(400);

    const sent = await asLearner(launch, 'POST', { text: TEN_CJK });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ status: 'submitted', text: TEN_CJK });
    expect(await gate('ana')).toMatchObject({ passed: false, reason: 'waiting for reflection approval' });
    expect((await ok('GET', '/learners/ana/credits')).courses.find((c: { courseId: string }) => c.courseId === 'privacy').gates.at(-1).reason).toBe('waiting for reflection approval');
    const queue = await ok('GET', '/reflections?status=submitted');
    expect(queue.reflections).toEqual([expect.objectContaining({ learnerId: 'ana', courseId: 'privacy', courseTitle: 'Patient privacy', text: TEN_CJK, length: 10, minLength: 10, status: 'submitted' })]);

    // A return needs a note; without one nothing changes.
    const bare = await call('POST', '/reflections/ana/privacy/return', { note: '  ' });
    expect(bare.status).toBe(400);
    expect(bare.body.error.message).toContain('note');
    expect((await ok('GET', '/reflections/ana/privacy')).status).toBe('submitted');
    const returned = await ok('POST', '/reflections/ana/privacy/return', { note: 'Name one thing you will change on your ward.' });
    expect(returned).toMatchObject({ status: 'returned', note: 'Name one thing you will change on your ward.', reviewer: `client/${server.admin.key}` });
    expect(await gate('ana')).toMatchObject({ passed: false, reason: 'reflection returned: Name one thing you will change on your ward.' });
    expect((await asLearner(launch, 'GET')).body).toMatchObject({ status: 'returned', note: 'Name one thing you will change on your ward.' });
    expect((await call('POST', '/reflections/ana/privacy/return', { note: 'again' })).status).toBe(409);
    const early = await call('POST', '/reflections/ana/privacy/approve');
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('reflection_returned');
    expect(await earned('ana')).toBe(0);

    const text = 'I will lock the screen every time I leave the nursing station.';
    expect((await asLearner(launch, 'POST', { text })).body).toMatchObject({ status: 'submitted', note: null });
    const webhook = await ok('POST', '/webhooks', { url: 'http://127.0.0.1:9/hooks', events: ['credit.earned'] });
    const approved = await ok('POST', '/reflections/ana/privacy/approve');
    expect(approved).toMatchObject({ status: 'approved', text, note: null });
    expect(approved.history.map((h: { action: string }) => h.action)).toEqual(['submitted', 'returned', 'submitted', 'approved']);
    expect(await earned('ana')).toBe(3);
    expect(await gate('ana')).toMatchObject({ passed: true, reason: 'reflection approved' });
    const { entries } = await ok('GET', '/learners/ana/ledger');
    expect(entries).toEqual([expect.objectContaining({ amount: 3, courseId: 'privacy', source: 'video', reason: `"Patient privacy": reflection approved by client/${server.admin.key}` })]);
    const deliveries = await server.store.db.selectFrom('webhook_deliveries').select(['event', 'body']).where('webhook_id', '=', webhook.webhookId).execute();
    expect(deliveries.map((d) => [d.event, JSON.parse(d.body).data.credits])).toEqual([['credit.earned', 3]]);

    // Approving again changes nothing; an approved reflection is final.
    expect((await call('POST', '/reflections/ana/privacy/approve')).status).toBe(200);
    expect((await ok('GET', '/learners/ana/ledger')).entries).toHaveLength(1);
    const rewrite = await asLearner(launch, 'POST', { text: `${text} And more.` });
    expect(rewrite.status).toBe(409);
    expect(rewrite.body.error.code).toBe('reflection_approved');
    expect((await call('POST', '/reflections/ana/privacy/return', { note: 'too late' })).status).toBe(409);
    expect((await ok('GET', '/reflections/ana/privacy')).history).toHaveLength(4);

    // A full recompute reaches the same credits and appends nothing.
    expect((await recompute(server.store.db, { events: creditEvents(server.clock!), tenantId: 'default' })).ledgerEntries).toBe(0);
    expect(await earned('ana')).toBe(3);
  });

  it('credits a reflection approved before the viewing when the viewing is done, and recompute agrees', async () => {
    const launch = (await ok('POST', '/launches', { learnerId: 'ben', courseId: 'privacy' })) as LaunchGiven;
    expect((await asLearner(launch, 'POST', { text: TEN_CJK })).status).toBe(200);
    await ok('POST', '/reflections/ben/privacy/approve');
    expect(await earned('ben')).toBe(0);
    await watch('ben');
    expect(await earned('ben')).toBe(3);
    expect((await recompute(server.store.db, { events: creditEvents(server.clock!), tenantId: 'default' })).ledgerEntries).toBe(0);
  });

  it('requiring a reflection on a course already credited takes the credits back until one is approved', async () => {
    await watch('cai', 'plain');
    const plainLedger = async () => (await ok('GET', '/learners/cai/ledger')).entries.filter((e: { courseId: string }) => e.courseId === 'plain');
    expect((await plainLedger()).reduce((s: number, e: { amount: number }) => s + e.amount, 0)).toBe(3);
    await ok('PUT', '/courses/plain', { ...course({ minLength: 5 }), title: 'Plain', activityId: 'https://example.com/courses/plain' });
    const after = await plainLedger();
    expect(after.at(-1)).toMatchObject({ amount: -3, source: 'adjustment', reason: expect.stringContaining('a reflection is now required') });
    await ok('PUT', '/courses/plain', { ...course(), title: 'Plain', activityId: 'https://example.com/courses/plain' });
  });

  it('owes an LMS that grades the course a new score at each step, as no statement arrives with it', async () => {
    await ok('PUT', '/learners/dan', { department: 'nursing' });
    await sql`insert into lti_grade_targets (tenant_id, platform_id, resource_link_id, lti_user_id, learner_id, course_id)
      values ('default', 'moodle', 'rl-1', 'u-dan', 'dan', 'privacy')`.execute(server.store.db);
    const owed = async () =>
      (await sql<{ at: string | null }>`select max(enqueued_at)::text as at from outbox where kind = 'lti.score' and dedupe_key = 'dan|privacy'`.execute(server.store.db)).rows[0]!.at;
    expect(await owed()).toBeNull();
    const launch = (await ok('POST', '/launches', { learnerId: 'dan', courseId: 'privacy' })) as LaunchGiven;
    expect((await asLearner(launch, 'POST', { text: TEN_CJK })).status).toBe(200);
    const afterSubmit = await owed();
    expect(afterSubmit).not.toBeNull();
    await ok('POST', '/reflections/dan/privacy/approve');
    expect(new Date((await owed())!).getTime()).toBeGreaterThan(new Date(afterSubmit!).getTime());
  });

  it('a course without a requirement refuses a reflection', async () => {
    const launch = (await ok('POST', '/launches', { learnerId: 'cai', courseId: 'plain' })) as LaunchGiven;
    expect((await asLearner(launch, 'GET')).body).toMatchObject({ required: false, status: null });
    const r = await asLearner(launch, 'POST', { text: 'I learned a lot here today.' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('reflection_not_required');
    expect((await ok('GET', '/reflections?learnerId=cai')).reflections).toEqual([]);
  });

  it('reviews need credits/admin; the learner token cannot review and an admin key cannot write as a learner', async () => {
    const reader = await createClient(server.store.db, { tenantId: 'default', name: 'reader', scopes: ['credits/read'] });
    const readerAuth = `Basic ${Buffer.from(`${reader.key}:${reader.secret}`).toString('base64')}`;
    expect((await call('GET', '/reflections', undefined, readerAuth)).status).toBe(200);
    const denied = await call('POST', '/reflections/ben/privacy/return', { note: 'no' }, readerAuth);
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toContain('credits/admin');
    const launch = (await ok('POST', '/launches', { learnerId: 'cai', courseId: 'privacy' })) as LaunchGiven;
    const bearer = `Bearer ${launch.launchToken}`;
    expect((await call('GET', '/reflections', undefined, bearer)).status).toBe(403);
    expect((await call('POST', '/reflections/cai/privacy/approve', undefined, bearer)).status).toBe(403);
    expect((await call('GET', '/launches/current/reflection')).status).toBe(403);
  });

  it('answers 404 for an unknown learner, course or reflection and 400 for a bad filter or id', async () => {
    for (const [path, code] of [
      ['/reflections/nobody/privacy', 'learner_not_found'],
      ['/reflections/ana/nothing', 'course_not_found'],
      ['/reflections/cai/privacy', 'reflection_not_found'],
    ]) {
      const r = await call('GET', path!);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe(code);
      expect((await call('POST', `${path}/approve`)).status).toBe(404);
    }
    const status = await call('GET', '/reflections?status=pending');
    expect(status.status).toBe(400);
    expect(status.body.error.message).toContain('status');
    const id = await call('GET', '/reflections/bad%20id/privacy');
    expect(id.status).toBe(400);
    expect(id.body.error.message).toContain('learnerId');
  });
});
