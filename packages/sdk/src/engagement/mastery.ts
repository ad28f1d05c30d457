import { scoreResponse, type Question } from './questions.js';

/** An `answered` statement as the server saw it. */
export interface AnswerEvent {
  sessionId: string;
  questionId: string;
  response: string;
  receivedAt: number;
  /** What the client claimed (`result.success`); kept only to flag a false claim. */
  claimedSuccess?: boolean | undefined;
}

export interface QuestionResult {
  id: string;
  /** 1-based position in the course, for people. */
  number: number;
  answered: boolean;
  /** Best over sessions of each session's first answer. */
  correct: boolean;
}

export interface MasteryResult {
  /** Share of the course's questions answered correctly; 1 when it has none. */
  mastery: number;
  questions: QuestionResult[];
  /** Questions where the client claimed success for a wrong answer. */
  falseClaims: number[];
}

/**
 * Scores answers on the server. Within a session only the first answer to a question counts
 * (no guessing until right); across sessions the best counts, so a learner who retakes the
 * course can improve.
 */
export function assessAnswers(questions: readonly Question[], answers: readonly AnswerEvent[]): MasteryResult {
  const byId = new Map(questions.map((q, i) => [q.id, { q, number: i + 1 }]));
  const firstPerSession = new Map<string, AnswerEvent>();
  for (const a of [...answers].sort((x, y) => x.receivedAt - y.receivedAt)) {
    const key = `${a.sessionId}\u0000${a.questionId}`;
    if (byId.has(a.questionId) && !firstPerSession.has(key)) firstPerSession.set(key, a);
  }
  const best = new Map<string, 0 | 1>();
  const falseClaims = new Set<number>();
  for (const a of firstPerSession.values()) {
    const { q, number } = byId.get(a.questionId)!;
    const score = scoreResponse(q, a.response);
    best.set(q.id, Math.max(best.get(q.id) ?? 0, score) as 0 | 1);
    if (score === 0 && a.claimedSuccess === true) falseClaims.add(number);
  }
  const results = questions.map((q, i) => ({ id: q.id, number: i + 1, answered: best.has(q.id), correct: best.get(q.id) === 1 }));
  const mastery = questions.length === 0 ? 1 : results.filter((r) => r.correct).length / questions.length;
  return { mastery, questions: results, falseClaims: [...falseClaims].sort((a, b) => a - b) };
}
