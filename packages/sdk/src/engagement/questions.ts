/**
 * In-video questions. The server keeps the correct answers; the player receives a question
 * without them (`PublicQuestion`) and sends the learner's response in an `answered` statement.
 */
export type QuestionType = 'single-choice' | 'multiple-choice' | 'true-false' | 'fill-in';

export interface QuestionChoice {
  id: string;
  /** Text per language, e.g. `{ en: 'Water', 'zh-CN': '水' }`. */
  text: Record<string, string>;
}

export interface PublicQuestion {
  id: string;
  /** Media time, in seconds, at which the question appears. */
  at: number;
  type: QuestionType;
  prompt: Record<string, string>;
  /** For single- and multiple-choice. */
  choices?: QuestionChoice[];
  /** The video waits until the learner answers. */
  answerToContinue: boolean;
  /** The correct response may be shown to the learner (after they answer). */
  revealAnswer: boolean;
}

export interface Question extends PublicQuestion {
  /**
   * Correct responses: choice ids for choice questions, `"true"`/`"false"`, or accepted texts
   * for fill-in (compared trimmed and case-insensitively).
   */
  correct: string[];
}

/** The xAPI `interactionType` of each question type. */
export const INTERACTION_TYPES: Record<QuestionType, 'choice' | 'true-false' | 'fill-in'> = {
  'single-choice': 'choice',
  'multiple-choice': 'choice',
  'true-false': 'true-false',
  'fill-in': 'fill-in',
};

/** The xAPI response string for a learner's answer (choice ids joined by `[,]`). */
export function formatResponse(question: Pick<PublicQuestion, 'type'>, answer: string | string[] | boolean): string {
  if (question.type === 'true-false') return String(answer === true || answer === 'true');
  if (Array.isArray(answer)) return answer.join('[,]');
  return String(answer);
}

/** Scores a response against a question's correct answers: 1 or 0. */
export function scoreResponse(question: Pick<Question, 'type' | 'correct'>, response: string): 0 | 1 {
  switch (question.type) {
    case 'single-choice':
    case 'true-false':
      return question.correct.includes(response.trim()) ? 1 : 0;
    case 'multiple-choice': {
      const given = new Set(response.split('[,]').map((s) => s.trim()).filter(Boolean));
      const want = new Set(question.correct);
      return given.size === want.size && [...want].every((c) => given.has(c)) ? 1 : 0;
    }
    case 'fill-in': {
      const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');
      return question.correct.some((c) => norm(c) === norm(response)) ? 1 : 0;
    }
  }
}

/** The question as the browser may see it: without its correct answers. */
export function publicQuestion({ correct: _correct, ...rest }: Question): PublicQuestion {
  return rest;
}
