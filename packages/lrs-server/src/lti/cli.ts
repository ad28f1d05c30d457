import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CreditEvents } from '../credits/ledger.js';
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT, ensureTenant } from '../auth/clients.js';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { migrate, openStore, type Store } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { resolveSecretKey, SECRET_KEY_FILE } from '../secret-key.js';
import { platformInput } from '@xcredit/sdk/contracts';
import { registerPlatform, toolUrls } from './platforms.js';
import { createRegistrationLink, DEFAULT_LINK_HOURS } from './registration-links.js';
import { rotateSecretKey } from './secret.js';
import { createLti, type LtiService } from './service.js';

export const LTI_REGISTER_USAGE = `  lti-register --name N --issuer URL --client-id ID --auth-url URL --token-url URL --jwks-url URL
               --deployment ID[,ID] [--learner-id sub|email|lis.person_sourcedid] [--tenant T]
                                 register an LMS (LTI 1.3 platform); prints the tool's URLs for the LMS
  lti-registration-link [--tenant T] [--expires-in-hours H]
                                 print a single-use Dynamic Registration link for one LMS (default 168 h)
  rotate-secret-key              re-encrypt the stored LTI keys and mail passwords with a new secret key
                                 (XCREDIT_NEW_SECRET_KEY, or a new key file for the embedded database)`;

const FLAGS: Record<string, string> = {
  name: '--name',
  issuer: '--issuer',
  clientId: '--client-id',
  authenticationEndpoint: '--auth-url',
  accessTokenEndpoint: '--token-url',
  jwksUrl: '--jwks-url',
  deploymentIds: '--deployment',
  learnerIdClaim: '--learner-id',
};

