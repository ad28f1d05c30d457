import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatPlayedSegments } from '@xcredit/sdk/engagement';
import { questionActivityId, Verbs, VideoExt, XcreditExt } from '@xcredit/sdk/xapi';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const CREDITS = 10;
const LENGTH = 600;

/**
 * The known tricks for farming credits, each played against a real server whose clock the test
 * moves: every one must earn at most 5% of the course's credits, while an honest viewing earns them all.
 */
describe.each(engines)('the credit engine against gaming on %s', (engine) => {
  let server: TestServer;
  const admin = () => ({ authorization: server.admin.authorization, 'content-type': 'application/json' });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: admin(), body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  type Launch = { launchToken: string; registration: string; actor: object; activityId: string };
  const launch = (learnerId: string, courseId = 'ethics'): Promise<Launch> => api('POST', '/launches', { learnerId, courseId });
  const earned = async (learnerId: string, courseId = 'ethics') => {
    const c = await api('GET', `/learners/${learnerId}/credits`);
    return c.courses.find((x: { courseId: string }) => x.courseId === courseId)?.earned ?? 0;
  };

  /** A player session: statements sent with the launch token at the test clock's time. */
  function player(l: Launch, sessionId = randomUUID()) {
    const statement = (verb: string, result: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
      id: randomUUID(),
      actor: l.actor,
      verb: { id: verb },
      object: { id: l.activityId },
      context: { registration: l.registration, extensions: { [VideoExt.sessionId]: sessionId, [VideoExt.length]: LENGTH } },
      result: { extensions: result },
      ...extra,
    });
    const send = async (...statements: object[]) => {
      const res = await fetch(`${server.url}/xapi/statements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${l.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
        body: JSON.stringify(statements),
      });
      if (!res.ok) throw new Error(`statements: ${res.status} ${await res.text()}`);
    };
    return {
      statement,
      send,
      init: () => send(statement(Verbs.initialized)),
      play: (time: number) => send(statement(Verbs.played, { [VideoExt.time]: time })),
      pause: (time: number, more: Record<string, unknown> = {}) => send(statement(Verbs.paused, { [VideoExt.time]: time, ...more })),
      complete: (time: number, more: Record<string, unknown> = {}) => send(statement(Verbs.completed, { [VideoExt.time]: time, ...more })),
    };
  }
  const wait = (seconds: number) => server.clock!.advance(seconds);

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    await api('PUT', '/courses/ethics', { title: 'Ethics', activityId: 'https://example.com/courses/ethics', credits: CREDITS, kind: 'required', lengthSeconds: LENGTH });
    await api('PUT', '/courses/quiz', {
      title: 'Quiz',
      activityId: 'https://example.com/courses/quiz',
      credits: CREDITS,
      kind: 'required',
      lengthSeconds: LENGTH,
      questions: [{ id: 'q1', at: 100, type: 'single-choice', prompt: { en: 'Which?' }, choices: [{ id: 'a', text: { en: 'A' } }, { id: 'b', text: { en: 'B' } }], correct: ['a'] }],
    });
  });
  afterAll(() => server?.close());

  it('gives an honest 1x viewing with a pause and a break the full credits', async () => {
    const p = player(await launch('honest'));
    await p.init();
    await p.play(0);
    wait(200);
    await p.pause(200, { [XcreditExt.focusedSeconds]: 200 });
    wait(600); // a coffee break
    await p.play(200);
    wait(400);
    await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: 400 });
    expect(await earned('honest')).toBe(CREDITS);
  });

  it('limits forged full played-segments posted seconds after initialized', async () => {
    const p = player(await launch('forger'));
    await p.init();
    await p.play(0);
    wait(2);
    await p.complete(LENGTH, { [VideoExt.progress]: 1, [VideoExt.playedSegments]: formatPlayedSegments([[0, LENGTH]]), [XcreditExt.focusedSeconds]: LENGTH });
    expect(await earned('forger')).toBeLessThanOrEqual(CREDITS * 0.05);
    const why = await api('GET', '/learners/forger/courses/ethics/engagement');
    expect(why.flags.map((f: { message: string }) => f.message)).toContain('10 min claimed in 2 s');
  });

  it('limits playback at 4x', async () => {
    const p = player(await launch('speeder'));
    await p.play(0);
    wait(LENGTH / 4);
    await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
    expect(await earned('speeder')).toBeLessThanOrEqual(CREDITS * 0.05);
  });

  it('limits two concurrent sessions watching different halves', async () => {
    const first = player(await launch('twin'));
    const second = player(await launch('twin'));
    await first.play(0);
    await second.play(300);
    wait(300);
    await first.pause(300, { [XcreditExt.focusedSeconds]: 300 });
    await second.pause(600, { [XcreditExt.focusedSeconds]: 300 });
    expect(await earned('twin')).toBeLessThanOrEqual(CREDITS * 0.05);
    // Two tabs of one launch share the clock too.
    const l = await launch('tabs');
    const a = player(l);
    const b = player(l);
    await a.play(0);
    await b.play(300);
    wait(300);
    await a.pause(300, { [XcreditExt.focusedSeconds]: 300 });
    await b.pause(600, { [XcreditExt.focusedSeconds]: 300 });
    expect(await earned('tabs')).toBeLessThanOrEqual(CREDITS * 0.05);
    const why = await api('GET', '/learners/tabs/courses/ethics/engagement');
    expect(why.flags.map((f: { code: string }) => f.code)).toContain('sessions_overlapped');
  });

  it('limits a video left playing in a background tab', async () => {
    const p = player(await launch('background'));
    await p.play(0);
    wait(LENGTH);
    await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: 20, [XcreditExt.unattendedSegments]: formatPlayedSegments([[20, LENGTH]]) });
    expect(await earned('background')).toBeLessThanOrEqual(CREDITS * 0.05);
  });

  it("limits an honest learner's statements replayed under another learner's token", async () => {
    const victim = await launch('victim');
    const thief = await launch('thief');
    const sid = randomUUID();
    const honest = player(victim, sid);
    const history = [honest.statement(Verbs.played, { [VideoExt.time]: 0 }), honest.statement(Verbs.completed, { [VideoExt.time]: LENGTH })];
    // As is: refused, the actor and registration are not the thief's.
    const asIs = await fetch(`${server.url}/xapi/statements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${thief.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
      body: JSON.stringify(history),
    });
    expect(asIs.status).toBe(403);
    // Rewritten as the thief's own: stored, but received all at once.
    const rewritten = player(thief, sid);
    await rewritten.send(
      ...history.map((s) => ({ ...s, id: randomUUID(), actor: thief.actor, context: { ...s.context, registration: thief.registration } })),
    );
    expect(await earned('thief')).toBeLessThanOrEqual(CREDITS * 0.05);
  });

  it('limits a wrong answer sent with success: true', async () => {
    const l = await launch('guesser', 'quiz');
    const p = player(l);
    await p.play(0);
    wait(LENGTH);
    await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
    await p.send(
      p.statement(
        Verbs.answered,
        {},
        { object: { id: questionActivityId(l.activityId, 'q1') }, result: { response: 'b', success: true, score: { scaled: 1 } } },
      ),
    );
    expect(await earned('guesser', 'quiz')).toBeLessThanOrEqual(CREDITS * 0.05);
    const why = await api('GET', '/learners/guesser/courses/quiz/engagement');
    expect(why.flags.map((f: { message: string }) => f.message)).toEqual(
      expect.arrayContaining(['answer to question 1 incorrect', 'question 1: the player claimed success for a wrong answer']),
    );
    // The same viewing with the right answer earns everything.
    const good = await launch('knower', 'quiz');
    const k = player(good);
    await k.play(0);
    wait(LENGTH);
    await k.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
    await k.send(k.statement(Verbs.answered, {}, { object: { id: questionActivityId(good.activityId, 'q1') }, result: { response: 'a' } }));
    expect(await earned('knower', 'quiz')).toBe(CREDITS);
  });

  it('limits a client progress of 1 with little watched', async () => {
    const p = player(await launch('claimer'));
    await p.play(0);
    wait(30);
    await p.pause(30, { [VideoExt.progress]: 1, [XcreditExt.focusedSeconds]: 30 });
    expect(await earned('claimer')).toBeLessThanOrEqual(CREDITS * 0.05);
    const why = await api('GET', '/learners/claimer/courses/ethics/engagement');
    expect(why.flags.map((f: { code: string }) => f.code)).toContain('progress_overclaimed');
  });

  it('counts nothing for statements an admin client imports outside a launch, and says so', async () => {
    await launch('imported');
    const actor = { objectType: 'Agent', account: { homePage: 'https://xcredit.dev/tenants/default', name: 'imported' } };
    const st = (verb: string, time: number) => ({ actor, verb: { id: verb }, object: { id: 'https://example.com/courses/ethics' }, result: { extensions: { [VideoExt.time]: time } } });
    wait(1);
    const res = await fetch(`${server.url}/xapi/statements`, {
      method: 'POST',
      headers: { authorization: server.admin.authorization, 'x-experience-api-version': '2.0.0', 'content-type': 'application/json' },
      body: JSON.stringify([st(Verbs.played, 0), st(Verbs.completed, LENGTH)]),
    });
    expect(res.status).toBe(200);
    expect(await earned('imported')).toBe(0);
    const why = await api('GET', '/learners/imported/courses/ethics/engagement');
    expect(why.flags.map((f: { code: string }) => f.code)).toContain('outside_launch');
  });
});
