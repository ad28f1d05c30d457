import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../../auth/principal.js';
import { allows } from '../../auth/scopes.js';
import { sha256 } from '../../auth/secrets.js';
import { signIn } from '../../auth/sign-in.js';
import type { SignInThrottle } from '../../auth/throttle.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/index.js';
import { HttpError } from '../../http-error.js';

export const COOKIE = 'xcredit_admin';
const TTL_MS = 8 * 3600_000;

export interface AdminSession {
  tenantId: string;
  clientKey: string;
  csrfToken: string;
}

/**
 * Signs in with a client key and secret that hold `credits/admin`, through the same throttle as
 * Basic auth; a failure is the HttpError (401, 403 or 429 with Retry-After) to show.
 */
export async function checkAdminClient(db: Db, throttle: SignInThrottle, key: string, secret: string, address: string): Promise<{ tenantId: string }> {
  const client = await signIn(db, throttle, key, secret, address);
  if (!allows(new Set(client.scopes), 'credits/admin')) throw new HttpError(403, 'forbidden', 'this client lacks the "credits/admin" scope');
  return { tenantId: client.tenantId };
}

/** Starts a session; only the token's hash is stored. */
export async function startSession(db: Db, tenantId: string, clientKey: string, at: Date): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(at.getTime() + TTL_MS);
  await db.deleteFrom('admin_sessions').where('expires_at', '<', at).execute();
  await db.insertInto('admin_sessions').values({ token_hash: sha256(token), tenant_id: tenantId, client_key: clientKey, csrf_token: randomBytes(24).toString('base64url'), expires_at: expiresAt }).execute();
  return { token, expiresAt };
}

export async function endSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom('admin_sessions').where('token_hash', '=', sha256(token)).execute();
}

/** The session a request's cookie names, if it is live by the server's `clock` and its client still holds `credits/admin`. */
export async function sessionOf(db: Db, req: Request, clock: Clock): Promise<(AdminSession & { principal: Principal }) | null> {
  const token = cookie(req, COOKIE);
  if (!token) return null;
  const row = await db
    .selectFrom('admin_sessions as s')
    .innerJoin('clients as c', 'c.key', 's.client_key')
    .innerJoin('tenants as t', 't.id', 's.tenant_id')
    .select(['s.tenant_id', 's.client_key', 's.csrf_token', 's.expires_at', 'c.scopes', 'c.tenant_id as client_tenant', 't.home_page'])
    .where('s.token_hash', '=', sha256(token))
    .executeTakeFirst();
  if (!row || new Date(row.expires_at).getTime() <= clock().getTime() || row.client_tenant !== row.tenant_id) return null;
  const scopes = new Set(row.scopes);
  if (!allows(scopes, 'credits/admin')) return null;
  return {
    tenantId: row.tenant_id,
    clientKey: row.client_key,
    csrfToken: row.csrf_token,
    principal: { kind: 'client', tenant: { id: row.tenant_id, homePage: row.home_page }, key: row.client_key, scopes },
  };
}

/** Unsafe methods must come from this site: a cross-site Origin or Sec-Fetch-Site is refused. */
export function sameOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.get('origin');
  if (!origin) return true;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}

/**
 * Authenticates /admin/api with the session cookie and makes the request look like one from the
 * signed-in client; writes also need the session's CSRF token in `X-CSRF-Token`.
 */
export function adminAuth(db: Db, clock: Clock) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const session = await sessionOf(db, req, clock);
    if (!session) throw new HttpError(401, 'unauthorized', 'not signed in, or the session expired: sign in again at /admin');
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      if (!sameOrigin(req)) throw new HttpError(403, 'forbidden', 'cross-site request refused');
      if (req.get('x-csrf-token') !== session.csrfToken) throw new HttpError(403, 'csrf', 'missing or wrong X-CSRF-Token header; reload the dashboard');
    }
    req.principal = session.principal;
    next();
  };
}

export function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined; // a malformed value names no session
    }
  }
  return undefined;
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return `${COOKIE}=${token}; Path=/admin; HttpOnly; SameSite=Strict; Expires=${expiresAt.toUTCString()}${secure ? '; Secure' : ''}`;
}

export const clearCookie = `${COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0`;
