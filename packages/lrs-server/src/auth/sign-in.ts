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
  const row = await db
    .selectFrom('clients')
    .innerJoin('tenants', 'tenants.id', 'clients.tenant_id')
    .select(['clients.key', 'clients.secret_hash', 'clients.scopes', 'tenants.id as tenant_id', 'tenants.home_page'])
    .where('clients.key', '=', key)
    .executeTakeFirst();
  const right = await verifySecret(secret, row?.secret_hash ?? (await dummy()));
  if (!row || !right) {
    await throttle.recordFailure(key, address);
    throw unauthorized('unknown client key or wrong secret');
  }
  return { key: row.key, tenantId: row.tenant_id, homePage: row.home_page, scopes: row.scopes };
}

export function unauthorized(message: string) {
  return new HttpError(401, 'unauthorized', message, undefined, { headers: { 'WWW-Authenticate': 'Basic realm="xcredit", charset="UTF-8"' } });
}
