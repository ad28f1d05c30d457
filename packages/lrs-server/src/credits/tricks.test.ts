import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatPlayedSegments } from '@xcredit/sdk/engagement';
import { questionActivityId, Verbs, VideoExt, XcreditExt } from '@xcredit/sdk/xapi';
import { adminCall, learnerViews, openPlayer, startTestServer, type Engine, type LaunchGiven, type TestServer } from '../testing.js';
import { creditEvents } from '../app.js';
import { systemClock } from '../clock.js';
import { recompute } from './recompute.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const CREDITS = 10;
const LENGTH = 600;

/**
 * The known tricks for farming credits, each played against a real server whose clock the test
 * moves, with nothing but the learner's own launch token: every one must earn at most 5% of the
 * course's credits, while an honest viewing earns them all, and a full recompute agrees with
 * what the server computed as statements and heartbeats arrived.
 */
describe.each(engines)('the credit engine against gaming on %s', (engine) => {
  let server: TestServer;
  const api = adminCall(() => server);
  const { launch, earned } = learnerViews(api, 'ethics');
  const flags = async (learnerId: string, courseId = 'ethics') => (await api('GET', `/learners/${learnerId}/courses/${courseId}/engagement`)).flags as { code: string; message: string }[];
  const player = (l: LaunchGiven) => openPlayer(server, l);
  const wait = (seconds: number) => server.clock!.advance(seconds);
  const postRaw = (l: LaunchGiven, path: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${l.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const storedFor = async (registration: string) =>
    Number((await server.store.db.selectFrom('statements').select((eb) => eb.fn.countAll<string>().as('n')).where('launch_registration', '=', registration).executeTakeFirstOrThrow()).n);

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

  it('gives an honest 1x viewing with a pause and a break the full credits, and says so in the heartbeat answer', async () => {
    const p = await player(await launch('honest'));
    await p.heartbeat();
    await p.init();
    await p.play(0);
    await p.watch(200);
    await p.pause(200, { [XcreditExt.focusedSeconds]: 200 });
    await p.wait(600); // a coffee break
    await p.play(200);
    await p.watch(400);
    await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: 400 });
    expect(await earned('honest')).toBe(CREDITS);
    expect(await flags('honest')).toEqual([]);
    expect((await p.heartbeat())?.verified).toEqual({ coverage: 1, watchedSeconds: LENGTH, earned: CREDITS, credits: CREDITS });
  });

  it('refuses statements and heartbeats naming a session the server did not issue for the launch, storing nothing', async () => {
    const l = await launch('inventor');
    const other = await player(await launch('inventor', 'quiz'));
    const p = await player(l);
    await p.play(0);
    const before = await storedFor(l.registration);
    for (const invented of [randomUUID(), other.sessionId, 42]) {
      const forged = p.statement(Verbs.paused, { [VideoExt.time]: 30 });
      const res = await postRaw(l, '/xapi/statements', [p.statement(Verbs.paused, { [VideoExt.time]: 10 }), { ...forged, context: { ...forged.context, extensions: { [VideoExt.sessionId]: invented } } }]);
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error.code).toBe('unknown_session');
      expect(body.error.message).toContain(JSON.stringify(invented));
      const hb = await postRaw(l, '/api/v1/launches/current/heartbeat', { sessionId: String(invented), time: 1, playing: true });
      expect(hb.status).toBe(400);
    }
    expect(await storedFor(l.registration)).toBe(before);
  });

  it('limits many issued sessions of one launch, and many launches, to one timeline', async () => {
    // Seven sessions of one launch, each claiming its part of the video a second apart.
    const l = await launch('sessions');
    const sessions = await Promise.all(Array.from({ length: 7 }, () => player(l)));
    for (const [k, s] of sessions.entries()) {
      await s.play((LENGTH / 7) * k);
      wait(1);
      await s.pause((LENGTH / 7) * (k + 1), { [XcreditExt.focusedSeconds]: LENGTH / 7 });
    }
    expect(await earned('sessions')).toBeLessThanOrEqual(CREDITS * 0.05);
    // Seven launches (each taking over the one before), the same way.
    for (let k = 0; k < 7; k++) {
      const s = await player(await launch('launches'));
      await s.play((LENGTH / 7) * k);
      wait(1);
      await s.pause((LENGTH / 7) * (k + 1), { [XcreditExt.focusedSeconds]: LENGTH / 7 });
    }
    expect(await earned('launches')).toBeLessThanOrEqual(CREDITS * 0.05);
  });

  it('limits paced forgery without evidence: played at 0, the video length later paused at the end', async () => {
    const p = await player(await launch('paced'));
    await p.heartbeat();
    await p.play(0);
    wait(LENGTH);
    await p.pause(LENGTH, { [VideoExt.progress]: 1, [XcreditExt.focusedSeconds]: LENGTH });
    expect(await earned('paced')).toBeLessThanOrEqual(CREDITS * 0.05);
    expect((await flags('paced')).map((f) => f.code)).toContain('unevidenced');
    // Heartbeats saying "paused" are no evidence of playing either.
    const q = await player(await launch('paced-idle'));
    await q.play(0);
    for (let s = 0; s < LENGTH; s += 15) {
      wait(15);
      await q.heartbeat({ time: s + 15, playing: false });
    }
    await q.pause(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
    expect(await earned('paced-idle')).toBeLessThanOrEqual(CREDITS * 0.05);
  });

  it('gives full credits for a viewing with a 2-minute outage whose queue is delivered afterwards', async () => {
    const l = await launch('offline');
    const p = await player(l);
    await p.heartbeat();
    await p.play(0);
    await p.watch(200);
    // Offline for 120 s: heartbeats, pauses and replays wait in the outbox with their own times;
    // one played interval lies wholly inside the outage.
    p.goOffline();
    await p.watch(30);
    await p.pause(230, { [XcreditExt.focusedSeconds]: 230 });
    await p.wait(15);
    await p.play(230);
    await p.watch(30);
    await p.pause(260, { [XcreditExt.focusedSeconds]: 30 });
    await p.wait(15);
    await p.play(260);
    await p.watch(30);
    await p.goOnline();
    await p.watch(LENGTH - 290);
    await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH - 260 });
    expect(await earned('offline')).toBe(CREDITS);
    expect((await flags('offline')).map((f) => f.code)).toEqual(['offline']);
  });

  it('limits a forger who fakes an outage by posting invented queued evidence to what the grace allows', async () => {
    const p = await player(await launch('fake-outage'));
    await p.heartbeat();
    await p.play(0);
    const start = server.clock!().getTime();
    wait(LENGTH);
    for (let s = 15; s < LENGTH; s += 15) await p.heartbeat({ time: s, playing: true, sentAt: new Date(start + s * 1000).toISOString() });
    await p.send({ ...p.statement(Verbs.paused, { [VideoExt.time]: LENGTH, [XcreditExt.focusedSeconds]: LENGTH }), timestamp: new Date(start + LENGTH * 1000).toISOString() });
    expect(await earned('fake-outage')).toBeLessThanOrEqual(CREDITS * 0.05);
    const why = await api('GET', '/learners/fake-outage/courses/ethics/engagement');
    expect(why.seconds.verified).toBeLessThanOrEqual((30 + 180) * 2 + 3);
    expect(why.seconds.offline).toBe(180);
  });

  it('limits forged full played-segments posted seconds after initialized', async () => {
    const p = await player(await launch('forger'));
    await p.init();
    await p.play(0);
    wait(2);
    await p.complete(LENGTH, { [VideoExt.progress]: 1, [VideoExt.playedSegments]: formatPlayedSegments([[0, LENGTH]]), [XcreditExt.focusedSeconds]: LENGTH });
    expect(await earned('forger')).toBeLessThanOrEqual(CREDITS * 0.05);
    expect((await flags('forger')).map((f) => f.message)).toContain('10 min claimed in 2 s');
  });

  it('limits playback at 4x', async () => {
    const p = await player(await launch('speeder'));
    await p.play(0);
    await p.watch(LENGTH / 4, 4);
    await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
    expect(await earned('speeder')).toBeLessThanOrEqual(CREDITS * 0.05);
  });

  it('limits two concurrent sessions watching different halves', async () => {
    const first = await player(await launch('twin'));
    const second = await player(await launch('twin'));
    await first.play(0);
    await second.play(300);
    await second.watch(300);
    await first.pause(300, { [XcreditExt.focusedSeconds]: 300 });
    await second.pause(600, { [XcreditExt.focusedSeconds]: 300 });
    expect(await earned('twin')).toBeLessThanOrEqual(CREDITS * 0.05);
    // Two tabs of one launch share the clock too.
    const l = await launch('tabs');
    const a = await player(l);
    const b = await player(l);
    await a.play(0);
    await b.play(300);
    await b.watch(300);
    await a.pause(300, { [XcreditExt.focusedSeconds]: 300 });
    await b.pause(600, { [XcreditExt.focusedSeconds]: 300 });
    expect(await earned('tabs')).toBeLessThanOrEqual(CREDITS * 0.05);
    expect((await flags('tabs')).map((f) => f.code)).toContain('sessions_overlapped');
  });

  it('limits a video left playing in a background tab', async () => {
    const p = await player(await launch('background'));
    await p.play(0);
    await p.watch(LENGTH);
    await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: 20, [XcreditExt.unattendedSegments]: formatPlayedSegments([[20, LENGTH]]) });
    expect(await earned('background')).toBeLessThanOrEqual(CREDITS * 0.05);
  });

  it("limits an honest learner's statements replayed under another learner's token", async () => {
    const victim = await launch('victim');
    const thief = await launch('thief');
    const honest = await player(victim);
    const history = [honest.statement(Verbs.played, { [VideoExt.time]: 0 }), honest.statement(Verbs.completed, { [VideoExt.time]: LENGTH })];
    // As is: refused, the actor and registration are not the thief's.
    expect((await postRaw(thief, '/xapi/statements', history)).status).toBe(403);
    // Rewritten as the thief's own, in a session the server issued to the thief: stored, but received all at once.
    const rewritten = await player(thief);
    await rewritten.send(
      ...history.map((s) => ({ ...s, id: randomUUID(), actor: thief.actor, context: { registration: thief.registration, extensions: { [VideoExt.sessionId]: rewritten.sessionId } } })),
    );
    expect(await earned('thief')).toBeLessThanOrEqual(CREDITS * 0.05);
  });

  it('limits a wrong answer sent with success: true', async () => {
    const l = await launch('guesser', 'quiz');
    const p = await player(l);
    await p.play(0);
    await p.watch(LENGTH);
    await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
    await p.send(p.statement(Verbs.answered, {}, { object: { id: questionActivityId(l.activityId, 'q1') }, result: { response: 'b', success: true, score: { scaled: 1 } } }));
    expect(await earned('guesser', 'quiz')).toBeLessThanOrEqual(CREDITS * 0.05);
    expect((await flags('guesser', 'quiz')).map((f) => f.message)).toEqual(
      expect.arrayContaining(['answer to question 1 incorrect', 'question 1: the player claimed success for a wrong answer']),
    );
    // The same viewing with the right answer earns everything.
    const good = await launch('knower', 'quiz');
    const k = await player(good);
    await k.play(0);
    await k.watch(LENGTH);
    await k.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
    await k.send(k.statement(Verbs.answered, {}, { object: { id: questionActivityId(good.activityId, 'q1') }, result: { response: 'a' } }));
    expect(await earned('knower', 'quiz')).toBe(CREDITS);
  });

  it('limits a client progress of 1 with little watched', async () => {
    const p = await player(await launch('claimer'));
    await p.play(0);
    await p.watch(30);
    await p.pause(30, { [VideoExt.progress]: 1, [XcreditExt.focusedSeconds]: 30 });
    expect(await earned('claimer')).toBeLessThanOrEqual(CREDITS * 0.05);
    expect((await flags('claimer')).map((f) => f.code)).toContain('progress_overclaimed');
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
    expect((await flags('imported')).map((f) => f.code)).toContain('outside_launch');
  });

  it('computes the same credits in a full recompute as it did as evidence arrived, for every case above', async () => {
    const snapshot = async () =>
      (await server.store.db.selectFrom('engagement').selectAll().orderBy('learner_id').orderBy('course_id').execute()).map((e) => ({
        learner: e.learner_id,
        course: e.course_id,
        coverage: e.coverage,
        attention: e.attention,
        mastery: e.mastery,
        earned: e.earned_tenths,
        verified: e.verified_seconds,
        flags: e.flags,
      }));
    const incremental = await snapshot();
    expect(incremental.map((e) => e.learner)).toEqual(expect.arrayContaining(['honest', 'sessions', 'launches', 'paced', 'offline', 'fake-outage']));
    const result = await recompute(server.store.db, { events: creditEvents(server.clock ?? systemClock) });
    expect(await snapshot()).toEqual(incremental);
    expect(result.ledgerEntries).toBe(0);
  });
});
