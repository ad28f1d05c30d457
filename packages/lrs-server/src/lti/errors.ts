import type { Response } from 'express';
import { errorPage } from './pages.js';

/** A launch that must stop, shown to the person as a page and to tools as its status and code. */
export class LaunchError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function sendLaunchError(res: Response, err: LaunchError): void {
  res.status(err.status).set('Cache-Control', 'no-store').type('html').send(errorPage({ title: err.title, message: err.message, hint: err.hint, code: err.code }));
}

const TRY_AGAIN = 'Start the activity again from your learning platform. If it keeps happening, send the error code to your administrator.';

/** ltijs's terse validation codes, told in words. */
export function describeTokenError(message: string, detail: { iss?: string | undefined; aud?: string | undefined; kid?: string | undefined }): LaunchError {
  const invalid = (code: string, text: string, status = 401) => new LaunchError(status, code, 'This launch could not be verified', text, TRY_AGAIN);
  const bad = (code: string, text: string) => new LaunchError(400, code, 'This launch is incomplete', text, 'The learning platform sent a launch xcredit cannot use; tell its administrator.');
  switch (message) {
    case 'NONCE_ALREADY_RECEIVED':
      return invalid('replayed_id_token', 'This id_token was already used (its nonce has been seen): a launch can be used only once.');
    case 'UNREGISTERED_PLATFORM':
      return invalid('unknown_audience', `No platform is registered with issuer ${detail.iss ?? '(none)'} and client id (aud) "${detail.aud ?? '(none)'}": the id_token is meant for another tool or the platform is not registered.`);
    case 'PLATFORM_NOT_ACTIVATED':
      return new LaunchError(403, 'platform_pending', 'This platform is awaiting approval', `The platform ${detail.iss ?? ''} is registered but an xcredit administrator has not approved it yet.`, 'Ask your xcredit administrator to approve it.');
    case 'jwt expired':
      return invalid('expired_id_token', 'The id_token has expired (its exp is in the past).');
    case 'TOKEN_TOO_OLD':
      return invalid('expired_id_token', 'The id_token was issued too long ago (its iat is more than a minute old).');
    case 'invalid signature':
      return invalid('bad_signature', "The id_token's signature does not verify with the platform's public key.");
    case 'KID_NOT_FOUND':
      return invalid('missing_kid', 'The id_token header has no kid, so the key that signed it cannot be found.');
    case 'KEY_NOT_FOUND':
      return invalid('unknown_kid', `The platform's key set has no key "${detail.kid ?? ''}" (the kid in the id_token header).`);
    case 'INVALID_JWT_RECEIVED':
    case 'jwt malformed':
      return invalid('malformed_id_token', 'The id_token is not a well-formed JWT.', 400);
    case 'ISS_CLAIM_DOES_NOT_MATCH':
      return invalid('issuer_mismatch', `The id_token's issuer (${detail.iss ?? 'none'}) is not the platform that started this login.`);
    case 'MISSING_VALIDATION_COOKIE':
      return invalid('missing_state_cookie', 'The login state cookie is missing, so this launch cannot be matched to the login that started it.');
    case 'NO_MESSAGE_TYPE_CLAIM':
      return bad('missing_message_type', 'The id_token has no supported message_type claim (LtiResourceLinkRequest or LtiDeepLinkingRequest).');
    case 'NO_TARGET_LINK_URI_CLAIM':
      return bad('missing_target_link_uri', 'The id_token has no target_link_uri claim.');
    case 'NO_RESOURCE_LINK_ID_CLAIM':
      return bad('missing_resource_link', 'The id_token has no resource_link claim with an id.');
    case 'NO_LTI_VERSION_CLAIM':
      return bad('missing_lti_version', 'The id_token has no LTI version claim; xcredit speaks LTI 1.3.0.');
    case 'WRONG_LTI_VERSION_CLAIM':
      return bad('wrong_lti_version', 'The id_token is not an LTI 1.3.0 message (its version claim is not "1.3.0").');
    case 'NO_DEPLOYMENT_ID_CLAIM':
      return bad('missing_deployment_id', 'The id_token has no deployment_id claim.');
    case 'NO_SUB_CLAIM':
      return bad('missing_user', 'The id_token has no user (its sub claim is empty).');
    case 'NO_ROLES_CLAIM':
      return bad('missing_roles', 'The id_token has no roles claim.');
    case 'ALG_NOT_RS256':
      return invalid('wrong_algorithm', 'The id_token is not signed with RS256.');
    default:
      return invalid('invalid_id_token', `The id_token could not be verified: ${message}.`);
  }
}
