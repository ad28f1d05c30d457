import { coverageTolerance } from './formula.js';
import { scoreResponse, type Question } from './questions.js';
import { clipSegments, coveredSeconds, type Segment } from './segments.js';
import type { VerifiedInterval } from './verify.js';

/** An `answered` statement as the server saw it. */
export interface AnswerEvent {
  sessionId: string;
  questionId: string;
  response: string;
  receivedAt: number;
  /** What the client claimed (`result.success`); kept only to flag a false claim. */
  claimedSuccess?: boolean | undefined;
  /** Receipt time after which this answer's launch no longer earns (taken over), epoch ms. */
  cutoffAt?: number | undefined;
}

/** One answer to a question, and whether it counted. */
export interface AttemptResult {
  /** When the server received it (ISO 8601). */
  at: string;
  correct: boolean;
  counted: boolean;
  /** Plain words: why it counted or why not. */
  reason: string;
}

export interface QuestionResult {
  id: string;
  /** 1-based position in the course, for people. */
  number: number;
  answered: boolean;
  /** A counted attempt was correct. */
  correct: boolean;
  /** Every answer received, in order, counted or not. */
  attempts: AttemptResult[];
  /** Further attempts that may still count (0 once answered correctly or when no retry can count). */
  attemptsLeft: number;
  /** After a wrong counted attempt, until it is done: the media to watch again before a retry counts. */
  retryAfterRewatch?: { from: number; to: number } | undefined;
}

export interface MasteryResult {
  /** Share of the course's questions answered correctly by a counted attempt; 1 when it has none. */
  mastery: number;
  questions: QuestionResult[];
  /** Questions where the client claimed success for a wrong answer. */
  falseClaims: number[];
}

export interface AttemptRules {
  /** Attempts per question that count (the policy's `maxAttempts`). */
  maxAttempts: number;
  /** The learner's verified viewing: a retry counts only after the question's part was watched again. */
  intervals: readonly Pick<VerifiedInterval, 'watched' | 'openedAt' | 'closedAt'>[];
}

/**
 * The part of the video a question covers: from the previous question's time (or the start) to
 * its own. Questions at the same time share the part before them.
 */
export function questionSection(questions: readonly Pick<Question, 'id' | 'at'>[], id: string): Segment {
  const to = questions.find((q) => q.id === id)?.at ?? 0;
  const from = Math.max(0, ...questions.map((q) => q.at).filter((at) => at < to));
  return [from, Math.max(from, to)];
}

/**
 * Scores answers on the server. All answers of one learner to a question in a period are one
 * series of attempts, whatever session or launch sent them: the first counts; after a wrong one,
 * the next counts only if the question's part of the video was watched again (verified intervals
 * opened after that attempt and closed before the next), and at most `maxAttempts` count. After a
 * correct counted attempt nothing more counts. Every attempt is listed with the reason.
 */
export function assessAnswers(questions: readonly Question[], answers: readonly AnswerEvent[], rules: AttemptRules): MasteryResult {
  const max = Math.max(1, Math.floor(rules.maxAttempts));
  const byQuestion = new Map<string, AnswerEvent[]>(questions.map((q) => [q.id, []]));
  // Stable: answers received in the same millisecond keep their stored order.
  for (const a of answers.map((a, i) => ({ a, i })).sort((x, y) => x.a.receivedAt - y.a.receivedAt || x.i - y.i)) byQuestion.get(a.a.questionId)?.push(a.a);
  const falseClaims = new Set<number>();
  const results = questions.map((q, i): QuestionResult => {
    const number = i + 1;
    const section = questionSection(questions, q.id);
    const attempts: AttemptResult[] = [];
    let counted = 0;
    let correct = false;
    let lastWrongAt: number | undefined;
    for (const a of byQuestion.get(q.id) ?? []) {
      const right = scoreResponse(q, a.response) === 1;
      if (!right && a.claimedSuccess === true) falseClaims.add(number);
      const reason = correct
        ? 'not counted: already answered correctly'
        : a.cutoffAt !== undefined && a.receivedAt > a.cutoffAt
          ? 'not counted: sent after a newer launch took over'
          : counted >= max
            ? `not counted: all ${max} attempt${max > 1 ? 's' : ''} used`
            : lastWrongAt !== undefined && !rewatched(rules.intervals, section, lastWrongAt, a.receivedAt)
              ? `not counted: ${span(section)} not watched again since the previous wrong answer`
              : null;
      const counts = reason === null;
      attempts.push({
        at: new Date(a.receivedAt).toISOString(),
        correct: right,
        counted: counts,
        reason: reason ?? (counted === 0 ? 'counted: first attempt' : `counted: attempt ${counted + 1} of ${max}, after watching ${span(section)} again`),
      });
      if (!counts) continue;
      counted++;
      if (right) correct = true;
      else lastWrongAt = a.receivedAt;
    }
    // A question at the very start has nothing to watch again: its first answer is its only one.
    const attemptsLeft = correct || (lastWrongAt !== undefined && section[1] <= section[0]) ? 0 : max - counted;
    const rewatchDue = lastWrongAt !== undefined && attemptsLeft > 0 && !rewatched(rules.intervals, section, lastWrongAt, Number.POSITIVE_INFINITY);
    return {
      id: q.id,
      number,
      answered: attempts.length > 0,
      correct,
      attempts,
      attemptsLeft,
      ...(rewatchDue ? { retryAfterRewatch: { from: section[0], to: section[1] } } : {}),
    };
  });
  const mastery = questions.length === 0 ? 1 : results.filter((r) => r.correct).length / questions.length;
  return { mastery, questions: results, falseClaims: [...falseClaims].sort((a, b) => a - b) };
}

/**
 * Whether the section was watched again between two attempts: what verified intervals opened
 * after the first and closed before the second watched covers the section, but for the timing
 * tolerance a complete viewing is allowed. An empty section has nothing to watch again.
 */
function rewatched(intervals: AttemptRules['intervals'], [from, to]: Segment, after: number, before: number): boolean {
  if (to <= from) return false;
  const watched = intervals.filter((i) => i.openedAt > after && i.closedAt <= before).flatMap((i) => i.watched);
  const covered = coveredSeconds(clipSegments(watched.map(([a, b]): Segment => [a - from, b - from]), to - from));
  return to - from - covered <= coverageTolerance(to - from);
}

const span = ([from, to]: Segment) => `${clock(from)}–${clock(to)}`;
/** Media time as people read it: "1:05", "0:00". */
const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
