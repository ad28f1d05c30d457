import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { questionActivityId, Verbs, XcreditExt } from '@xcredit/sdk/xapi';
import { adminCall, learnerViews, openPlayer, startTestServer, type Engine, type LaunchGiven, type TestServer } from '../testing.js';
import { creditEvents } from '../app.js';
import { systemClock } from '../clock.js';
import { recompute } from './recompute.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const CREDITS = 10;
const LENGTH = 600;
const choices = ['a', 'b', 'c', 'd'].map((id) => ({ id, text: { en: id.toUpperCase() } }));

/**
 * Answers cannot be brute-forced: attempts are counted per learner, question and period across
 * sessions and launches, a retry after a wrong answer counts only after the question's part of the
 * video was watched again, and at most maxAttempts count. Only a launch token is used, as an
 * attacker would have.
 */
describe.each(engines)('answers to in-video questions on %s', (engine) => {
  let server: TestServer;
  const api = adminCall(() => server);
  const { launch, earned, explain } = learnerViews(api, 'quiz');
  const wait = (seconds: number) => server.clock!.advance(seconds);

  /** A player session of a launch, sending with the launch token only. */
  async function player(l: LaunchGiven) {
    const p = await openPlayer(server, l);
    return {
      /** Plays [from, to] at 1x with its heartbeats, then pauses (or completes at the end). */
      async watch(from: number, to: number) {
        await p.play(from);
        await p.heartbeat();
        await p.watch(to - from);
        await (to === LENGTH ? p.complete : p.pause)(to, { [XcreditExt.focusedSeconds]: to - from });
        await p.heartbeat();
      },
      answer: (questionId: string, response: string) => p.send(p.statement(Verbs.answered, {}, { object: { id: questionActivityId(l.activityId, questionId) }, result: { response, success: true } })),
      feedback: async (questionId: string) => (await fetch(`${server.url}/api/v1/launches/current/answers/${questionId}`, { headers: { authorization: `Bearer ${l.launchToken}` } })).json(),
    };
  }

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    const course = (title: string, extra: object) => ({ title, activityId: `https://example.com/courses/${title}`, credits: CREDITS, kind: 'required', lengthSeconds: LENGTH, ...extra });
    const q1 = { id: 'q1', at: 200, type: 'single-choice', prompt: { en: 'Which?' }, choices, correct: ['a'], answerToContinue: true };
    await api('PUT', '/courses/quiz', course('quiz', { questions: [q1] }));
    await api('PUT', '/courses/strict', course('strict', { questions: [{ ...q1, revealAnswer: true }], policy: { maxAttempts: 2 } }));
  });
  afterAll(() => server?.close());

  it('counts only the first answer when every choice is re-posted under new sessions and launches', async () => {
    // The baseline: the same viewing answered right earns everything.
    const honest = await player(await launch('knows'));
    await honest.watch(0, 200);
    await honest.answer('q1', 'a');
    await honest.watch(200, LENGTH);
    expect(await earned('knows')).toBe(CREDITS);

    const first = await launch('brute');
    const p = await player(first);
    await p.watch(0, 200);
    await p.answer('q1', 'b');
    await p.watch(200, LENGTH);
    wait(5);
    for (const choice of ['c', 'd', 'a']) await (await player(first)).answer('q1', choice);
    for (const choice of ['a', 'b', 'c', 'd']) {
      wait(5);
      await (await player(await launch('brute'))).answer('q1', choice);
    }
    expect(await earned('brute')).toBeLessThanOrEqual(CREDITS * 0.05);
    const why = await explain('brute');
    expect(why.factors.mastery).toBe(0);
    expect(why.gates.find((g: { name: string }) => g.name === 'mastery').passed).toBe(false);
    const attempts = why.questions[0].attempts;
    expect(attempts).toHaveLength(8);
    expect(attempts.map((a: { counted: boolean }) => a.counted)).toEqual([true, false, false, false, false, false, false, false]);
    expect(attempts[0]).toMatchObject({ correct: false, reason: 'counted: first attempt' });
    expect(attempts[3]).toMatchObject({ correct: true, reason: 'not counted: 0:00–3:20 not watched again since the previous wrong answer' });
    expect(new Date(attempts[0].at).getTime()).toBeLessThan(new Date(attempts[1].at).getTime());
    // The player's feedback, from any of the learner's launches, says what a retry needs.
    const latest = await player(await launch('brute'));
    expect(await latest.feedback('q1')).toEqual({ answered: true, correct: false, attemptsLeft: 2, retryAfterRewatch: { from: 0, to: 200 } });
  });

  it("counts a retry once the question's part of the video was watched again, in any launch", async () => {
    const p = await player(await launch('rewatcher'));
    await p.watch(0, 200);
    await p.answer('q1', 'b');
    await p.watch(200, LENGTH);
    expect(await earned('rewatcher')).toBe(0);
    // A later launch, seeking back to watch 0:00–3:20 again before answering.
    const again = await player(await launch('rewatcher'));
    await again.watch(0, 200);
    expect(await again.feedback('q1')).toEqual({ answered: true, correct: false, attemptsLeft: 2 });
    await again.answer('q1', 'a');
    expect(await again.feedback('q1')).toEqual({ answered: true, correct: true, attemptsLeft: 0 });
    expect(await earned('rewatcher')).toBe(CREDITS);
    const attempts = (await explain('rewatcher')).questions[0].attempts;
    expect(attempts.map((a: { counted: boolean; correct: boolean }) => [a.counted, a.correct])).toEqual([
      [true, false],
      [true, true],
    ]);
    expect(attempts[1].reason).toBe('counted: attempt 2 of 3, after watching 0:00–3:20 again');

    // Watching only part of it again is not enough.
    const s = await player(await launch('skimmer'));
    await s.watch(0, 200);
    await s.answer('q1', 'b');
    await s.watch(200, LENGTH);
    const skim = await player(await launch('skimmer'));
    await skim.watch(100, 200);
    await skim.answer('q1', 'a');
    expect(await earned('skimmer')).toBeLessThanOrEqual(CREDITS * 0.05);
    expect((await explain('skimmer')).questions[0].attempts[1]).toMatchObject({ correct: true, counted: false });
  });

  it('keeps attempts beyond maxAttempts without counting them, and reveals the answer only then', async () => {
    const p = await player(await launch('persistent', 'strict'));
    await p.watch(0, 200);
    await p.answer('q1', 'b');
    expect(await p.feedback('q1')).toEqual({ answered: true, correct: false, attemptsLeft: 1, retryAfterRewatch: { from: 0, to: 200 } });
    await p.watch(200, LENGTH);
    await p.watch(0, 200);
    await p.answer('q1', 'c');
    expect(await p.feedback('q1')).toEqual({ answered: true, correct: false, attemptsLeft: 0, correctResponses: ['a'] });
    await p.watch(0, 200);
    await p.answer('q1', 'a');
    expect(await earned('persistent', 'strict')).toBeLessThanOrEqual(CREDITS * 0.05);
    const attempts = (await explain('persistent', 'strict')).questions[0].attempts;
    expect(attempts.map((a: { counted: boolean }) => a.counted)).toEqual([true, true, false]);
    expect(attempts[2]).toMatchObject({ correct: true, reason: 'not counted: all 2 attempts used' });
  });

  it('gives the same credits in a full recompute as incrementally', async () => {
    const learners = ['knows', 'brute', 'rewatcher', 'skimmer', 'persistent'];
    const snapshot = async () =>
      (await server.store.db.selectFrom('engagement').select(['learner_id', 'course_id', 'mastery', 'earned_tenths', 'flags']).where('learner_id', 'in', learners).orderBy('learner_id').orderBy('course_id').execute()).map(
        (e) => ({ ...e }),
      );
    const incremental = await snapshot();
    expect(incremental).toHaveLength(learners.length);
    const result = await recompute(server.store.db, { events: creditEvents(server.clock ?? systemClock) });
    expect(await snapshot()).toEqual(incremental);
    expect(result.ledgerEntries).toBe(0);
  });
});
