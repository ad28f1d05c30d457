import { DEFAULT_POLICY, type CreditPolicy, type PublicQuestion, type QuestionType } from '@xcredit/sdk';
import { authorization } from './auth.js';
import { readError } from './outbox.js';

/** A launch as `GET {apiBase}launches/current` returns it: one learner, one course, one token. */
export interface Launch {
  learnerId: string;
  courseId: string;
  actor: Record<string, unknown>;
  registration: string;
  activityId: string;
  course: { title: string; lengthSeconds: number; videoUrl: string; captionsUrl?: string };
  policy: PlayerPolicy;
  /** In-video questions, without their answers, ordered by `at`. */
  questions: PublicQuestion[];
  expiresAt: string;
}

/** The parts of the course policy the player applies (the server applies all of it). */
export type PlayerPolicy = Pick<CreditPolicy, 'maxRate' | 'seekLock' | 'pauseWhenHidden' | 'idleSeconds' | 'promptTimeoutSeconds'> & { gates: Pick<CreditPolicy['gates'], 'coverage'> };

/** `untrusted`: a cmi5 launch URL or LMS.LaunchData names an address the player will not use. */
export type LaunchErrorCode = 'missing-attribute' | 'unauthorized' | 'forbidden' | 'not-found' | 'network' | 'invalid' | 'course-mismatch' | 'untrusted';

/** Why the player cannot start; `code` picks the message shown to the learner. */
export class LaunchError extends Error {
  constructor(
    readonly code: LaunchErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LaunchError';
  }
}

/**
 * The xAPI endpoint as an absolute URL without trailing slashes, so `${endpoint}/statements`
 * is always right; a relative endpoint (`/xapi`) is taken relative to `base`.
 *
 * @example
 * normalizeEndpoint('http://localhost:3000/xapi/'); // 'http://localhost:3000/xapi'
 * normalizeEndpoint('/xapi', 'http://localhost:3000/demo'); // 'http://localhost:3000/xapi'
 */
export function normalizeEndpoint(endpoint: string, base?: string): string {
  const url = base ? new URL(endpoint.trim(), base).href : endpoint.trim();
  return url.replace(/\/+$/, '');
}

/**
 * The credits API base: the `api-base` attribute, else `/api/v1/` beside the xAPI endpoint.
 *
 * @example
 * apiBaseFor('http://localhost:3000/xapi'); // 'http://localhost:3000/api/v1/'
 */
export function apiBaseFor(endpoint: string, apiBase?: string | null): string {
  if (apiBase) return apiBase.endsWith('/') ? apiBase : `${apiBase}/`;
  return new URL('../api/v1/', `${normalizeEndpoint(endpoint)}/`).href;
}

/**
 * Fetches the launch the token belongs to.
 *
 * @example
 * const launch = await loadLaunch('http://localhost:3000/api/v1/', token);
 * launch.course.videoUrl;
 */
