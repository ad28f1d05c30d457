import { randomBytes } from 'node:crypto';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { hashSecret, verifySecret } from './secrets.js';
import type { SignInThrottle } from './throttle.js';

export interface SignedInClient {
  key: string;
  tenantId: string;
  homePage: string;
  scopes: string[];
  /** The stored hash the secret was checked against: a remembered sign-in holds while it is unchanged. */
  secretHash: string;
}

/** A client as signing in needs it: its secret's hash, its scopes and its tenant; undefined when no client has the key. */
export async function clientByKey(db: Db, key: string): Promise<SignedInClient | undefined> {
  const row = await db
    .selectFrom('clients')
    .innerJoin('tenants', 'tenants.id', 'clients.tenant_id')
    .select(['clients.key', 'clients.secret_hash', 'clients.scopes', 'tenants.id as tenant_id', 'tenants.home_page'])
    .where('clients.key', '=', key)
    .executeTakeFirst();
  return row && { key: row.key, tenantId: row.tenant_id, homePage: row.home_page, scopes: row.scopes, secretHash: row.secret_hash };
}

// An unknown key is checked against this, so it costs the same scrypt as a wrong secret.
let dummyHash: Promise<string> | undefined;
const dummy = () => (dummyHash ??= hashSecret(randomBytes(18).toString('base64url')));

/**
 * Checks a client key and secret presented from `address`: refused with 429 while the key or the
 * address is locked out (the address's lockout spares `knownGood` credentials, verified before),
 * 401 (counted) when the key is unknown or the secret wrong. Every surface
 * that takes a key and secret (Basic auth, the /admin sign-in form) signs in through here.
 *
 * @example
 * const client = await signIn(db, throttle, 'xc_key', 'secret', req.ip ?? '');
 */
export async function signIn(db: Db, throttle: SignInThrottle, key: string, secret: string, address: string, knownGood = false): Promise<SignedInClient> {
  await throttle.assertOpen(key, address, knownGood);
  const client = await clientByKey(db, key);
  const right = await verifySecret(secret, client?.secretHash ?? (await dummy()));
  if (!client || !right) {
    await throttle.recordFailure(key, address);
    throw unauthorized('unknown client key or wrong secret');
  }
  return client;
}

export function unauthorized(message: string) {
  return new HttpError(401, 'unauthorized', message, undefined, { headers: { 'WWW-Authenticate': 'Basic realm="xcredit", charset="UTF-8"' } });
}
