import { parseArgs } from 'node:util';
import { DEFAULT_TENANT, ensureTenant } from '../auth/clients.js';
import type { Config } from '../config.js';
import { migrate, type Store } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { platformInput, registerPlatform, toolUrls } from './platforms.js';
import { createLti, type LtiService } from './service.js';

export const LTI_REGISTER_USAGE = `  lti-register --name N --issuer URL --client-id ID --auth-url URL --token-url URL --jwks-url URL
               --deployment ID[,ID] [--learner-id sub|email|lis.person_sourcedid] [--tenant T]
                                 register an LMS (LTI 1.3 platform); prints the tool's URLs for the LMS`;

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
export async function ltiRegister(input: ReturnType<typeof ltiRegisterInput>, config: Config, store: Store, running?: LtiService): Promise<string> {
  const { tenant: tenantId, platform: data } = input;
  await migrate(store.db);
  if (tenantId === DEFAULT_TENANT.id) await ensureTenant(store.db, DEFAULT_TENANT);
  const tenant = await store.db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst();
  if (!tenant) throw new Error(`lti-register: no tenant "${tenantId}"`);
  let lti = running;
  if (!lti) {
    lti = createLti(store.db, config);
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
