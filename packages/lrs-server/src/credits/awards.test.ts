import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, watchCourse, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('ledger, awards, make-up, targets and course changes on %s', (engine) => {
  let server: TestServer;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: server.admin.authorization, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const year = () => String(server.clock!().getUTCFullYear());
  const ledger = (learnerId: string) => ok('GET', `/learners/${learnerId}/ledger`);


  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    for (const id of ['ana', 'ben', 'cai', 'dee']) await ok('PUT', `/learners/${id}`, { department: id === 'ana' ? 'nursing' : 'admin', role: 'staff' });
    await ok('PUT', '/courses/fire-online', {
      title: 'Fire drill (online make-up)',
      activityId: 'https://example.com/courses/fire-online',
      credits: 3,
      kind: 'required',
      lengthSeconds: 60,
      makeUpFor: 'fire-drill',
    });
    await ok('PUT', '/courses/ethics', { title: 'Ethics', activityId: 'https://example.com/courses/ethics', credits: 4, kind: 'elective', lengthSeconds: 60, category: 'professional' });
  });
  afterAll(() => server?.close());

  it('credits offline attendance at once, once per external id', async () => {
    const input = { learnerId: 'ana', source: 'offline', title: 'First aid workshop', credits: 2.5, period: year(), kind: 'required', externalId: 'checkin-77' };
    const first = await call('POST', '/awards', input);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'approved', credits: 2.5 });
    const again = await call('POST', '/awards', input);
    expect(again.status).toBe(200);
    expect(again.body.awardId).toBe(first.body.awardId);
    expect((await call('POST', '/awards', { ...input, credits: 3 })).status).toBe(409);
    expect((await ledger('ana')).total).toBe(2.5);
  });

  it('holds growth credits until approved, keeps an audit trail, and decides once', async () => {
    const { body: award } = await call('POST', '/awards', { learnerId: 'ben', source: 'growth', title: 'Mentored two new teachers', credits: 5, period: year(), evidence: { url: 'https://hr.example.com/p/1' } });
    expect(award.status).toBe('pending');
    expect((await ledger('ben')).total).toBe(0);
    expect((await ok('GET', '/awards?status=pending')).awards.map((a: { awardId: string }) => a.awardId)).toContain(award.awardId);
    const noReason = await call('POST', `/awards/${award.awardId}/reject`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toContain('reason');
    const approved = await ok('POST', `/awards/${award.awardId}/approve`, { reason: 'verified with the department head' });
    expect(approved).toMatchObject({ status: 'approved', decidedBy: `client/${server.admin.key}` });
    expect((await call('POST', `/awards/${award.awardId}/reject`, { reason: 'too late' })).status).toBe(409);
    expect((await ledger('ben')).total).toBe(5);
    const trail = await ok('GET', `/awards/${award.awardId}`);
    expect(trail.history.map((h: { action: string }) => h.action)).toEqual(['requested', 'approved']);
    const { body: rejected } = await call('POST', '/awards', { learnerId: 'ben', source: 'growth', title: 'Bake sale', credits: 1, period: year() });
    expect(await ok('POST', `/awards/${rejected.awardId}/reject`, { reason: 'not a learning activity' })).toMatchObject({ status: 'rejected', decisionReason: 'not a learning activity' });
    expect((await ledger('ben')).total).toBe(5);
  });

  it('counts an offline requirement and its online make-up once, whichever comes first', async () => {
    await ok('POST', '/awards', { learnerId: 'cai', source: 'offline', title: 'Fire drill', credits: 2, period: year(), kind: 'required', requirementId: 'fire-drill' });
    await watchCourse(server, 'cai', 'fire-online', 60);
    expect((await ledger('cai')).total).toBe(3);
    await watchCourse(server, 'dee', 'fire-online', 60);
    await ok('POST', '/awards', { learnerId: 'dee', source: 'offline', title: 'Fire drill', credits: 2, period: year(), kind: 'required', requirementId: 'fire-drill' });
    const dee = await ledger('dee');
    expect(dee.total).toBe(3);
    expect(dee.entries.filter((e: { amount: number }) => e.amount !== 0).length).toBeGreaterThanOrEqual(1);
  });

  it('rejects bad awards, naming the field, and changes nothing', async () => {
    const before = (await ledger('ana')).total;
    const cases: [unknown, number, string][] = [
      [{ learnerId: 'ghost', source: 'offline', title: 'x', credits: 1, period: year() }, 404, 'learnerId'],
      [{ learnerId: 'ana', source: 'offline', title: 'x', credits: -1, period: year() }, 400, 'credits'],
      [{ learnerId: 'ana', source: 'offline', title: 'x', credits: 1.25, period: year() }, 400, 'credits'],
      [{ learnerId: 'ana', source: 'bonus', title: 'x', credits: 1, period: year() }, 400, 'source'],
      [{ learnerId: 'ana', source: 'offline', title: '', credits: 1, period: year() }, 400, 'title'],
      [{ learnerId: 'ana', source: 'offline', title: 'x', credits: 1, period: '26' }, 400, 'period'],
    ];
    for (const [input, status, field] of cases) {
      const r = await call('POST', '/awards', input);
      expect(r.status, JSON.stringify(input)).toBe(status);
      expect(r.body.error.message).toContain(field);
    }
    expect((await ledger('ana')).total).toBe(before);
  });

  it('refuses awards for a closed period', async () => {
    const last = String(Number(year()) - 1);
    await ok('POST', `/periods/${last}/close`);
    const r = await call('POST', '/awards', { learnerId: 'ana', source: 'offline', title: 'Late', credits: 1, period: last });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toContain('period');
    expect((await call('POST', `/periods/${last}/close`)).status).toBe(409);
  });

  it('rejects a malformed policy and negative credits for a course, changing nothing', async () => {
    const base = { title: 'Ethics', activityId: 'https://example.com/courses/ethics', credits: 4, kind: 'elective', lengthSeconds: 60, category: 'professional' };
    for (const [input, field] of [
      [{ ...base, credits: -4 }, 'credits'],
      [{ ...base, policy: { weights: { coverage: 0.9 } } }, 'policy.weights'],
      [{ ...base, policy: { sessionMode: 'many' } }, 'policy.sessionMode'],
      [{ ...base, questions: [{ id: 'q', at: 1, type: 'single-choice', prompt: { en: '?' }, choices: [{ id: 'a', text: { en: 'A' } }, { id: 'b', text: { en: 'B' } }], correct: ['c'] }] }, 'questions[0].correct'],
    ] as const) {
      const r = await call('PUT', '/courses/ethics', input);
      expect(r.status).toBe(400);
      expect(r.body.error.message).toContain(field);
    }
    expect((await ok('GET', '/courses/ethics')).credits).toBe(4);
  });

  it('records a change of course credits as adjustments, never by rewriting history', async () => {
    await ok('PUT', '/learners/eve', {});
    await watchCourse(server, 'eve', 'ethics', 60);
    const before = await ledger('eve');
    expect(before.total).toBe(4);
    await ok('PUT', '/courses/ethics', { title: 'Ethics', activityId: 'https://example.com/courses/ethics', credits: 6, kind: 'elective', lengthSeconds: 60, category: 'professional' });
    const after = await ledger('eve');
    expect(after.total).toBe(6);
    expect(after.entries.slice(0, before.entries.length)).toEqual(before.entries);
    expect(after.entries.at(-1)).toMatchObject({ source: 'adjustment', amount: 2, reason: 'course "Ethics" changed: credits 4 → 6' });
  });

  it('measures learners against their target: department beats tenant-wide', async () => {
    await ok('PUT', `/targets/${year()}`, { total: 150, required: 100 });
    await ok('PUT', `/targets/${year()}/department/nursing`, { total: 10, required: 2 });
    const ana = await ok('GET', `/learners/ana/credits?period=${year()}`);
    expect(ana.target).toMatchObject({ groupType: 'department', groupValue: 'nursing', total: 10 });
    expect(ana).toMatchObject({ earned: 2.5, required: 2.5, elective: 0, remaining: 7.5, requiredRemaining: 0 });
    expect(['on_track', 'at_risk']).toContain(ana.status);
    const ben = await ok('GET', `/learners/ben/credits?period=${year()}`);
    expect(ben.target).toMatchObject({ groupType: 'all', total: 150, required: 100 });
    expect(ben.remaining).toBe(145);
    expect(ben.requiredRemaining).toBe(100);
    const bad = await call('PUT', `/targets/${year()}`, { total: 10, required: 20 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('required');
    expect((await call('PUT', `/targets/${year()}/team/x`, { total: 1 })).status).toBe(400);
  });
});
