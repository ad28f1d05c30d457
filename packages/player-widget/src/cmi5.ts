import { isoDuration } from '@xcredit/sdk';
import type { Connection } from './connection.js';
import { LaunchError } from './launch.js';

/** The parameters of a cmi5 launch URL. */
export interface Cmi5Launch {
  /** xAPI endpoint, without a trailing slash. */
  endpoint: string;
  fetchUrl: string;
  actor: Record<string, unknown>;
  registration: string;
  activityId: string;
  /** The course token (`xc`) of an exported package's AU URL: another LMS launched this AU. */
  courseToken?: string;
}

/** `LMS.LaunchData`, the LMS's State document for this registration. */
export interface LaunchData {
  contextTemplate: { contextActivities?: Record<string, unknown>; extensions?: Record<string, unknown> };
  launchMode: 'Normal' | 'Browse' | 'Review';
  moveOn?: string;
  returnURL?: string;
  masteryScore?: number;
}

export const CMI5_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/cmi5';
export const MOVEON_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/moveon';
const DEFINED: Record<string, 'initialized' | 'completed' | 'terminated'> = {
  'http://adlnet.gov/expapi/verbs/initialized': 'initialized',
  'http://adlnet.gov/expapi/verbs/completed': 'completed',
  'http://adlnet.gov/expapi/verbs/terminated': 'terminated',
};

/**
 * The cmi5 launch in a page URL, or null when the URL is not one. Without a course token (`xc`)
 * the page is the AU page of the LRS that launched it, so `endpoint` must be its `/xapi` and
 * `fetch` its `/cmi5/fetch/…` on the page's own origin: the learner's token goes to the one, the
 * credentials come from the other. With one, another LMS launched it, and its endpoint and fetch
 * URL may be anywhere http(s): only that LMS's own credential goes there. Anything else throws a
 * LaunchError (`untrusted`) before any request is made.
 *
 * @example
 * cmi5Params(location.href); // { endpoint, fetchUrl, actor, registration, activityId } | null
 */
export function cmi5Params(href: string): Cmi5Launch | null {
  const page = new URL(href);
  const q = page.searchParams;
  const endpoint = q.get('endpoint');
  const fetchUrl = q.get('fetch');
  const actor = q.get('actor');
  const registration = q.get('registration');
  const activityId = q.get('activityId');
  if (!endpoint || !fetchUrl || !actor || !registration || !activityId) return null;
  let parsedActor: Record<string, unknown>;
  try {
    parsedActor = JSON.parse(actor) as Record<string, unknown>;
  } catch {
    return null;
  }
  const courseToken = q.get('xc');
  if (courseToken) {
    // Another LMS: its endpoint and fetch URL are its own; xcredit is reached on this page's origin.
    const lrs = httpUrl(endpoint, 'endpoint');
    return { endpoint: lrs.href.replace(/\/+$/, ''), fetchUrl: httpUrl(fetchUrl, 'fetch').href, actor: parsedActor, registration, activityId, courseToken };
  }
  const lrs = sameOrigin(endpoint, page, 'endpoint');
  const fetchAt = sameOrigin(fetchUrl, page, 'fetch');
  const base = lrs.pathname.replace(/\/+$/, '');
  if (!base.endsWith('/xapi')) throw untrusted(`endpoint: ${endpoint} is not an xcredit xAPI endpoint (…/xapi)`);
  const prefix = base.slice(0, -'/xapi'.length);
  if (lrs.search || lrs.hash || !new RegExp(`^${escapeRegExp(prefix)}/cmi5/fetch/[^/]+/[^/]+$`).test(fetchAt.pathname) || fetchAt.search || fetchAt.hash) {
    throw untrusted(`fetch: ${fetchUrl} is not a fetch URL of the LRS at ${lrs.origin}${base}`);
  }
  return { endpoint: `${lrs.origin}${base}`, fetchUrl: fetchAt.href, actor: parsedActor, registration, activityId };
}

const untrusted = (message: string) => new LaunchError('untrusted', message);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function httpUrl(value: string, name: string): URL {
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || !/^https?:$/.test(url.protocol)) throw untrusted(`${name}: ${value} is not an http(s) URL`);
  return url;
}

/** `value` as a URL on the page's own origin (http or https), else a LaunchError naming `name`. */
function sameOrigin(value: string, page: URL, name: string): URL {
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || !/^https?:$/.test(url.protocol) || url.origin !== page.origin) {
    throw untrusted(`${name}: ${value} is not on this page's origin ${page.origin}; a cmi5 launch is played only from the LRS that issued it`);
  }
  return url;
}