export async function loadLaunch(apiBase: string, token: string, options: { fetch?: typeof fetch; signal?: AbortSignal } = {}): Promise<Launch> {
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  let res: Response;
  try {
    res = await doFetch(new URL('launches/current', apiBase).href, {
      headers: { Authorization: authorization(token), Accept: 'application/json' },
      signal: options.signal ?? null,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new LaunchError('network', `could not reach ${apiBase}: ${(error as Error).message}`);
  }
  if (!res.ok) throw refusal(res.status, (await readError(res)).message);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new LaunchError('invalid', 'launch response is not JSON', res.status);
  }
  return parseLaunch(body);
}

/** Checks a launch response field by field; a missing policy field takes the default. */
export function parseLaunch(body: unknown): Launch {
  const o = object(body, 'launch');
  const course = object(o.course, 'course');
  const policy = o.policy === undefined ? {} : object(o.policy, 'policy');
  return {
    learnerId: string(o.learnerId, 'learnerId'),
    courseId: string(o.courseId, 'courseId'),
    actor: object(o.actor, 'actor'),
    registration: string(o.registration, 'registration'),
    activityId: string(o.activityId, 'activityId'),
    course: {
      title: string(course.title, 'course.title'),
      lengthSeconds: number(course.lengthSeconds, 'course.lengthSeconds'),
      videoUrl: typeof course.videoUrl === 'string' ? mediaUrl(course.videoUrl, 'course.videoUrl') : '',
      ...(typeof course.captionsUrl === 'string' && course.captionsUrl ? { captionsUrl: mediaUrl(course.captionsUrl, 'course.captionsUrl') } : {}),
    },
    policy: parsePolicy(policy),
    questions: parseQuestions(o.questions),
    expiresAt: typeof o.expiresAt === 'string' ? o.expiresAt : '',
  };
}

function parsePolicy(p: Record<string, unknown>): PlayerPolicy {
  const d = DEFAULT_POLICY;
  const gates = p.gates === undefined ? {} : object(p.gates, 'policy.gates');
  return {
    gates: { coverage: number(gates.coverage ?? d.gates.coverage, 'policy.gates.coverage') },
    maxRate: number(p.maxRate ?? d.maxRate, 'policy.maxRate'),
    seekLock: boolean(p.seekLock ?? d.seekLock, 'policy.seekLock'),
    pauseWhenHidden: boolean(p.pauseWhenHidden ?? d.pauseWhenHidden, 'policy.pauseWhenHidden'),
    idleSeconds: number(p.idleSeconds ?? d.idleSeconds, 'policy.idleSeconds'),
    promptTimeoutSeconds: number(p.promptTimeoutSeconds ?? d.promptTimeoutSeconds, 'policy.promptTimeoutSeconds'),
  };
}

const QUESTION_TYPES: readonly QuestionType[] = ['single-choice', 'multiple-choice', 'true-false', 'fill-in'];

function parseQuestions(v: unknown): PublicQuestion[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid('questions', 'an array');
  return v
    .map((item, i) => {
      const q = object(item, `questions[${i}]`);
      const type = q.type as QuestionType;
      if (!QUESTION_TYPES.includes(type)) throw invalid(`questions[${i}].type`, QUESTION_TYPES.join(', '));
      const choices = q.choices === undefined ? undefined : (Array.isArray(q.choices) ? q.choices : []).map((c, j) => {
        const choice = object(c, `questions[${i}].choices[${j}]`);
        return { id: string(choice.id, `questions[${i}].choices[${j}].id`), text: textMap(choice.text, `questions[${i}].choices[${j}].text`) };
      });
      const question: PublicQuestion = {
        id: string(q.id, `questions[${i}].id`),
        at: number(q.at, `questions[${i}].at`),
        type,
        prompt: textMap(q.prompt, `questions[${i}].prompt`),
        answerToContinue: q.answerToContinue === true,
        revealAnswer: q.revealAnswer === true,
      };
      if (choices) question.choices = choices;
      return question;
    })
    .sort((a, b) => a.at - b.at);
}

/** A course's media address: http(s) or a path on the LRS, as the server accepts them; never a script URL. */
function mediaUrl(v: string, path: string): string {
  if (v === '' || /^https?:\/\//i.test(v) || v.startsWith('/')) return v;
  throw invalid(path, 'an http(s) URL or a path starting with /');
}

function textMap(v: unknown, path: string): Record<string, string> {
  const o = object(v, path);
  return Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function object(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(path, 'an object');
  return v as Record<string, unknown>;
}
function string(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') throw invalid(path, 'a non-empty string');
  return v;
}
function number(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(path, 'a number');
  return v;
}
function boolean(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw invalid(path, 'true or false');
  return v;
}
const invalid = (path: string, expected: string) => new LaunchError('invalid', `launch response: ${path} must be ${expected}`);

/** Why the server refused a launch request, as the error the learner is shown. */
export function refusal(status: number, message: string): LaunchError {
  return new LaunchError(status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : status === 404 ? 'not-found' : 'network', message, status);
}
