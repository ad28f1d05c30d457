import { DEFAULT_POLICY, type CreditPolicy } from '../engagement/policy.js';
import type { PublicQuestion, QuestionType } from '../engagement/questions.js';

// The contracts a browser bundle checks without zod: `@xcredit/sdk/contracts/wire` imports no
// validation library. Each guard here has a zod twin in ./responses.ts; contracts.test.ts feeds
// both the same generated bodies and requires the same verdict.

/** A field at fault in an answer, e.g. `course.lengthSeconds`. */
export interface WireIssue {
  path: string;
  message: string;
}

/** Every error the server answers: `{ error: { status, code, message, issues? } }`. */
export interface ErrorBody {
  error: { status: number; code: string; message: string; issues?: WireIssue[]; requestId?: string };
}

/**
 * What an error answer says, read leniently: our `{ error: { code, message, issues } }`, and the
 * `{ message }` or `{ error: "…" }` other LRSs answer. Fields it cannot find are left out, so each
 * caller words its own fallback.
 *
 * @example
 * const { code, message } = readErrorBody(await res.text());
 * throw new Error(message ?? `HTTP ${res.status}`);
 */
export function readErrorBody(text: string): { code?: string; message?: string; issues: WireIssue[] } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { issues: [] };
  }
  if (!isObject(body)) return { issues: [] };
  const error = isObject(body.error) ? body.error : undefined;
  const message = [body.message, body.error, error?.message].find((m): m is string => typeof m === 'string');
  const issues = Array.isArray(error?.issues) ? error.issues.filter((i): i is WireIssue => isObject(i) && typeof i.path === 'string' && typeof i.message === 'string') : [];
  return { ...(typeof error?.code === 'string' ? { code: error.code } : {}), ...(message === undefined ? {} : { message }), issues };
}

/** An answer that breaks its contract; `path` names the field, `expected` what it must be. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path} must be ${expected}`);
  }
}

/** The parts of the course policy the player applies (the server applies all of it). */
export type PlayerPolicy = Pick<CreditPolicy, 'maxRate' | 'seekLock' | 'pauseWhenHidden' | 'idleSeconds' | 'promptTimeoutSeconds'> & { gates: Pick<CreditPolicy['gates'], 'coverage'> };

/** A launch as `GET /launches/current` answers it, checked and with the policy's defaults filled in. */
export interface PlayerLaunch {
  learnerId: string;
  courseId: string;
  actor: Record<string, unknown>;
  registration: string;
  activityId: string;
  /** `videoUrl` is `''` when the course has none (the host page gives `src`). */
  course: { title: string; lengthSeconds: number; videoUrl: string; captionsUrl?: string; reflection?: PlayerReflectionRequirement };
  policy: PlayerPolicy;
  /** In-video questions, without their answers, ordered by `at`. */
  questions: PublicQuestion[];
  expiresAt: string;
}

/** The reflection a course asks for after viewing: its fewest characters (graphemes) and its question. */
export interface PlayerReflectionRequirement {
  minLength: number;
  prompt: string | null;
}

export const QUESTION_TYPES: readonly QuestionType[] = ['single-choice', 'multiple-choice', 'true-false', 'fill-in'];

/** A course's media address: http(s) or a path on the LRS, as the server accepts them; never a script URL. */
export const isMediaUrl = (v: string): boolean => v === '' || /^https?:\/\//i.test(v) || v.startsWith('/');

/**
 * Checks a `GET /launches/current` body field by field and fills in the policy's defaults;
 * throws {@link ContractError} naming the first field at fault.
 *
 * @example
 * const launch = parsePlayerLaunch(await res.json());
 * launch.policy.maxRate; // 2 unless the course says otherwise
 */
