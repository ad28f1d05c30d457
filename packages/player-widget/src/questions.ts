import {
  formatResponse,
  INTERACTION_ACTIVITY_TYPE,
  INTERACTION_TYPES,
  questionActivityId,
  VerbDisplay,
  Verbs,
  VIDEO_ACTIVITY_TYPE,
  VideoExt,
  XcreditExt,
  type PlayerStatementBase,
  type PublicQuestion,
} from '@xcredit/sdk';
import type { Connection } from './connection.js';
import type { Outbox } from './outbox.js';

/** A learner's answer: choice ids, `true`/`false`, or the typed text. */
export type Answer = string | string[] | boolean;

export interface AnswerContext {
  actor: Record<string, unknown>;
  registration: string;
  /** The course's video activity. */
  activityId: string;
  title: string;
  /** The Video Profile session the question was shown in. */
  sessionId: string | null;
}

/** The `answered` statement the player sends; no success or score, the server scores it. */
export interface AnsweredStatement
  extends PlayerStatementBase<{
    type: string;
    name: Record<string, string>;
    description: Record<string, string>;
    interactionType: 'choice' | 'true-false' | 'fill-in';
    choices?: { id: string; description: Record<string, string> }[];
  }> {
  result: { response: string; extensions: Record<string, unknown> };
  context: {
    registration: string;
    contextActivities: { parent: { objectType: 'Activity'; id: string; definition: { type: string; name: Record<string, string> } }[] };
    extensions: Record<string, unknown>;
  };
}

/**
 * The `answered` statement for a learner's answer to an in-video question, as a
 * `cmi.interaction` activity under the video.
 *
 * @example
 * answeredStatement(question, ['b'], { actor, registration, activityId, title, sessionId }, { id: crypto.randomUUID(), timestamp: new Date().toISOString() });
 */
export function answeredStatement(question: PublicQuestion, answer: Answer, ctx: AnswerContext, meta: { id: string; timestamp: string }): AnsweredStatement {
  const definition: AnsweredStatement['object']['definition'] = {
    type: INTERACTION_ACTIVITY_TYPE,
    name: languageMap({ en: `Question ${question.id}` }),
    description: languageMap(question.prompt),
    interactionType: INTERACTION_TYPES[question.type],
  };
  if (question.choices && question.type !== 'true-false') {
    definition.choices = question.choices.map((c) => ({ id: c.id, description: languageMap(c.text) }));
  }
  const extensions: Record<string, unknown> = {};
  if (ctx.sessionId) extensions[VideoExt.sessionId] = ctx.sessionId;
  return {
    id: meta.id,
    actor: ctx.actor,
    verb: { id: Verbs.answered, display: { 'en-US': VerbDisplay.answered } },
    object: { objectType: 'Activity', id: questionActivityId(ctx.activityId, question.id), definition },
    result: { response: formatResponse(question, answer), extensions: { [XcreditExt.questionTime]: question.at } },
    context: {
      registration: ctx.registration,
      contextActivities: {
        parent: [{ objectType: 'Activity', id: ctx.activityId, definition: { type: VIDEO_ACTIVITY_TYPE, name: { 'en-US': ctx.title } } }],
      },
      extensions,
    },
    timestamp: meta.timestamp,
  };
}

/** What the server says about the learner's latest answer once it has the `answered` statement. */
export interface AnswerFeedback {
  answered: boolean;
  correct: boolean;
  /** Further attempts the policy still allows (the server counts them across sessions and launches). */
  attemptsLeft?: number;
  /** After a wrong answer: watch this part of the video (media seconds) again, then try again. */
  retryAfterRewatch?: { from: number; to: number };
  /** Only where the course reveals answers. */
  correctResponses?: string[];
}

/**
 * Asks the server how an answer scored.
 *
 * @example
 * const feedback = await fetchFeedback(connection, 'q1');
 */
export async function fetchFeedback(connection: Connection, questionId: string): Promise<AnswerFeedback | null> {
  try {
    const res = await connection.api(`launches/current/answers/${encodeURIComponent(questionId)}`);
    if (!res.ok) return null;
    const body = (await res.json()) as Partial<AnswerFeedback>;
    if (typeof body.answered !== 'boolean' || typeof body.correct !== 'boolean') return null;
    const feedback: AnswerFeedback = { answered: body.answered, correct: body.correct };
    if (typeof body.attemptsLeft === 'number') feedback.attemptsLeft = body.attemptsLeft;
    const r = body.retryAfterRewatch;
    if (r && typeof r.from === 'number' && typeof r.to === 'number') feedback.retryAfterRewatch = { from: r.from, to: r.to };
    if (Array.isArray(body.correctResponses)) feedback.correctResponses = body.correctResponses.map(String);
    return feedback;
  } catch {
    return null;
  }
}

/**
 * What the server made of an answer once its `answered` statement is delivered: sends what is
 * queued, then asks for the verdict; null while that statement is still queued (offline, the
 * server failing), whatever else the outbox still holds, or when the server cannot say.
 *
 * @example
 * const feedback = await deliveredFeedback(outbox, connection, statement.id, 'q1');
 */
export async function deliveredFeedback(outbox: Pick<Outbox, 'flush' | 'holds'> | null, connection: Connection, statementId: string, questionId: string): Promise<AnswerFeedback | null> {
  if (outbox) {
    await outbox.flush();
    if (outbox.holds(statementId)) return null;
  }
  return fetchFeedback(connection, questionId);
}

/**
 * The question whose time playback just crossed, going from `from` to `to` by playing (a seek
 * does not trigger the questions it jumps over).
 *
 * @example
 * dueQuestion(questions, new Set(), 9.8, 10.05); // the question at 10 s
 */
export function dueQuestion(questions: readonly PublicQuestion[], asked: ReadonlySet<string>, from: number, to: number): PublicQuestion | undefined {
  if (to - from > 2 || to < from) return undefined;
  return questions.find((q) => !asked.has(q.id) && from <= q.at && q.at <= to);
}

/**
 * After a wrong answer the server names the part of the video to watch again before another
 * attempt counts. Once playback is back at that part's start, the question is no longer
 * "asked": playing on to it opens it again (the server decides whether the attempt counts).
 *
 * @example
 * rearmRetries(retries, asked, video.currentTime); // on each timeupdate while playing
 */
export function rearmRetries(retries: Map<string, { from: number; to: number }>, asked: Set<string>, time: number): void {
  for (const [id, part] of retries) {
    if (time <= part.from + 1) {
      retries.delete(id);
      asked.delete(id);
    }
  }
}

/** Text for a language, falling back to English, then anything. */
export function localized(text: Record<string, string>, lang: string): string {
  return text[lang] ?? text[lang.split('-')[0] ?? ''] ?? text.en ?? text['en-US'] ?? Object.values(text)[0] ?? '';
}

/** Our `{ en, zh-CN }` maps as xAPI language maps (`en` becomes `en-US`). */
function languageMap(text: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(text).map(([k, v]) => [k === 'en' ? 'en-US' : k, v]));
}
