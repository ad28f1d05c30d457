import type { NextFunction, Request, Response } from 'express';
import { questionActivityId } from '@xcredit/sdk/xapi';
import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Db } from '../db/index.js';
import { badText } from '../edge.js';
import { HttpError } from '../http-error.js';
import { allows, type Scope } from './scopes.js';
import { sha256 } from './secrets.js';
import { clientByKey, signIn, unauthorized, type SignedInClient } from './sign-in.js';
import { DEFAULT_LIMITS, type SignInThrottle } from './throttle.js';

export interface Tenant {
  id: string;
  homePage: string;
}

/** Who is calling: an LRS client with scopes, or a player holding a launch token. */
export type Principal =
  | { kind: 'client'; tenant: Tenant; key: string; scopes: ReadonlySet<string> }
  | { kind: 'launch'; tenant: Tenant; launch: LaunchGrant };

export interface LaunchGrant {
  registration: string;
  learnerId: string;
  courseId: string;
  activityId: string;
  /** Every activity id the token may write about: the course's and its declared questions'. */
  activities: string[];
  expiresAt: Date;
  /** Player session ids the server issued for this launch; statements may name only these. */
  sessions: readonly string[];
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      principal?: Principal;
    }
  }
}

const CACHE_MS = 60_000;
// Credentials verified this long ago are still spared a lockout of their address (see SignInThrottle).
const KNOWN_GOOD_MS = DEFAULT_LIMITS.windowMs;

/**
 * Resolves `Authorization` (Basic key:secret or Bearer launch token) to a principal.
 * Verified Basic credentials are remembered briefly so scrypt runs once a minute, not per request,
 * and once for a burst of requests with the same credentials; only credentials not remembered
 * meet the sign-in throttle, and those verified in the last window are spared their address's lockout. Launch tokens are 256 random bits, so guessing one is hopeless and
 * they are not throttled. A remembered credential still reads its client's row on every request
 * and holds only while the stored secret hash is the one it was checked against: a new secret,
 * new scopes or a removed client, set by any process on the database, count at the next request.
 * A launch token expires by the server's `clock`.
 */
export function authenticator(db: Db, throttle: SignInThrottle, clock: Clock) {
  const verified = new Map<string, { key: string; secretHash: string; until: number }>();
  const checking = new Map<string, Promise<SignedInClient>>();
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (!header) throw unauthorized('missing Authorization header: use Basic (client key and secret) or Bearer (launch token)');
    // cmi5: the auth-token a fetch URL hands out is Basic base64("launch:" + launch token).
    const cmi5Token = launchTokenInBasic(header);
    const [scheme, value = ''] = cmi5Token ? ['Bearer', cmi5Token] : header.split(/\s+/, 2);
    if (/^basic$/i.test(scheme ?? '')) {
      const cacheKey = sha256(value);
      let hit = verified.get(cacheKey);
      if (hit && hit.until > Date.now()) {
        const client = await clientByKey(db, hit.key);
        if (client && client.secretHash === hit.secretHash) {
          req.principal = principalOf(client);
          return next();
        }
        verified.delete(cacheKey);
        hit = undefined;
      }
      // Requests arriving together with the same new credentials share one check.
      let check = checking.get(cacheKey);
      if (!check) {
        check = verifyBasic(db, throttle, value, req.ip ?? '', hit !== undefined && hit.until + KNOWN_GOOD_MS > Date.now()).finally(() => checking.delete(cacheKey));
        checking.set(cacheKey, check);
      }
      const client = await check.catch((err: unknown) => {
        if (err instanceof HttpError && err.status === 401) verified.delete(cacheKey);
        throw err;
      });
      if (verified.size >= 10_000) for (const [k, v] of verified) if (v.until + KNOWN_GOOD_MS <= Date.now()) verified.delete(k);
      verified.set(cacheKey, { key: client.key, secretHash: client.secretHash, until: Date.now() + CACHE_MS });
      req.principal = principalOf(client);
      return next();
    }
    if (/^bearer$/i.test(scheme ?? '')) {
      const row = await db
        .selectFrom('launches')
        .innerJoin('tenants', 'tenants.id', 'launches.tenant_id')
        .innerJoin('courses', (j) => j.onRef('courses.tenant_id', '=', 'launches.tenant_id').onRef('courses.id', '=', 'launches.course_id'))
        .select(['launches.registration', 'launches.learner_id', 'launches.course_id', 'launches.expires_at', 'courses.activity_id', 'courses.questions', 'tenants.id as tenant_id', 'tenants.home_page'])
        .select(
          sql<string[]>`coalesce((select array_agg(ps.session_id) from player_sessions ps where ps.tenant_id = launches.tenant_id and ps.registration = launches.registration), '{}')`.as('sessions'),
        )
        .where('launches.token_hash', '=', sha256(value))
        .executeTakeFirst();
      if (!row) throw unauthorized('unknown launch token');
      if (new Date(row.expires_at).getTime() <= clock().getTime()) throw unauthorized(`launch token expired at ${new Date(row.expires_at).toISOString()}; start a new launch`);
      req.principal = {
        kind: 'launch',
        tenant: { id: row.tenant_id, homePage: row.home_page },
        launch: { registration: row.registration, learnerId: row.learner_id, courseId: row.course_id, activityId: row.activity_id, activities: courseActivities(row.activity_id, row.questions), expiresAt: new Date(row.expires_at), sessions: row.sessions },
      };
      return next();
    }
    throw unauthorized(`unsupported Authorization scheme "${scheme}": use Basic or Bearer`);
  };
}

