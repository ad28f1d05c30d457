import { describeIssues } from '@xcredit/sdk/xapi';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { HttpError } from '../http-error.js';
import { fetchJson, OutboundError, refusedDestination, type OutboundPolicy } from '../net/outbound.js';
import { LaunchError, sendLaunchError } from './errors.js';
import { registeredPage } from './pages.js';
import type { LtiContext } from './context.js';
import { registerPlatform, toolUrls } from './platforms.js';
import { claimRegistrationLink, completeRegistrationLink, releaseRegistrationLink } from './registration-links.js';

const httpUrl = z.url({ protocol: /^https?$/ });
const openidConfiguration = z.looseObject({
  issuer: httpUrl,
  authorization_endpoint: httpUrl,
  token_endpoint: httpUrl,
  jwks_uri: httpUrl,
  registration_endpoint: httpUrl,
  authorization_server: z.string().optional(),
  claims_supported: z.array(z.string()).optional(),
  'https://purl.imsglobal.org/spec/lti-platform-configuration': z.looseObject({ product_family_code: z.string().optional() }).optional(),
});

const TOOL_CONFIG = 'https://purl.imsglobal.org/spec/lti-tool-configuration';

const registrationAnswer = z.looseObject({
  client_id: z.string().min(1).max(200),
  [TOOL_CONFIG]: z.looseObject({ deployment_id: z.string().min(1).max(200).optional() }).optional(),
});

/**
 * LTI Dynamic Registration, started only from a registration link an admin made for a tenant
 * (`/lti/register/<token>`): reads the platform's configuration, registers xcredit with it, and
 * records the platform in the link's tenant as pending: launches are refused until an admin
 * approves it. Every request goes through the outbound policy; the platform's answers are logged,
 * never shown.
 */
export async function handleDynamicRegistration(ctx: LtiContext & { outbound: OutboundPolicy }, token: string, req: Request, res: Response): Promise<void> {
  try {
    if (!token) {
      throw new LaunchError(404, 'registration_link_required', 'Registration could not start', 'Dynamic Registration starts from a registration link an xcredit administrator makes for this LMS; this address has none.', 'Ask your xcredit administrator for a registration link (see docs/lti.md).');
    }
    const configUrl = req.query.openid_configuration;
    if (typeof configUrl !== 'string' || !URL.canParse(configUrl) || !/^https?:$/.test(new URL(configUrl).protocol)) {
      throw new LaunchError(400, 'missing_openid_configuration', 'Registration could not start', 'The openid_configuration parameter (the http(s) URL of the platform’s configuration) is missing or not an http(s) URL.');
    }
    const registrationToken = typeof req.query.registration_token === 'string' ? req.query.registration_token : undefined;
    const link = await claimRegistrationLink(ctx.db, token, ctx.clock());
    if (!link) {
      throw new LaunchError(404, 'unknown_registration_link', 'Registration could not start', 'This registration link is not valid: it is unknown, expired, revoked, already used or in use right now.', 'Ask your xcredit administrator for a new registration link.');
    }
    let platform: { id: string; name: string };
    try {
      platform = await register(ctx, link, configUrl, registrationToken);
      await completeRegistrationLink(ctx.db, link, platform.id, ctx.clock());
    } catch (err) {
      await releaseRegistrationLink(ctx.db, link);
      throw err;
    }
    res.set('Cache-Control', 'no-store').type('html').send(registeredPage({ platformName: platform.name, approveUrl: `${ctx.config.publicUrl}/admin#/lti` }));
  } catch (err) {
    if (err instanceof LaunchError) return sendLaunchError(res, err);
    throw err;
  }
}

const failed = (code: string, message: string) => new LaunchError(502, code, 'Registration failed', message, 'Check the LMS’s address and try again, or tell your xcredit administrator (the server log has the details).');

/** Logs what the platform did (for the operator) and answers in our words (for whoever called). */
function outboundFailure(link: { id: string }, what: string, url: string, err: unknown, code: string): LaunchError {
  const cause = err instanceof Error && err.cause instanceof Error && err.cause.message !== err.message ? ` (${err.cause.message})` : '';
  const detail = err instanceof Error ? `${err.message}${cause}` : String(err);
  console.error(`xcredit: LTI registration with link ${link.id}: ${what} ${url} failed: ${detail}`);
  if (err instanceof OutboundError && (err.code === 'forbidden_address' || err.code === 'bad_url')) return failed(code, `The ${what} was not requested: ${err.message}.`);
  if (err instanceof OutboundError && err.code === 'unreachable') return failed(code, `The ${what} could not be reached.`);
  return failed(code, `The ${what} did not answer as LTI Dynamic Registration requires.`);
}