/** The options of `xcredit lti-register …`, checked before any database is opened. */
export function ltiRegisterInput(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'auth-url': { type: 'string' },
      'token-url': { type: 'string' },
      'jwks-url': { type: 'string' },
      deployment: { type: 'string' },
      'learner-id': { type: 'string' },
      tenant: { type: 'string', default: DEFAULT_TENANT.id },
    },
  });
  const parsed = platformInput.safeParse({
    name: values.name,
    issuer: values.issuer,
    clientId: values['client-id'],
    authenticationEndpoint: values['auth-url'],
    accessTokenEndpoint: values['token-url'],
    jwksUrl: values['jwks-url'],
    deploymentIds: values.deployment?.split(',').map((s) => s.trim()).filter(Boolean),
    learnerIdClaim: values['learner-id'],
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${FLAGS[String(i.path[0])] ?? String(i.path[0])}: ${i.code === 'invalid_type' && i.input === undefined ? 'is required' : i.message}`);
    throw new Error(`lti-register: invalid options\n${lines.join('\n')}`);
  }
  return { tenant: values.tenant, platform: parsed.data };
}

/**
 * `xcredit lti-register …`: the same registration as `POST /api/v1/lti/platforms`, on an open
 * store; with the running server's LTI service when the server runs it.
 */
export async function ltiRegister(input: ReturnType<typeof ltiRegisterInput>, config: Config, store: Store, events: CreditEvents, running?: LtiService): Promise<string> {
  const { tenant: tenantId, platform: data } = input;
  const tenant = await prepare(store, tenantId, 'lti-register');
  let lti = running;
  if (!lti) {
    lti = createLti(store.db, config, { secretKey: resolveSecretKey(config), outbound: config.ltiOutbound, events, clock: systemClock });
    await lti.deploy();
  }
  const platform = await registerPlatform(store.db, lti.provider(), tenant.id, data).catch((err: unknown) => {
    throw err instanceof HttpError ? new Error(`lti-register: ${err.message}`) : err;
  });
  const urls = toolUrls(config.publicUrl);
  return [
    `registered platform ${platform.id} (${platform.name}): issuer ${platform.issuer}, client id ${platform.clientId}, deployments ${platform.deploymentIds.join(', ')}, learners by ${platform.learnerIdClaim}`,
    'enter these in the LMS:',
    `  login (OIDC initiation) URL  ${urls.loginUrl}`,
    `  target link / redirect URL   ${urls.launchUrl}`,
    `  public keyset (JWKS) URL     ${urls.jwksUrl}`,
  ].join('\n');
}

/** Migrates, and finds the tenant a command acts for (making the default tenant when it is the one). */
async function prepare(store: Store, tenantId: string, command: string): Promise<{ id: string }> {
  await migrate(store.db);
  if (tenantId === DEFAULT_TENANT.id) await ensureTenant(store.db, DEFAULT_TENANT);
  const tenant = await store.db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst();
  if (!tenant) throw new Error(`${command}: no tenant "${tenantId}"`);
  return tenant;
}

/** Reads `xcredit lti-registration-link …`; the link is made on a store (here or in the running server). */
export function ltiRegistrationLinkInput(args: string[]): { tenant: string; hours: number } {
  const { values } = parseArgs({ args, options: { tenant: { type: 'string', default: DEFAULT_TENANT.id }, 'expires-in-hours': { type: 'string', default: String(DEFAULT_LINK_HOURS) } } });
  const hours = Number(values['expires-in-hours']);
  if (!/^\d+$/.test(values['expires-in-hours']) || hours < 1 || hours > 720) throw new Error('lti-registration-link: --expires-in-hours must be a whole number from 1 to 720');
  return { tenant: values.tenant, hours };
}

/** `xcredit lti-registration-link`: the same link as `POST /api/v1/lti/registration-links`. */
export async function ltiRegistrationLink(input: { tenant: string; hours: number }, config: Config, store: Store): Promise<string> {
  const tenant = await prepare(store, input.tenant, 'lti-registration-link');
  const link = await createRegistrationLink(store.db, tenant.id, config.publicUrl, systemClock(), input.hours);
  return [`registration link ${link.id} for tenant ${tenant.id}, valid once until ${link.expiresAt}:`, `  ${link.url}`, 'give it to the LMS as the tool’s Dynamic Registration URL (see docs/lti.md)'].join('\n');
}

/**
 * `xcredit rotate-secret-key`: re-encrypts the stored LTI keys and mail server passwords from the
 * current secret key to a new one in one transaction. With XCREDIT_SECRET_KEY set the new key comes from
 * XCREDIT_NEW_SECRET_KEY; with the key file of the embedded database a new key replaces the file
 * (written beside it first, so no moment leaves the records without their key on disk).
 */
export async function rotateSecretKeyCommand(config: Config, env: Record<string, string | undefined> = process.env): Promise<string> {
  const given = env.XCREDIT_NEW_SECRET_KEY || undefined;
  if (given !== undefined && given.length < 32) throw new Error('rotate-secret-key: XCREDIT_NEW_SECRET_KEY must be at least 32 characters (e.g. `openssl rand -base64 32`)');
  if (config.secretKey && !given) throw new Error('rotate-secret-key: set XCREDIT_NEW_SECRET_KEY to the new key (XCREDIT_SECRET_KEY holds the current one)');
  const usesFile = !config.secretKey && !config.databaseUrl && config.dataDir !== 'memory://';
  const store = await openStore({ ...config, command: 'rotate-secret-key' });
  try {
    await migrate(store.db);
    const current = resolveSecretKey(config);
    const next = given ?? randomBytes(32).toString('base64url');
    if (next === current) throw new Error('rotate-secret-key: the new key is the current one');
    const file = join(config.dataDir, SECRET_KEY_FILE);
    if (usesFile) writeFileSync(`${file}.new`, `${next}\n`, { mode: 0o600 });
    let count: { lti: number; mail: number };
    try {
      count = await rotateSecretKey(store.db, current, next);
    } catch (err) {
      if (usesFile) rmSync(`${file}.new`, { force: true });
      throw new Error(`rotate-secret-key: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (usesFile) renameSync(`${file}.new`, file);
    const what = `re-encrypted ${count.lti} stored LTI record(s) and ${count.mail} mail server password(s)`;
    return usesFile
      ? `${what}; the new key is in ${file}`
      : `${what}; now set XCREDIT_SECRET_KEY to the new key (the value of XCREDIT_NEW_SECRET_KEY) everywhere xcredit runs, and restart`;
  } finally {
    await store.close();
  }
}
