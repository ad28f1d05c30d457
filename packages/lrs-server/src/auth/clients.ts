import { randomBytes } from 'node:crypto';
import type { Db } from '../db/index.js';
import { SCOPES, type Scope } from './scopes.js';
import { hashSecret, verifySecret } from './secrets.js';
import { keySubject } from './throttle.js';

export interface NewClient {
  tenantId: string;
  name: string;
  scopes: readonly Scope[];
  /** Chosen key and secret; random ones are made when absent. */
  key?: string;
  secret?: string;
}

/** Creates (or, given the same key, replaces the secret and scopes of) an LRS client. */
export async function createClient(db: Db, input: NewClient): Promise<{ key: string; secret: string }> {
  for (const s of input.scopes) if (!SCOPES.includes(s)) throw new Error(`unknown scope "${s}"; known: ${SCOPES.join(', ')}`);
  const key = input.key ?? `xc_${randomBytes(9).toString('base64url')}`;
  // Basic credentials "launch:<token>" are cmi5 auth tokens, so no client may be called that.
  if (key === 'launch') throw new Error('the client key "launch" is reserved for cmi5 auth tokens; choose another');
  const secret = input.secret ?? randomBytes(24).toString('base64url');
  const row = { key, tenant_id: input.tenantId, name: input.name, secret_hash: await hashSecret(secret), scopes: JSON.stringify(input.scopes) };
  const before = await db.selectFrom('clients').select('secret_hash').where('key', '=', key).executeTakeFirst();
  await db
    .insertInto('clients')
    .values(row)
    .onConflict((oc) => oc.column('key').doUpdateSet({ secret_hash: row.secret_hash, scopes: row.scopes, name: row.name, tenant_id: row.tenant_id }))
    .execute();
  // A new secret lifts the key's sign-in lockout: its owner no longer guesses with the old one.
  if (before && !(await verifySecret(secret, before.secret_hash))) await db.deleteFrom('auth_failures').where('subject', '=', keySubject(key)).execute();
  return { key, secret };
}

/** The key of the administrator made on a first start; its secret is shown once. */
export const FIRST_ADMIN_KEY = 'admin';

/**
 * On a first start, when the default tenant has no client that may administer it, makes one and
 * returns its key and secret (to be shown once); otherwise null. Of several processes starting
 * at once on one database, one makes it.
 *
 * @example
 * const first = await ensureFirstAdmin(db); // { key: 'admin', secret: '…' } once, then null
 */
export async function ensureFirstAdmin(db: Db, tenantId: string): Promise<{ key: string; secret: string } | null> {
  const admins = await db.selectFrom('clients').select('scopes').where('tenant_id', '=', tenantId).execute();
  if (admins.some((c) => c.scopes.includes('credits/admin'))) return null;
  const secret = randomBytes(24).toString('base64url');
  const made = await db
    .insertInto('clients')
    .values({ key: FIRST_ADMIN_KEY, tenant_id: tenantId, name: 'administrator (made on first start)', secret_hash: await hashSecret(secret), scopes: JSON.stringify(['all', 'credits/admin']) })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .executeTakeFirst();
  return made ? { key: made.key, secret } : null;
}

/** Makes sure a tenant exists. */
export async function ensureTenant(db: Db, tenant: { id: string; name: string; homePage: string }): Promise<void> {
  await db
    .insertInto('tenants')
    .values({ id: tenant.id, name: tenant.name, home_page: tenant.homePage })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export const DEFAULT_TENANT = { id: 'default', name: 'Default tenant', homePage: 'https://xcredit.dev/tenants/default' };