async function register(ctx: LtiContext & { outbound: OutboundPolicy }, link: { tenantId: string; id: string }, configUrl: string, registrationToken: string | undefined): Promise<{ id: string; name: string }> {
  const fetched = await fetchJson(ctx.outbound, configUrl).catch((err: unknown) => {
    throw outboundFailure(link, 'platform configuration', configUrl, err, 'platform_configuration_failed');
  });
  const parsed = openidConfiguration.safeParse(fetched);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    console.error(`xcredit: LTI registration with link ${link.id}: the configuration at ${configUrl} is not usable: ${issue?.path.join('.') || 'body'}: ${issue?.message}`);
    throw failed('platform_configuration_invalid', `The platform configuration is not usable: ${issue?.path.join('.') || 'its body'} is missing or not an http(s) URL.`);
  }
  const platformConfig = parsed.data;
  // The server fetches these two later (tokens, keys): refuse now, before registering, what it would refuse then, as for a platform registered by hand.
  const refused = (['token_endpoint', 'jwks_uri'] as const).flatMap((field) => {
    const why = refusedDestination(ctx.outbound, platformConfig[field]);
    return why ? [`${field}: ${why}`] : [];
  });
  if (refused.length > 0) {
    console.error(`xcredit: LTI registration with link ${link.id}: the configuration at ${configUrl} names non-public addresses: ${refused.join('; ')}`);
    throw failed('platform_address_refused', `The platform configuration names addresses this server does not connect to: ${refused.join('; ')}.`);
  }
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
      // Moodle 4.3 reads the Deep Linking message's target_link_uri as the tool's Content Selection URL
      // (and ticks "Supports Deep Linking"); placements are for platforms that read them.
      messages: [
        { type: 'LtiResourceLinkRequest', target_link_uri: urls.launchUrl, label: 'xcredit course' },
        { type: 'LtiDeepLinkingRequest', target_link_uri: urls.deepLinkingUrl, label: 'Add xcredit courses', placements: ['ContentArea'], supported_types: ['ltiResourceLink'] },
      ],
    },
  };
  const endpoint = platformConfig.registration_endpoint;
  const answer = await fetchJson(ctx.outbound, endpoint, { method: 'POST', headers: registrationToken ? { Authorization: `Bearer ${registrationToken}` } : {}, json: registration }).catch((err: unknown) => {
    throw outboundFailure(link, 'platform registration endpoint', endpoint, err, 'registration_refused');
  });
  const answered = registrationAnswer.safeParse(answer);
  if (!answered.success) {
    console.error(`xcredit: LTI registration with link ${link.id}: the answer of ${endpoint} is not usable: ${describeIssues(answered.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    throw failed('registration_invalid', 'The platform’s registration answer has no usable client_id (or deployment_id).');
  }
  const registered = answered.data;
  const deploymentId = registered[TOOL_CONFIG]?.deployment_id;
  const family = platformConfig['https://purl.imsglobal.org/spec/lti-platform-configuration']?.product_family_code ?? 'platform';
  try {
    const platform = await registerPlatform(
      ctx.db,
      ctx.provider,
      link.tenantId,
      {
        name: `${family} (${new URL(platformConfig.issuer).host})`.slice(0, 200),
        issuer: platformConfig.issuer,
        clientId: registered.client_id,
        authenticationEndpoint: platformConfig.authorization_endpoint,
        accessTokenEndpoint: platformConfig.token_endpoint,
        authorizationServer: platformConfig.authorization_server,
        jwksUrl: platformConfig.jwks_uri,
        deploymentIds: deploymentId ? [deploymentId] : [],
        learnerIdClaim: 'sub',
      },
      'dynamic',
    );
    return platform;
  } catch (err) {
    if (err instanceof HttpError && err.status === 409) throw new LaunchError(409, 'already_registered', 'Already registered', err.message);
    throw err;
  }
}
