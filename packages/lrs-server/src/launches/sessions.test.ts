import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { questionActivityId, Verbs, VideoExt } from '@xcredit/sdk/xapi';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('launch sessions on %s', (engine) => {
  let server: TestServer;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const asPlayer = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const issued = new Map<string, string>();
  /** A heartbeat in the launch's server-issued session (issued on first use). */
  const beat = async (token: string) => {
    if (!issued.has(token)) issued.set(token, (await asPlayer(token, 'POST', '/launches/current/sessions')).body.sessionId);
    return asPlayer(token, 'POST', '/launches/current/heartbeat', { sessionId: issued.get(token), time: 0, playing: true });
  };
  const question = { id: 'q1', at: 5, type: 'multiple-choice', prompt: { en: 'Pick two', 'zh-CN': '选两个' }, choices: [{ id: 'a', text: { en: 'A' } }, { id: 'b', text: { en: 'B' } }, { id: 'c', text: { en: 'C' } }], correct: ['a', 'c'], answerToContinue: true };

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    const course = (id: string, extra: object) => ({ title: id, activityId: `https://example.com/courses/${id}`, credits: 1, kind: 'elective', lengthSeconds: 30, ...extra });
    expect((await admin('PUT', '/courses/open', course('open', { questions: [question, { ...question, id: 'q2', revealAnswer: true }] }))).status).toBe(201);
    expect((await admin('PUT', '/courses/single', course('single', { policy: { sessionMode: 'refuse' } }))).status).toBe(201);
  });
  afterAll(() => server?.close());

  it('gives the player its questions without the answers', async () => {
    const l = (await admin('POST', '/launches', { learnerId: 'p1', courseId: 'open' })).body;
    const current = (await asPlayer(l.launchToken, 'GET', '/launches/current')).body;
    expect(current.questions).toHaveLength(2);
    expect(current.questions[0]).toEqual({ id: 'q1', at: 5, type: 'multiple-choice', prompt: question.prompt, choices: question.choices, answerToContinue: true, revealAnswer: false });
    expect(JSON.stringify(current)).not.toContain('correct"');
  });

  it('tells an older session it was taken over, and keeps its statements', async () => {
    const first = (await admin('POST', '/launches', { learnerId: 'p2', courseId: 'open' })).body;
    expect((await beat(first.launchToken)).body).toMatchObject({ active: true });
    const second = (await admin('POST', '/launches', { learnerId: 'p2', courseId: 'open' })).body;
    const old = await beat(first.launchToken);
    expect(old.status).toBe(409);
    expect(old.body.error.code).toBe('session_taken_over');
    expect((await beat(second.launchToken)).status).toBe(200);
    const late = await fetch(`${server.url}/xapi/statements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
      body: JSON.stringify({ actor: first.actor, verb: { id: Verbs.paused }, object: { id: first.activityId }, context: { registration: first.registration }, result: { extensions: { [VideoExt.time]: 3 } } }),
    });
    expect(late.status).toBe(200);
  });

  it('refuses a second launch while one is active when the course allows one session, and frees it on terminate', async () => {
    const first = (await admin('POST', '/launches', { learnerId: 'p3', courseId: 'single' })).body;
    await beat(first.launchToken);
    const refused = await admin('POST', '/launches', { learnerId: 'p3', courseId: 'single' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('session_active');
    await fetch(`${server.url}/xapi/statements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
      body: JSON.stringify({ actor: first.actor, verb: { id: Verbs.terminated }, object: { id: first.activityId }, context: { registration: first.registration }, result: { extensions: { [VideoExt.time]: 0 } } }),
    });
    expect((await admin('POST', '/launches', { learnerId: 'p3', courseId: 'single' })).status).toBe(201);
    // A session silent for longer than the heartbeat window is no longer active either.
    const idle = (await admin('POST', '/launches', { learnerId: 'p4', courseId: 'single' })).body;
    await beat(idle.launchToken);
    server.clock!.advance(60);
    expect((await admin('POST', '/launches', { learnerId: 'p4', courseId: 'single' })).status).toBe(201);
  });

  it('scores answers on the server and reveals the right one only where allowed', async () => {
    const l = (await admin('POST', '/launches', { learnerId: 'p5', courseId: 'open' })).body;
    const answer = (q: string, response: string) =>
      fetch(`${server.url}/xapi/statements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${l.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
        body: JSON.stringify({ actor: l.actor, verb: { id: Verbs.answered }, object: { id: questionActivityId(l.activityId, q) }, context: { registration: l.registration }, result: { response, success: true } }),
      });
    expect((await asPlayer(l.launchToken, 'GET', '/launches/current/answers/q1')).body).toEqual({ answered: false, correct: false, attemptsLeft: 3 });
    await answer('q1', 'a[,]b');
    const wrong = { answered: true, correct: false, attemptsLeft: 2, retryAfterRewatch: { from: 0, to: 5 } };
    expect((await asPlayer(l.launchToken, 'GET', '/launches/current/answers/q1')).body).toEqual(wrong);
    await answer('q1', 'a[,]c'); // a retry without watching the question's part again does not count
    expect((await asPlayer(l.launchToken, 'GET', '/launches/current/answers/q1')).body).toEqual(wrong);
    await answer('q2', 'c[,]a');
    expect((await asPlayer(l.launchToken, 'GET', '/launches/current/answers/q2')).body).toEqual({ answered: true, correct: true, attemptsLeft: 0, correctResponses: ['a', 'c'] });
    expect((await asPlayer(l.launchToken, 'GET', '/launches/current/answers/nope')).status).toBe(404);
  });

  it('rejects a malformed heartbeat, naming the field', async () => {
    const l = (await admin('POST', '/launches', { learnerId: 'p6', courseId: 'open' })).body;
    const bad = await asPlayer(l.launchToken, 'POST', '/launches/current/heartbeat', { sessionId: 's', time: -1, playing: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/time.*playing|playing.*time/s);
  });

  it('issues player sessions to a launch, stores their heartbeats, and refuses a taken-over launch', async () => {
    const l = (await admin('POST', '/launches', { learnerId: 'p7', courseId: 'open' })).body;
    const made = await asPlayer(l.launchToken, 'POST', '/launches/current/sessions');
    expect(made.status).toBe(201);
    // A 30 s video: a heartbeat every 4 s, so what is verified moves while it plays.
    expect(made.body).toEqual({ sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/), heartbeatSeconds: 4 });
    const again = await asPlayer(l.launchToken, 'POST', '/launches/current/sessions');
    expect(again.body.sessionId).not.toBe(made.body.sessionId);
    const sentAt = new Date(server.clock!().getTime() - 1000).toISOString();
    const ok = await asPlayer(l.launchToken, 'POST', '/launches/current/heartbeat', { sessionId: made.body.sessionId, time: 12.5, playing: true, sentAt });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ active: true, verified: { coverage: 0, watchedSeconds: 0, earned: 0, credits: 1 } });
    const rows = await server.store.db.selectFrom('heartbeats').selectAll().where('registration', '=', l.registration).execute();
    expect(rows.map((r) => ({ session: r.session_id, time: r.media_time, playing: r.playing, sentAt: new Date(r.sent_at!).toISOString() }))).toEqual([
      { session: made.body.sessionId, time: 12.5, playing: true, sentAt },
    ]);
    const badTime = await asPlayer(l.launchToken, 'POST', '/launches/current/heartbeat', { sessionId: made.body.sessionId, time: 1, playing: true, sentAt: 'yesterday' });
    expect(badTime.status).toBe(400);
    expect(badTime.body.error.message).toContain('sentAt');
    await admin('POST', '/launches', { learnerId: 'p7', courseId: 'open' });
    const taken = await asPlayer(l.launchToken, 'POST', '/launches/current/sessions');
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('session_taken_over');
    // Client keys are not launches.
    expect((await admin('POST', '/launches/current/sessions')).status).toBe(403);
  });

  it('verifies and credits the viewing while it plays, heartbeat by heartbeat, before any pause', async () => {
    expect((await admin('PUT', '/courses/live', { title: 'Live', activityId: 'https://example.com/courses/live', credits: 2, kind: 'elective', lengthSeconds: 120 })).status).toBe(201);
    const l = (await admin('POST', '/launches', { learnerId: 'p9', courseId: 'live' })).body;
    const made = (await asPlayer(l.launchToken, 'POST', '/launches/current/sessions')).body;
    expect(made.heartbeatSeconds).toBe(15);
    const played = await fetch(`${server.url}/xapi/statements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${l.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
      body: JSON.stringify({ actor: l.actor, verb: { id: Verbs.played }, object: { id: l.activityId }, context: { registration: l.registration, extensions: { [VideoExt.sessionId]: made.sessionId } }, result: { extensions: { [VideoExt.time]: 0 } } }),
    });
    expect(played.status).toBe(200);
    const seen: { coverage: number; earned: number }[] = [];
    for (let t = 15; t <= 105; t += 15) {
      server.clock!.advance(15);
      const answer = await asPlayer(l.launchToken, 'POST', '/launches/current/heartbeat', { sessionId: made.sessionId, time: t, playing: true, sentAt: server.clock!().toISOString() });
      expect(answer.status).toBe(200);
      seen.push({ coverage: answer.body.verified.coverage, earned: answer.body.verified.earned });
    }
    // Coverage rises with every heartbeat; the credits come once 80% is verified (96 s of 120), not at the end.
    expect(seen.map((v) => v.coverage)).toEqual([0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875]);
    expect(seen.map((v) => v.earned)).toEqual([0, 0, 0, 0, 0, 0, 1.8]);
    const credits = (await admin('GET', '/learners/p9/credits')).body;
    expect(credits.courses[0]).toMatchObject({ courseId: 'live', earned: 1.8, gates: [expect.objectContaining({ name: 'coverage', passed: true })] });
    // A course without questions and without a minimum study time lists only the coverage gate.
    expect(credits.courses[0].gates).toHaveLength(1);
    // A paused player's heartbeat credits nothing more.
    server.clock!.advance(15);
    expect((await asPlayer(l.launchToken, 'POST', '/launches/current/heartbeat', { sessionId: made.sessionId, time: 105, playing: false })).body.verified.coverage).toBe(0.875);
  });

  it('limits how many sessions one launch may open', async () => {
    const l = (await admin('POST', '/launches', { learnerId: 'p8', courseId: 'open' })).body;
    for (let i = 0; i < 100; i++) expect((await asPlayer(l.launchToken, 'POST', '/launches/current/sessions')).status).toBe(201);
    const over = await asPlayer(l.launchToken, 'POST', '/launches/current/sessions');
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('too_many_sessions');
  });
});
