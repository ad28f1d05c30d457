import { describe, expect, it } from 'vitest';
import { assessAnswers, questionSection, type AnswerEvent, type AttemptRules } from './mastery.js';
import type { Question } from './questions.js';

const t0 = Date.UTC(2026, 2, 1);
const at = (sec: number) => t0 + sec * 1000;
const choice = (id: string, when: number, correct = 'a'): Question => ({
  id,
  at: when,
  type: 'single-choice',
  prompt: { en: id },
  choices: ['a', 'b', 'c', 'd'].map((c) => ({ id: c, text: { en: c } })),
  correct: [correct],
  answerToContinue: true,
  revealAnswer: false,
});
const q1 = choice('q1', 100);
const q2 = choice('q2', 300);
const answer = (questionId: string, response: string, sec: number, more: Partial<AnswerEvent> = {}): AnswerEvent => ({
  sessionId: `s-${sec}`,
  questionId,
  response,
  receivedAt: at(sec),
  ...more,
});
/** A verified viewing of media [from, to], opened and closed at these receipt seconds. */
const watched = (from: number, to: number, opened: number, closed: number) => ({ watched: [[from, to] as const], openedAt: at(opened), closedAt: at(closed) });
const rules = (intervals: AttemptRules['intervals'] = [], maxAttempts = 3): AttemptRules => ({ maxAttempts, intervals });

describe('assessAnswers', () => {
  it('counts only the first answer when the others come without watching again, whatever session sent them', () => {
    const answers = [answer('q1', 'b', 10), answer('q1', 'c', 11), answer('q1', 'd', 12), answer('q1', 'a', 13)];
    const r = assessAnswers([q1], answers, rules([watched(0, 100, 0, 9)]));
    expect(r.mastery).toBe(0);
    expect(r.questions[0]!.attempts.map((a) => [a.correct, a.counted])).toEqual([
      [false, true],
      [false, false],
      [false, false],
      [true, false],
    ]);
    expect(r.questions[0]!.attempts[1]!.reason).toBe('not counted: 0:00–1:40 not watched again since the previous wrong answer');
    expect(r.questions[0]).toMatchObject({ answered: true, correct: false, attemptsLeft: 2, retryAfterRewatch: { from: 0, to: 100 } });
    // Once the part is watched again, the next attempt counts: nothing left to rewatch.
    const after = assessAnswers([q1], answers, rules([watched(0, 100, 0, 9), watched(0, 100, 20, 120)]));
    expect(after.questions[0]).toMatchObject({ correct: false, attemptsLeft: 2 });
    expect(after.questions[0]!.retryAfterRewatch).toBeUndefined();
  });

  it('counts a retry once the question’s part of the video was watched again in between', () => {
    const r = assessAnswers([q1, q2], [answer('q2', 'b', 400), answer('q2', 'a', 700)], rules([watched(100, 300, 450, 650)]));
    expect(r.mastery).toBe(0.5);
    expect(r.questions[1]!.attempts.map((a) => a.reason)).toEqual(['counted: first attempt', 'counted: attempt 2 of 3, after watching 1:40–5:00 again']);
    expect(r.questions[1]).toMatchObject({ correct: true, attemptsLeft: 0 });
    expect(r.questions[1]!.retryAfterRewatch).toBeUndefined();
  });

  it('does not count a rewatch that began before the wrong answer, ended after the retry, or missed part of the section', () => {
    const tries = [answer('q2', 'b', 400), answer('q2', 'a', 700)];
    for (const viewing of [watched(100, 300, 390, 650), watched(100, 300, 450, 710), watched(110, 300, 450, 650)]) {
      expect(assessAnswers([q1, q2], tries, rules([viewing])).questions[1]!.correct).toBe(false);
    }
    // Two viewings that together cover the section count, as does a little timing noise at its end.
    expect(assessAnswers([q1, q2], tries, rules([watched(100, 200, 450, 500), watched(200, 299.2, 510, 650)])).questions[1]!.correct).toBe(true);
  });

  it('counts at most maxAttempts, each after a rewatch, and keeps the rest', () => {
    const viewings = [watched(0, 100, 20, 40), watched(0, 100, 60, 80), watched(0, 100, 100, 120)];
    const answers = [answer('q1', 'b', 10), answer('q1', 'c', 50), answer('q1', 'a', 90), answer('q1', 'a', 130)];
    const two = assessAnswers([q1], answers, rules(viewings, 2)).questions[0]!;
    expect(two.attempts.map((a) => a.counted)).toEqual([true, true, false, false]);
    expect(two.attempts[2]!.reason).toBe('not counted: all 2 attempts used');
    expect(two).toMatchObject({ correct: false, attemptsLeft: 0 });
    expect(two.retryAfterRewatch).toBeUndefined();
    const three = assessAnswers([q1], answers, rules(viewings, 3)).questions[0]!;
    expect(three.attempts.map((a) => a.counted)).toEqual([true, true, true, false]);
    expect(three.attempts[3]!.reason).toBe('not counted: already answered correctly');
    expect(three.correct).toBe(true);
  });

  it('does not let a later wrong answer undo a counted right one', () => {
    const r = assessAnswers([q1], [answer('q1', 'a', 10), answer('q1', 'b', 20)], rules());
    expect(r.questions[0]).toMatchObject({ correct: true, attemptsLeft: 0 });
    expect(r.mastery).toBe(1);
  });

  it('gives a question at the very start one attempt: there is nothing to watch again', () => {
    const q0 = choice('q0', 0);
    const r = assessAnswers([q0], [answer('q0', 'b', 10), answer('q0', 'a', 100)], rules([watched(0, 600, 20, 90)]));
    expect(r.questions[0]).toMatchObject({ correct: false, attemptsLeft: 0 });
    expect(r.questions[0]!.retryAfterRewatch).toBeUndefined();
  });

  it('does not count answers sent after a newer launch took over', () => {
    const r = assessAnswers([q1], [answer('q1', 'a', 10, { cutoffAt: at(5) })], rules());
    expect(r.questions[0]!.attempts[0]).toMatchObject({ counted: false, reason: 'not counted: sent after a newer launch took over' });
    expect(r.mastery).toBe(0);
  });

  it('flags a claimed success on any wrong attempt and ignores unknown questions', () => {
    const r = assessAnswers([q1], [answer('q1', 'b', 10, { claimedSuccess: true }), answer('nope', 'a', 11)], rules());
    expect(r.falseClaims).toEqual([1]);
    expect(r.questions).toHaveLength(1);
    expect(r.questions[0]!.attempts).toHaveLength(1);
  });

  it('orders attempts by receipt time, keeping the stored order within one millisecond', () => {
    const r = assessAnswers([q1], [answer('q1', 'b', 20), answer('q1', 'a', 10), { ...answer('q1', 'c', 10), sessionId: 'x' }], rules());
    expect(r.questions[0]!.attempts.map((a) => a.correct)).toEqual([true, false, false]);
  });
});

describe('questionSection', () => {
  it('runs from the previous question (or the start) to the question', () => {
    const qs = [choice('a', 100), choice('b', 300), choice('c', 300), choice('d', 50)];
    expect(questionSection(qs, 'd')).toEqual([0, 50]);
    expect(questionSection(qs, 'a')).toEqual([50, 100]);
    expect(questionSection(qs, 'c')).toEqual([100, 300]);
  });
});
