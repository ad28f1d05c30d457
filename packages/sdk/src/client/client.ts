import type { z } from 'zod';
import { XcreditError } from './errors.js';
import { courseSchema, launchSchema, learnerCreditsSchema, type Course, type CourseInput, type Launch, type LearnerCredits } from './types.js';

export interface XcreditClientOptions {
  /** The server's base URL, e.g. `https://credits.example.com`. */
  baseUrl: string;
  /** Client key and secret, created with `xcredit create-client`. */
  key: string;
  secret: string;
  /** A fetch implementation; defaults to the global one (Node 20+, browsers). */
  fetch?: typeof fetch;
}

/**
 * The typed client of the xcredit credits API, for HR systems and vendor back ends.
 *
 * @example
 * const xcredit = new XcreditClient({ baseUrl: 'http://localhost:3000', key: 'hr-sync', secret: process.env.XCREDIT_SECRET! });
 * const launch = await xcredit.createLaunch({ learnerId: 'E-1001', courseId: 'fire-safety' });
 */
export class XcreditClient {
  readonly #base: string;
  readonly #auth: string;
  readonly #fetch: typeof fetch;

  constructor(options: XcreditClientOptions) {
    this.#base = `${options.baseUrl.replace(/\/+$/, '')}/api/v1`;
    this.#auth = `Basic ${base64(`${options.key}:${options.secret}`)}`;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /**
   * Creates or replaces a course.
   *
   * @example
   * await xcredit.upsertCourse('fire-safety', { title: 'Fire safety', activityId: 'https://example.com/courses/fire', credits: 2, kind: 'required', lengthSeconds: 900 });
   */
  upsertCourse(courseId: string, course: CourseInput): Promise<Course> {
    return this.#request('PUT', `/courses/${encodeURIComponent(courseId)}`, courseSchema, course);
  }

  /**
   * Starts a launch for one learner and one course; open `playerUrl`, or give `launchToken`
   * to an embedded `<xcredit-player>`.
   *
   * @example
   * const { playerUrl } = await xcredit.createLaunch({ learnerId: 'E-1001', courseId: 'fire-safety' });
   */
  createLaunch(input: { learnerId: string; courseId: string; ttlSeconds?: number }): Promise<Launch> {
    return this.#request('POST', '/launches', launchSchema, input);
  }

  /**
   * A learner's credits for a period (a year; default: the current one), per course.
   *
   * @example
   * const { earned, courses } = await xcredit.getLearnerCredits('E-1001', { period: '2026' });
   */
  getLearnerCredits(learnerId: string, options: { period?: string } = {}): Promise<LearnerCredits> {
    const query = options.period ? `?period=${encodeURIComponent(options.period)}` : '';
    return this.#request('GET', `/learners/${encodeURIComponent(learnerId)}/credits${query}`, learnerCreditsSchema);
  }

  async #request<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    let res: Response;
    try {
      res = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers: { authorization: this.#auth, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch (cause) {
      throw new XcreditError(0, 'unreachable', `could not reach ${this.#base}: ${(cause as Error).message}`, [], { cause });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string; issues?: { path: string; message: string }[] } } | undefined)?.error;
      throw new XcreditError(res.status, e?.code ?? 'http_error', e?.message ?? `${method} ${path} answered ${res.status}`, e?.issues ?? []);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new XcreditError(res.status, 'unexpected_response', `${method} ${path}: unexpected response shape (${parsed.error.issues[0]?.message})`);
    return parsed.data;
  }
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