function principalOf(client: SignedInClient): Principal {
  return { kind: 'client', tenant: { id: client.tenantId, homePage: client.homePage }, key: client.key, scopes: new Set(client.scopes) };
}

/** The client a Basic credential value (base64 of key:secret) names, if the secret is right; else 401 (or 429 when locked out). */
async function verifyBasic(db: Db, throttle: SignInThrottle, value: string, address: string, knownGood: boolean): Promise<SignedInClient> {
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw unauthorized('malformed Basic credentials: expected base64 of key:secret');
  const key = decoded.slice(0, colon);
  if (badText(key)) throw unauthorized('malformed Basic credentials: the key is not valid text');
  return signIn(db, throttle, key, decoded.slice(colon + 1), address, knownGood);
}

/** The launch token in `Basic base64("launch:" + token)` (cmi5's auth-token), else null. */
function launchTokenInBasic(header: string): string | null {
  const m = /^basic\s+(\S+)$/i.exec(header.trim());
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  return decoded.startsWith('launch:') && decoded.length > 7 ? decoded.slice(7) : null;
}

/** The principal, which must be a client holding `scope`. */
export function requireScope(req: Request, scope: Scope): Extract<Principal, { kind: 'client' }> {
  const p = req.principal;
  if (!p) throw unauthorized('not authenticated');
  if (p.kind !== 'client') throw new HttpError(403, 'forbidden', `a launch token cannot do this; it needs a client with the "${scope}" scope`);
  if (!allows(p.scopes, scope)) throw new HttpError(403, 'forbidden', `this client lacks the "${scope}" scope`);
  return p;
}

/** The principal, which must be a launch token. */
export function requireLaunch(req: Request): Extract<Principal, { kind: 'launch' }> {
  const p = req.principal;
  if (!p || p.kind !== 'launch') throw new HttpError(403, 'forbidden', 'this needs a launch token (Authorization: Bearer <launchToken>)');
  return p;
}

/** How the ledger and audit trails name what a client did: `client/<key>`. */
export const actorOf = (p: Extract<Principal, { kind: 'client' }>) => `client/${p.key}`;
/** The activity ids of a course: its own and one per declared question. */
function courseActivities(activityId: string, questions: unknown): string[] {
  const ids = (Array.isArray(questions) ? questions : []).map((q) => (q as { id?: unknown })?.id).filter((id): id is string => typeof id === 'string');
  return [activityId, ...ids.map((id) => questionActivityId(activityId, id))];
}