/**
 * A return URL the player may navigate to: absolute http(s) only, so no `javascript:` or
 * `data:` URL can run on this page's origin. Else a LaunchError.
 *
 * @example
 * returnUrlOf('https://lms.example/course/1'); // 'https://lms.example/course/1'
 */
export function returnUrlOf(value: string): string {
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || !/^https?:$/.test(url.protocol)) throw untrusted(`LMS.LaunchData returnURL must be an http(s) URL (got ${value.slice(0, 100)})`);
  return url.href;
}

/**
 * POSTs to the fetch URL, once: its auth-token works only for the first call, so a reload of the
 * same page reuses the one kept in sessionStorage. Returns the Authorization header value.
 */
export async function fetchAuthToken(fetchUrl: string, storage: Storage | null = safeSessionStorage()): Promise<string> {
  const key = `xcredit-cmi5:${fetchUrl}`;
  const kept = storage?.getItem(key);
  if (kept) return kept;
  const res = await fetch(fetchUrl, { method: 'POST' });
  const body = (await res.json().catch(() => ({}))) as { 'auth-token'?: unknown; 'error-text'?: unknown };
  if (!res.ok || typeof body['auth-token'] !== 'string') {
    throw new Error(typeof body['error-text'] === 'string' ? body['error-text'] : `the cmi5 fetch URL answered HTTP ${res.status}`);
  }
  const header = `Basic ${body['auth-token']}`;
  storage?.setItem(key, header);
  return header;
}

/** Reads `LMS.LaunchData` for the launch, through the connection made with its auth-token. */
export async function loadLaunchData(connection: Connection, launch: Cmi5Launch): Promise<LaunchData> {
  const q = new URLSearchParams({ stateId: 'LMS.LaunchData', activityId: launch.activityId, agent: JSON.stringify(launch.actor), registration: launch.registration });
  const res = await connection.xapi(`activities/state?${q}`);
  if (!res.ok) throw new Error(`LMS.LaunchData could not be read (HTTP ${res.status})`);
  const data = (await res.json()) as Partial<LaunchData>;
  return {
    contextTemplate: data.contextTemplate ?? {},
    launchMode: data.launchMode === 'Browse' || data.launchMode === 'Review' ? data.launchMode : 'Normal',
    ...(typeof data.moveOn === 'string' ? { moveOn: data.moveOn } : {}),
    ...(typeof data.returnURL === 'string' ? { returnURL: returnUrlOf(data.returnURL) } : {}),
    ...(typeof data.masteryScore === 'number' ? { masteryScore: data.masteryScore } : {}),
  };
}

interface StatementLike {
  verb: { id: string };
  result?: { duration?: string; extensions?: Record<string, unknown> };
  context?: { contextActivities?: Record<string, unknown>; extensions?: Record<string, unknown> };
}

/**
 * A statement as cmi5 wants it: the LMS's context template merged in, and for the verbs cmi5
 * defines (initialized, completed, terminated) its category (and moveOn's, for completed).
 * Returns null for a statement the launch mode forbids (completed outside Normal mode).
 */
export function applyCmi5<T extends StatementLike>(statement: T, data: LaunchData, sessionSeconds = 0): T | null {
  const defined = DEFINED[statement.verb.id];
  if (defined === 'completed' && data.launchMode !== 'Normal') return null;
  const context = statement.context ?? {};
  const activities: Record<string, unknown[]> = {};
  for (const source of [context.contextActivities ?? {}, data.contextTemplate.contextActivities ?? {}]) {
    for (const [k, v] of Object.entries(source)) activities[k] = [...(activities[k] ?? []), ...(Array.isArray(v) ? v : [v])];
  }
  if (defined) {
    const categories = [{ id: CMI5_CATEGORY }, ...(defined === 'completed' ? [{ id: MOVEON_CATEGORY }] : [])];
    activities.category = [...(activities.category ?? []), ...categories];
  }
  // cmi5's terminated carries the session's length.
  const result = defined === 'terminated' && !statement.result?.duration ? { ...(statement.result ?? {}), duration: isoDuration(sessionSeconds) } : statement.result;
  return {
    ...statement,
    ...(result ? { result } : {}),
    context: { ...context, contextActivities: activities, extensions: { ...(context.extensions ?? {}), ...(data.contextTemplate.extensions ?? {}) } },
  };
}

function safeSessionStorage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}
