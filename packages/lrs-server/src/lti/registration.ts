import type { Request, Response } from 'express';
import { z } from 'zod';
import { DEFAULT_TENANT } from '../auth/clients.js';
import { HttpError } from '../http-error.js';
import { LaunchError, sendLaunchError } from './errors.js';
import type { LtiContext } from './launch.js';
import { registerPlatform, toolUrls } from './platforms.js';

const openidConfiguration = z.looseObject({
  issuer: z.url(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  registration_endpoint: z.url(),
  authorization_server: z.string().optional(),
  claims_supported: z.array(z.string()).optional(),
  'https://purl.imsglobal.org/spec/lti-platform-configuration': z.looseObject({ product_family_code: z.string().optional() }).optional(),
});

const TOOL_CONFIG = 'https://purl.imsglobal.org/spec/lti-tool-configuration';

/**
 * LTI Dynamic Registration: reads the platform's configuration, registers xcredit with it, and
 * records the platform as pending: launches are refused until an admin approves it.
 */
export async function handleDynamicRegistration(ctx: LtiContext, req: Request, res: Response): Promise<void> {
  try {
    const configUrl = req.query.openid_configuration;
    if (typeof configUrl !== 'string' || !URL.canParse(configUrl)) {
      throw new LaunchError(400, 'missing_openid_configuration', 'Registration could not start', 'The openid_configuration parameter (the URL of the platform’s configuration) is missing or not a URL.');
    }
    const registrationToken = typeof req.query.registration_token === 'string' ? req.query.registration_token : undefined;
    const fetched = await fetch(configUrl, { signal: AbortSignal.timeout(10_000) }).catch((err: Error) => {
      throw new LaunchError(502, 'platform_unreachable', 'Registration failed', `The platform configuration at ${configUrl} could not be fetched: ${err.message}.`);
    });
    if (!fetched.ok) throw new LaunchError(502, 'platform_configuration_failed', 'Registration failed', `The platform configuration at ${configUrl} answered ${fetched.status}.`);
    const parsed = openidConfiguration.safeParse(await fetched.json().catch(() => null));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new LaunchError(502, 'platform_configuration_invalid', 'Registration failed', `The platform configuration is not usable: ${issue?.path.join('.') || 'body'}: ${issue?.message}.`);
    }
    const platformConfig = parsed.data;
    const urls = toolUrls(ctx.config.publicUrl);
    const registration = {
      application_type: 'web',
      response_types: ['id_token'],
      grant_types: ['implicit', 'client_credentials'],
      initiate_login_uri: urls.loginUrl,
      redirect_uris: [urls.launchUrl],
      client_name: 'xcredit',
      jwks_uri: urls.jwksUrl,
      token_endpoint_auth_method: 'private_key_jwt',
      scope: [
        'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
        'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
        'https://purl.imsglobal.org/spec/lti-ags/scope/score',
        'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
        'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
      ].join(' '),
      [TOOL_CONFIG]: {
        domain: new URL(ctx.config.publicUrl).host,
        description: 'Video courses whose credits reflect real engagement',
        target_link_uri: urls.launchUrl,
        claims: ['iss', 'sub', 'name', 'given_name', 'family_name', 'email'],
        messages: [{ type: 'LtiResourceLinkRequest' }, { type: 'LtiDeepLinkingRequest' }],
      },
    };
    const answer = await fetch(platformConfig.registration_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(registrationToken ? { Authorization: `Bearer ${registrationToken}` } : {}) },
      body: JSON.stringify(registration),
      signal: AbortSignal.timeout(10_000),
    });
    if (!answer.ok) throw new LaunchError(502, 'registration_refused', 'Registration failed', `The platform refused the registration (${answer.status}): ${(await answer.text()).slice(0, 300)}`);
    const registered = (await answer.json()) as { client_id?: unknown; [TOOL_CONFIG]?: { deployment_id?: unknown } };
    if (typeof registered.client_id !== 'string') throw new LaunchError(502, 'registration_invalid', 'Registration failed', 'The platform’s registration answer has no client_id.');
    const deploymentId = registered[TOOL_CONFIG]?.deployment_id;
    const family = platformConfig['https://purl.imsglobal.org/spec/lti-platform-configuration']?.product_family_code ?? 'platform';
    try {
      await registerPlatform(
        ctx.db,
        ctx.provider,
        DEFAULT_TENANT.id,
        {
          name: `${family} (${new URL(platformConfig.issuer).host})`,
          issuer: platformConfig.issuer,
          clientId: registered.client_id,
          authenticationEndpoint: platformConfig.authorization_endpoint,
          accessTokenEndpoint: platformConfig.token_endpoint,
          authorizationServer: platformConfig.authorization_server,
          jwksUrl: platformConfig.jwks_uri,
          deploymentIds: typeof deploymentId === 'string' ? [deploymentId] : [],
          learnerIdClaim: 'sub',
        },
        'dynamic',
      );
    } catch (err) {
      if (err instanceof HttpError && err.status === 409) throw new LaunchError(409, 'already_registered', 'Already registered', err.message);
      throw err;
    }
    res
      .type('html')
      .send(
        `<!doctype html><meta charset="utf-8"><title>xcredit registered</title><p id="done">xcredit is registered. An xcredit administrator must approve this platform before courses can be launched.</p><script>(window.opener || window.parent).postMessage({ subject: 'org.imsglobal.lti.close' }, '*');</script>`,
      );
  } catch (err) {
    if (err instanceof LaunchError) return sendLaunchError(res, err);
    throw err;
  }
}