export function parsePlayerLaunch(body: unknown): PlayerLaunch {
  const o = object(body, 'launch');
  const course = object(o.course, 'course');
  const policy = optional(o.policy, (p) => object(p, 'policy')) ?? {};
  const captionsUrl = optional(course.captionsUrl, (v) => media(v, 'course.captionsUrl'));
  const reflection = optional(course.reflection, (v): PlayerReflectionRequirement => {
    const r = object(v, 'course.reflection');
    return { minLength: number(r.minLength, 'course.reflection.minLength'), prompt: optional(r.prompt, (p) => string(p, 'course.reflection.prompt')) ?? null };
  });
  return {
    learnerId: string(o.learnerId, 'learnerId'),
    courseId: string(o.courseId, 'courseId'),
    actor: object(o.actor, 'actor'),
    registration: string(o.registration, 'registration'),
    activityId: string(o.activityId, 'activityId'),
    course: {
      title: string(course.title, 'course.title'),
      lengthSeconds: number(course.lengthSeconds, 'course.lengthSeconds'),
      videoUrl: optional(course.videoUrl, (v) => media(v, 'course.videoUrl')) ?? '',
      ...(captionsUrl ? { captionsUrl } : {}),
      ...(reflection ? { reflection } : {}),
    },
    policy: parsePolicy(policy),
    questions: (optional(o.questions, (v) => array(v, 'questions')) ?? []).map(parseQuestion).sort((a, b) => a.at - b.at),
    expiresAt: optional(o.expiresAt, (v) => typeof v === 'string' ? v : fail('expiresAt', 'a string')) ?? '',
  };
}

function parsePolicy(p: Record<string, unknown>): PlayerPolicy {
  const d = DEFAULT_POLICY;
  const gates = optional(p.gates, (g) => object(g, 'policy.gates')) ?? {};
  return {
    gates: { coverage: optional(gates.coverage, (v) => number(v, 'policy.gates.coverage')) ?? d.gates.coverage },
    maxRate: optional(p.maxRate, (v) => number(v, 'policy.maxRate')) ?? d.maxRate,
    seekLock: optional(p.seekLock, (v) => boolean(v, 'policy.seekLock')) ?? d.seekLock,
    pauseWhenHidden: optional(p.pauseWhenHidden, (v) => boolean(v, 'policy.pauseWhenHidden')) ?? d.pauseWhenHidden,
    idleSeconds: optional(p.idleSeconds, (v) => number(v, 'policy.idleSeconds')) ?? d.idleSeconds,
    promptTimeoutSeconds: optional(p.promptTimeoutSeconds, (v) => number(v, 'policy.promptTimeoutSeconds')) ?? d.promptTimeoutSeconds,
  };
}

function parseQuestion(item: unknown, i: number): PublicQuestion {
  const at = `questions[${i}]`;
  const q = object(item, at);
  const type = q.type as QuestionType;
  if (!QUESTION_TYPES.includes(type)) fail(`${at}.type`, QUESTION_TYPES.join(', '));
  const choices = optional(q.choices, (v) =>
    array(v, `${at}.choices`).map((c, j) => {
      const choice = object(c, `${at}.choices[${j}]`);
      return { id: string(choice.id, `${at}.choices[${j}].id`), text: textMap(choice.text, `${at}.choices[${j}].text`) };
    }),
  );
  return {
    id: string(q.id, `${at}.id`),
    at: number(q.at, `${at}.at`),
    type,
    prompt: textMap(q.prompt, `${at}.prompt`),
    ...(choices ? { choices } : {}),
    answerToContinue: optional(q.answerToContinue, (v) => boolean(v, `${at}.answerToContinue`)) ?? false,
    revealAnswer: optional(q.revealAnswer, (v) => boolean(v, `${at}.revealAnswer`)) ?? false,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (path: string, expected: string): never => {
  throw new ContractError(path, expected);
};
/** `undefined` and `null` mean absent, as the server writes an unset column. */
const optional = <T>(v: unknown, check: (v: unknown) => T): T | undefined => (v === undefined || v === null ? undefined : check(v));
const object = (v: unknown, path: string) => (isObject(v) ? v : fail(path, 'an object'));
const array = (v: unknown, path: string) => (Array.isArray(v) ? (v as unknown[]) : fail(path, 'an array'));
const string = (v: unknown, path: string) => (typeof v === 'string' && v !== '' ? v : fail(path, 'a non-empty string'));
const number = (v: unknown, path: string) => (typeof v === 'number' && Number.isFinite(v) ? v : fail(path, 'a number'));
const boolean = (v: unknown, path: string) => (typeof v === 'boolean' ? v : fail(path, 'true or false'));
const media = (v: unknown, path: string) => (typeof v === 'string' && isMediaUrl(v) ? v : fail(path, 'an http(s) URL or a path starting with /'));
function textMap(v: unknown, path: string): Record<string, string> {
  const o = object(v, path);
  for (const [lang, t] of Object.entries(o)) if (typeof t !== 'string') fail(`${path}.${lang}`, 'a string');
  return o as Record<string, string>;
}
