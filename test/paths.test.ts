import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XcreditClient, XcreditError } from '@xcredit/sdk';
import { adminCall, createClient, startTestServer, watchCourse, type TestServer } from '@xcredit/lrs-server/testing';
import { arrived, startMailbox, type Mailbox } from './support/mailbox.js';
import { postgresUrl, testEngines } from './support/engines.js';

const AUTH = { user: 'credits', password: 'smtp-plan-1' };

describe.each(testEngines())('learning paths and improvement plans on %s', (engine) => {
  let server: TestServer;
  let box: Mailbox;
  let sdk: XcreditClient;
  const year = () => String(server.clock!().getUTCFullYear());
  const call = async (method: string, path: string, body?: unknown, authorization = server.admin.authorization) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const ok = adminCall(() => server);
  const planCount = async () => Number((await server.store.db.selectFrom('improvement_plans').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: postgresUrl(), manualClock: true });
    server.clock!.set(new Date(`${new Date().getUTCFullYear()}-06-15T09:00:00Z`));
    box = await startMailbox(AUTH);
    sdk = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
    const course = (n: number, kind: 'required' | 'elective', credits: number, seconds: number, category?: string) => ({ title: `Course ${n}`, activityId: `https://example.com/courses/${n}`, kind, credits, lengthSeconds: seconds, ...(category ? { category } : {}) });
    for (const [id, body] of [
      ['safety', { ...course(1, 'required', 4, 300), title: 'Patient safety' }],
      ['privacy', { ...course(2, 'required', 4, 600), title: 'Privacy' }],
      ['comm-1', { ...course(3, 'elective', 6, 300, 'communication'), title: 'Listening' }],
      ['comm-2', { ...course(4, 'elective', 6, 600, 'communication'), title: 'Hard conversations' }],
      ['lead-1', { ...course(5, 'elective', 4, 600, 'leadership'), title: 'Leading a shift' }],
    ] as const) {
      await ok('PUT', `/courses/${id}`, body);
    }
    await ok('PUT', `/targets/${year()}`, { total: 20, required: 8 });
    for (const [id, body] of [
      ['mgr', { displayName: 'Li Wei', email: 'li.wei@clinic.example', language: 'zh' }],
      ['ann', { displayName: 'Ann Smith', managerId: 'mgr', email: 'ann@clinic.example', language: 'en' }],
      ['quiet', { displayName: 'Quiet One', managerId: 'mgr', email: 'quiet@clinic.example', remindersOptOut: true }],
      ['solo', { displayName: 'Solo', email: 'solo@clinic.example' }],
      ['done', { displayName: 'Done Already', email: 'done@clinic.example' }],
      ['twice', { displayName: 'Clicked Twice', email: 'twice@clinic.example' }],
    ] as const) {
      await ok('PUT', `/learners/${id}`, body);
    }
    await ok('POST', '/awards', { learnerId: 'done', source: 'offline', title: 'Congress', credits: 20, period: year(), kind: 'required' });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await box?.close();
  });

  it('gives a learner the required courses still missing first, then electives across categories, dated to the year end, explained', async () => {
    const path = await sdk.learningPath('ann');
    expect(path).toMatchObject({ learnerId: 'ann', period: year(), status: 'planned', target: { total: 20, required: 8 }, earned: 0, remaining: 20, requiredRemaining: 8, reachable: true, unreachable: [], shortfall: 0 });
    expect(path.steps.map((s) => s.courseId)).toEqual(['safety', 'privacy', 'comm-1', 'lead-1', 'comm-2']);
    expect(path.steps.map((s) => s.reason)).toEqual(['required_missing', 'required_missing', 'elective', 'elective', 'elective']);
    expect(path.steps.at(-1)!.dueOn).toBe(`${year()}-12-31`);
    expect(path.steps.map((s) => s.dueOn)).toEqual([...path.steps.map((s) => s.dueOn)].sort());
    expect(path.minutesNeeded).toBe(40);
    expect(path.explanation.join(' ')).toContain('2 required courses not yet credited come first');
    // The target met: nothing to do.
    expect(await sdk.learningPath('done')).toMatchObject({ status: 'met', steps: [], reachable: true });
    // A pace too slow for what is left says so, and which steps are late.
    const slow = await sdk.learningPath('ann', { maxMinutesPerWeek: 15, period: year() });
    expect(slow.reachable).toBe(true);
    server.clock!.set(new Date(`${year()}-12-30T09:00:00Z`));
    try {
      const late = await sdk.learningPath('ann', { maxMinutesPerWeek: 15 });
      expect(late).toMatchObject({ reachable: false, unreachable: ['pace'], daysLeft: 2 });
      expect(late.steps.some((s) => s.late)).toBe(true);
      expect(late.explanation.join(' ')).toContain('more than 15 minutes a week');
    } finally {
      server.clock!.set(new Date(`${year()}-06-15T09:00:00Z`));
    }
    const past = await sdk.learningPath('ann', { period: String(Number(year()) - 1) });
    expect(past.status).toBe('no_target');
  });

  it('answers a bad path request with a 4xx naming the field', async () => {
    for (const [path, status, text] of [
      ['/learners/ann/path?maxMinutesPerWeek=5', 400, 'maxMinutesPerWeek'],
      ['/learners/ann/path?maxMinutesPerWeek=lots', 400, 'maxMinutesPerWeek'],
      ['/learners/ann/path?period=26', 400, 'period'],
      ['/learners/ann/path?pace=1', 400, 'pace'],
      ['/learners/bad%20id/path', 400, 'learnerId'],
      ['/learners/ghost/path', 404, 'learnerId'],
      ['/learners/ghost/plans', 404, 'learnerId'],
    ] as const) {
      const r = await call('GET', path);
      expect(r.status, path).toBe(status);
      expect(JSON.stringify(r.body.error), path).toContain(text);
    }
    await expect(sdk.learningPath('ghost')).rejects.toBeInstanceOf(XcreditError);
  });

  it('keeps paths and plans behind their scopes', async () => {
    const reader = await createClient(server.store.db, { tenantId: 'default', name: 'reader', scopes: ['credits/read'] });
    const writer = await createClient(server.store.db, { tenantId: 'default', name: 'writer', scopes: ['statements/write'] });
    const basic = (c: { key: string; secret: string }) => `Basic ${Buffer.from(`${c.key}:${c.secret}`).toString('base64')}`;
    expect((await call('GET', '/learners/ann/path', undefined, basic(reader))).status).toBe(200);
    expect((await call('GET', '/learners/ann/plans', undefined, basic(reader))).status).toBe(200);
    expect((await call('POST', '/learners/ann/plans', {}, basic(reader))).status).toBe(403);
    expect((await call('GET', '/learners/ann/path', undefined, basic(writer))).status).toBe(403);
    expect((await call('GET', '/learners/ann/plans', undefined, basic(writer))).status).toBe(403);
    expect(await planCount()).toBe(0);
  });

  it('refuses a plan it cannot make, naming why, and writes nothing', async () => {
    // Mail off: no plan, since it could not be sent.
    expect((await call('POST', '/learners/ann/plans', {})).body.error.code).toBe('mail_disabled');
    await sdk.setMailSettings({ enabled: true, host: '127.0.0.1', port: box.port, secure: false, user: AUTH.user, password: AUTH.password, from: 'credits@clinic.example', language: 'en', deadlineDays: 10 });
    for (const [path, body, status, text] of [
      ['/learners/ann/plans', { maxMinutesPerWeek: 1 }, 400, 'maxMinutesPerWeek'],
      ['/learners/ann/plans', { note: '' }, 400, 'note'],
      ['/learners/ann/plans', { period: 'soon' }, 400, 'period'],
      ['/learners/ann/plans', { pace: 3 }, 400, 'pace'],
      ['/learners/ghost/plans', {}, 404, 'learnerId'],
      ['/learners/done/plans', {}, 409, 'at risk'],
    ] as const) {
      const r = await call('POST', path, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(JSON.stringify(r.body.error), JSON.stringify(body)).toContain(text);
    }
    expect(await planCount()).toBe(0);
    await server.outbox.drain();
    expect(box.received).toHaveLength(0);
  });

  it('makes a plan for a learner at risk, mails it to them and their manager once, and tracks its milestones as credits arrive', async () => {
    const made = await call('POST', '/learners/ann/plans', { note: 'Let us talk on Friday.' });
    expect(made.status).toBe(201);
    const plan = made.body.plan;
    expect(plan).toMatchObject({ learnerId: 'ann', period: year(), note: 'Let us talk on Friday.', maxMinutesPerWeek: 180, reachable: true, done: 0, overdue: 0 });
    expect(plan.milestones.map((m: { courseId: string }) => m.courseId)).toEqual(['safety', 'privacy', 'comm-1', 'lead-1', 'comm-2']);
    expect(plan.milestones.every((m: { status: string }) => m.status === 'due')).toBe(true);
    expect(plan.mails).toEqual([
      { to: 'learner', status: 'queued', reminderId: expect.any(String) },
      { to: 'manager', status: 'queued', reminderId: expect.any(String) },
    ]);
    const [toAnn] = await arrived(box, server, 'ann@clinic.example', 1);
    expect(toAnn!.mail.subject).toBe(`Your improvement plan for your ${year()} credits`);
    expect(toAnn!.mail.text).toContain('Let us talk on Friday.');
    expect(toAnn!.mail.text).toContain(`- by ${plan.milestones[0].dueOn}: Patient safety (required, 4 credits)`);
    const [toMgr] = await arrived(box, server, 'li.wei@clinic.example', 1);
    expect(toMgr!.mail.subject).toBe(`Ann Smith 的 ${year()} 年度学分改进计划`);
    expect(toMgr!.mail.text).toContain(`${plan.milestones[0].dueOn} 前：Patient safety（必修，4 学分）`);
    for (let i = 0; (await sdk.reminders({ kind: 'plan' })).some((r) => r.status !== 'delivered'); i++) {
      if (i > 100) throw new Error('the plan mails were never marked delivered');
      await server.outbox.drain();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await sdk.reminders({ kind: 'plan' })).toHaveLength(2);

    // Asking again: the same plan, nothing sent.
    const again = await sdk.createImprovementPlan('ann');
    expect(again).toMatchObject({ created: false, plan: { planId: plan.planId } });
    await server.outbox.drain();
    expect(box.to('ann@clinic.example')).toHaveLength(1);
    expect(box.to('li.wei@clinic.example')).toHaveLength(1);

    // Ann watches the first course: its milestone is done, and the path moves on.
    await watchCourse(server, 'ann', 'safety', 300);
    const [tracked] = await sdk.improvementPlans('ann');
    expect(tracked!.milestones[0]).toMatchObject({ courseId: 'safety', status: 'done', creditedAt: expect.any(String) });
    expect(tracked!.done).toBe(1);
    expect((await sdk.learningPath('ann')).steps.map((s) => s.courseId)).not.toContain('safety');
    // Past the second milestone's day without its credit: overdue.
    const second = tracked!.milestones[1]!;
    server.clock!.set(new Date(`${second.dueOn}T12:00:00Z`));
    server.clock!.advance(86_400);
    const [later] = await sdk.improvementPlans('ann');
    expect(later!.milestones[1]).toMatchObject({ courseId: 'privacy', status: 'overdue' });
    expect(later!.overdue).toBeGreaterThanOrEqual(1);
    expect(later!.milestones[0]!.status).toBe('done');
  });

  it('respects opt-outs and a missing manager: the plan is made, those mails are not sent', async () => {
    server.clock!.set(new Date(`${year()}-06-20T09:00:00Z`));
    const quiet = await sdk.createImprovementPlan('quiet');
    expect(quiet.created).toBe(true);
    expect(quiet.plan.mails).toEqual([
      { to: 'learner', status: 'opted_out', reminderId: null },
      { to: 'manager', status: 'queued', reminderId: expect.any(String) },
    ]);
    const solo = await sdk.createImprovementPlan('solo');
    expect(solo.plan.mails).toEqual([
      { to: 'learner', status: 'queued', reminderId: expect.any(String) },
      { to: 'manager', status: 'no_email', reminderId: null },
    ]);
    await arrived(box, server, 'li.wei@clinic.example', 2);
    await arrived(box, server, 'solo@clinic.example', 1);
    expect(box.to('quiet@clinic.example')).toHaveLength(0);
  });

  it('makes one plan and sends one mail when three requests ask at the same time', async () => {
    const before = await planCount();
    const results = await Promise.all([0, 1, 2].map(() => call('POST', '/learners/twice/plans', {})));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(results.map((r) => r.body.plan.planId)).size).toBe(1);
    expect(await planCount()).toBe(before + 1);
    await arrived(box, server, 'twice@clinic.example', 1);
    await server.outbox.drain();
    expect(box.to('twice@clinic.example')).toHaveLength(1);
  });
});
