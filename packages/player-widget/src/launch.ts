import { ContractError, parsePlayerLaunch, type PlayerLaunch } from '@xcredit/sdk/contracts/wire';
import { authorization } from './auth.js';
import { readError } from './outbox.js';

/** A launch as `GET {apiBase}launches/current` returns it: one learner, one course, one token. */
export type Launch = PlayerLaunch;

/**
 * `untrusted`: a cmi5 launch URL or LMS.LaunchData names an address the player will not use.
 * `not-confirmed`: xcredit refused a launch from another LMS (a changed course token, another LMS).
 */
export type LaunchErrorCode = 'missing-attribute' | 'unauthorized' | 'forbidden' | 'not-found' | 'network' | 'invalid' | 'course-mismatch' | 'untrusted' | 'not-confirmed';

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

/** Checks a launch response against its contract; a missing policy field takes the default. */
export function parseLaunch(body: unknown): Launch {
  try {
    return parsePlayerLaunch(body);
  } catch (error) {
    if (error instanceof ContractError) throw new LaunchError('invalid', `launch response: ${error.message}`);
    throw error;
  }
}

/** Why the server refused a launch request, as the error the learner is shown. */
export function refusal(status: number, message: string): LaunchError {
  return new LaunchError(status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : status === 404 ? 'not-found' : 'network', message, status);
}
