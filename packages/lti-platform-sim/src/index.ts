import { createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';

/**
 * An LTI 1.3 Advantage platform small enough to start in a test: OIDC login initiation, its own
 * signing keys and JWKS, signed id_tokens, a token endpoint (client_credentials with a JWT
 * assertion), Assignment and Grade Services, Names and Role Provisioning, Deep Linking returns
 * and Dynamic Registration. Everything happens over real HTTP; nothing is faked inside the tool.
 * Where LMSs differ it behaves as Moodle 4.3 does: grade maxima are whole numbers from 1 to 100,
 * and a Dynamic Registration is read as Moodle reads it (`registered`).
 *
 * @example
 * const lms = await startPlatformSimulator();
 * lms.registerTool({ loginUrl: `${xcredit}/lti/login`, launchUrl: `${xcredit}/lti`, jwksUrl: `${xcredit}/lti/keys` });
 * const result = await lms.launch({ claims: lms.studentClaims('learner-1'), targetLinkUri: `${xcredit}/lti?course=intro` });
 * await lms.close();
 */
export interface PlatformSimulator {
  /** Issuer, and base of every endpoint. */
  url: string;
  clientId: string;
  deploymentId: string;
  kid: string;
  endpoints: { auth: string; token: string; jwks: string; openidConfiguration: string; registration: string };
  /** The tool as the platform knows it; set by registerTool or by Dynamic Registration. */
  tool: ToolRegistration | undefined;
  registerTool(tool: ToolRegistration): void;
  /** What an xcredit admin enters to register this platform (`POST /api/v1/lti/platforms`). */
  registration(extra?: { learnerIdClaim?: 'sub' | 'email' | 'lis.person_sourcedid'; name?: string }): {
    name: string;
    issuer: string;
    clientId: string;
    authenticationEndpoint: string;
    accessTokenEndpoint: string;
    jwksUrl: string;
    deploymentIds: string[];
    learnerIdClaim: 'sub' | 'email' | 'lis.person_sourcedid';
  };
  /** The login initiation URL at the tool for a launch message; a browser navigates there. */
  loginUrl(message: LaunchMessage): string;
  /**
   * A page of this platform that shows the launch in an iframe `height` px tall (600 unless given);
   * the frame takes the height the tool asks for with `lti.frameResize`, as Moodle's does, unless
   * `fixed` (an LMS that ignores the message). The messages are in the page's `frameResizes`.
   */
  embedUrl(message: LaunchMessage, options?: { height?: number; fixed?: boolean }): string;
  /** Runs a launch over HTTP the way a browser would (cookies, redirects, the auto-posted form). */
  launch(message: LaunchMessage, options?: { dropCookies?: boolean }): Promise<LaunchResult>;
  /** The same from a login initiation URL (e.g. the tool's "open in a new window" link). */
  followLogin(loginUrl: string, options?: { dropCookies?: boolean }): Promise<LaunchResult>;
  /** Claims of a learner's resource-link launch in a context, with AGS and NRPS. */
  studentClaims(userId: string, extra?: Record<string, unknown>): Record<string, unknown>;
  instructorClaims(userId: string, extra?: Record<string, unknown>): Record<string, unknown>;
  deepLinkingClaims(userId: string): Record<string, unknown>;
  /** Claims of a launch of a link created by Deep Linking. */
  linkClaims(linkId: string, userId: string, role?: 'Learner' | 'Instructor'): Record<string, unknown>;
  setMembers(contextId: string, members: Member[]): void;
  /** The next `n` score posts answer `status` (500 unless given). */
  failScores(n: number, status?: number): void;
  readonly scores: Array<Record<string, any> & { lineItemId: string }>;
  readonly scoreAttempts: number;
  readonly lineItems: Array<Record<string, any>>;
  /** Scores posted to a text-only column (one Moodle made for a line item it could not grade): answered 200, never graded. */
  readonly droppedScores: Array<Record<string, any> & { lineItemId: string }>;
  /** The tool as Dynamic Registration configured it, read as Moodle 4.3 reads a registration. */
  readonly registered: MoodleToolConfig | undefined;
  readonly links: Array<{ id: string; contextId: string; title: string; url: string; custom: Record<string, string>; lineItemId?: string }>;
  readonly deepLinkResponses: Array<{ items: Array<Record<string, any>>; message?: string }>;
  readonly issuedIdTokens: string[];
  close(): Promise<void>;
}

/** What Moodle 4.3 makes of a Dynamic Registration (mod/lti registration_helper::registration_to_config). */
export interface MoodleToolConfig {
  name: string;
  toolUrl: string;
  /** The Content Selection URL: the target_link_uri of the LtiDeepLinkingRequest message ('' when the message has none). */
  contentSelectionUrl: string;
  /** "Supports Deep Linking": an LtiDeepLinkingRequest message was registered. */
  deepLinking: boolean;
  /** Moodle 4.3 keeps every dynamically registered tool "preconfigured" until an admin changes *Tool configuration usage*. */
  courseVisible: 'preconfigured';
  /** A new tool waits in *Manage tools* for the admin to activate it. */
  state: 'pending';
  acceptGrades: boolean;
  memberships: boolean;
  sendName: boolean;
  sendEmail: boolean;
  messages: Array<Record<string, unknown>>;
}

export interface ToolRegistration {
  loginUrl: string;
  launchUrl: string;
  jwksUrl: string;
}

export interface LaunchMessage {
  /** id_token claims. iss, aud, iat, exp, nonce, deployment_id, target_link_uri and service URLs are filled in when present, unless listed in `keep`. */
  claims: Record<string, unknown>;
  /** A JWT header to use instead of `{ alg: RS256, typ: JWT, kid }`. */
  header?: Record<string, unknown>;
  keep?: string[];
  targetLinkUri?: string;
  /** Sign with a key the platform never published, under its own kid. */
  forgeSignature?: boolean;
  /** Post this id_token instead of a new one (a replay). */
  replay?: string;
}

export interface LaunchResult {
  status: number;
  location: string | null;
  html: string;
  idToken: string | undefined;
}

export interface Member {
  user_id: string;
  name?: string;
  email?: string;
  lis_person_sourcedid?: string;
  roles: string[];
  status?: 'Active' | 'Inactive' | 'Deleted';
}

const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';
const AGS = 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint';
const NRPS = 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice';
const DL = 'https://purl.imsglobal.org/spec/lti-dl/claim/';
const TOOL_CONFIGURATION = 'https://purl.imsglobal.org/spec/lti-tool-configuration';
const SCOPES = {
  lineitem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  lineitemRead: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  result: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
};
export const DEFAULT_CONTEXT = { id: 'course-section-1', label: 'SAFE-101', title: 'Workplace safety, autumn', type: ['http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection'] };

/** Moodle's grade maximum: a whole number from 1 to 100 ("Invalid grade value. This must be an integer between 1 and 100"). */
const moodleGradeMax = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 100;
const INVALID_GRADE = 'Invalid grade value. This must be an integer between 1 and 100';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** Verifies an RS256 JWT against a JWKS URL; returns its payload or throws saying why. */
async function verifyWithJwks(token: string, jwksUrl: string): Promise<Record<string, any>> {
  const [h, p, s] = token.split('.');
  if (!h || !p || !s) throw new Error('not a JWT');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  if (header.alg !== 'RS256') throw new Error(`alg ${header.alg} is not RS256`);
  const jwks = (await (await fetch(jwksUrl)).json()) as { keys: Array<Record<string, any>> };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`no key ${header.kid} at ${jwksUrl}`);
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk as any, format: 'jwk' }), Buffer.from(s, 'base64url'));
  if (!ok) throw new Error('bad signature');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  if (typeof payload.exp === 'number' && payload.exp < Date.now() / 1000) throw new Error('expired');
  return payload;
}

export async function startPlatformSimulator(
  options: {
    clientId?: string;
    deploymentId?: string;
    /** Interface to listen on (default 127.0.0.1). */
    host?: string;
    /** Host name in the platform's URLs, when browsers should reach it by another name than `host` (e.g. `localhost`, to be same-site with a tool there). */
    publicHost?: string;
  } = {},
): Promise<PlatformSimulator> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const kid = `sim-${randomBytes(6).toString('hex')}`;
  let clientId = options.clientId ?? `client-${randomBytes(4).toString('hex')}`;
  let deploymentId = options.deploymentId ?? 'deployment-1';
  const host = options.host ?? '127.0.0.1';
  let url = '';
  let tool: ToolRegistration | undefined;
  const hints = new Map<string, LaunchMessage>();
  const tokens = new Map<string, Set<string>>();
  const usedJti = new Set<string>();
  const members = new Map<string, Member[]>();
  const lineItems: Array<Record<string, any>> = [];
  const scores: PlatformSimulator['scores'] = [];
  const droppedScores: PlatformSimulator['droppedScores'] = [];
  let registered: MoodleToolConfig | undefined;
  const links: PlatformSimulator['links'] = [];
  const deepLinkResponses: PlatformSimulator['deepLinkResponses'] = [];
  const issuedIdTokens: string[] = [];
  let failing = 0;
  let failStatus = 500;
  let scoreAttempts = 0;

  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(express.json({ type: ['application/json', 'application/*+json'] }));

  const endpoints = () => ({
    auth: `${url}/auth`,
    token: `${url}/token`,
    jwks: `${url}/jwks`,
    openidConfiguration: `${url}/.well-known/openid-configuration`,
    registration: `${url}/register`,
  });

  app.get('/jwks', (_req, res) => {
    res.json({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
  });

  // OIDC authorization endpoint: checks the tool's redirect, then posts the signed id_token back.
  app.get('/auth', (req, res) => {
    const q = req.query as Record<string, string>;
    const message = hints.get(q.lti_message_hint ?? '');
    const problem =
      !tool ? 'no tool is registered'
      : q.client_id !== clientId ? `unknown client_id ${q.client_id}`
      : q.redirect_uri !== tool.launchUrl ? `redirect_uri ${q.redirect_uri} is not the tool's launch URL ${tool.launchUrl}`
      : q.response_type !== 'id_token' || q.response_mode !== 'form_post' || q.scope !== 'openid' ? 'not an OIDC implicit form_post request'
      : !q.nonce || !q.state ? 'nonce and state are required'
      : !message ? `unknown lti_message_hint ${q.lti_message_hint}`
      : undefined;
    if (problem) return void res.status(400).type('text').send(`authorization refused: ${problem}`);
    const idToken = message!.replay ?? buildIdToken(message!, q.nonce!);
    issuedIdTokens.push(idToken);
    res.type('html').send(
      `<!doctype html><form id="f" method="post" action="${escape(tool!.launchUrl)}"><input type="hidden" name="id_token" value="${escape(idToken)}"><input type="hidden" name="state" value="${escape(q.state!)}"></form><script>document.getElementById('f').submit()</script>`,
    );
  });

  function buildIdToken(message: LaunchMessage, nonce: string): string {
    const keep = new Set(message.keep ?? []);
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, any> = structuredClone(message.claims);
    const fill = (name: string, value: unknown) => {
      if (name in claims && !keep.has(name)) claims[name] = value;
    };
    fill('iss', url);
    fill('aud', clientId);
    fill('iat', now);
    fill('exp', now + 300);
    fill('nonce', nonce);
    fill(`${LTI}deployment_id`, deploymentId);
    if (message.targetLinkUri) fill(`${LTI}target_link_uri`, message.targetLinkUri);
    const contextId = String(claims[`${LTI}context`]?.id ?? DEFAULT_CONTEXT.id);
    if (claims[AGS] && !keep.has(AGS)) claims[AGS] = { ...claims[AGS], lineitems: `${url}/contexts/${contextId}/lineitems` };
    if (claims[NRPS] && !keep.has(NRPS)) claims[NRPS] = { ...claims[NRPS], context_memberships_url: `${url}/contexts/${contextId}/memberships` };
    if (claims[`${DL}deep_linking_settings`] && !keep.has(`${DL}deep_linking_settings`)) {
      claims[`${DL}deep_linking_settings`] = { ...claims[`${DL}deep_linking_settings`], deep_link_return_url: `${url}/deep-links/return?context=${encodeURIComponent(contextId)}` };
    }
    return signJwt(message.header ?? { alg: 'RS256', typ: 'JWT', kid }, claims, message.forgeSignature ? forger : privateKey);
  }

  // OAuth 2 client_credentials with a JWT assertion signed by the tool's key.
  app.post('/token', async (req, res) => {
    const b = req.body as Record<string, string>;
    const fail = (error: string, description: string) => res.status(400).json({ error, error_description: description });
    if (b.grant_type !== 'client_credentials') return void fail('unsupported_grant_type', 'grant_type must be client_credentials');
    if (b.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' || !b.client_assertion) return void fail('invalid_request', 'a JWT client_assertion is required');
    if (!tool) return void fail('invalid_client', 'no tool registered');
    let claims: Record<string, any>;
    try {
      claims = await verifyWithJwks(b.client_assertion, tool.jwksUrl);
    } catch (err) {
      return void fail('invalid_client', `client_assertion: ${(err as Error).message}`);
    }
    const aud = ([] as string[]).concat(claims.aud ?? []);
    if (claims.iss !== clientId || claims.sub !== clientId) return void fail('invalid_client', 'iss and sub must be the client id');
    if (!aud.includes(`${url}/token`)) return void fail('invalid_client', `aud must include ${url}/token`);
    if (!claims.jti || usedJti.has(claims.jti)) return void fail('invalid_client', 'jti missing or reused');
    usedJti.add(claims.jti);
    const accessToken = randomBytes(24).toString('base64url');
    const scopes = String(b.scope ?? '').split(' ').filter(Boolean);
    tokens.set(accessToken, new Set(scopes));
    res.json({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope: scopes.join(' ') });
  });

  /** Whether the request's access token holds one of the scopes; answers 401/403 when not. */
  const allowed = (req: Request, res: Response, ...need: string[]): boolean => {
    const token = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const scopes = token ? tokens.get(token) : undefined;
    if (!scopes) {
      res.status(401).json({ error: 'invalid access token' });
      return false;
    }
    if (!need.some((s) => scopes.has(s))) {
      res.status(403).json({ error: `needs scope ${need.join(' or ')}` });
      return false;
    }
    return true;
  };

  app.get('/contexts/:ctx/lineitems', (req, res) => {
    if (!allowed(req, res, SCOPES.lineitem, SCOPES.lineitemRead)) return;
    const q = req.query as Record<string, string>;
    const list = lineItems.filter(
      (li) => li.contextId === req.params.ctx && (!q.resource_link_id || li.resourceLinkId === q.resource_link_id) && (!q.resource_id || li.resourceId === q.resource_id) && (!q.tag || li.tag === q.tag),
    );
    res.type('application/vnd.ims.lis.v2.lineitemcontainer+json').send(JSON.stringify(list.map(({ contextId: _c, ...li }) => li)));
  });
  app.post('/contexts/:ctx/lineitems', (req, res) => {
    if (!allowed(req, res, SCOPES.lineitem)) return;
    if (!moodleGradeMax(req.body?.scoreMaximum)) return void res.status(400).json({ error: `scoreMaximum ${JSON.stringify(req.body?.scoreMaximum)}: ${INVALID_GRADE}` });
    const li = createLineItem(String(req.params.ctx), req.body);
    const { contextId: _c, ...shown } = li;
    res.status(201).type('application/vnd.ims.lis.v2.lineitem+json').send(JSON.stringify(shown));
  });
  app.get('/contexts/:ctx/lineitems/:n', (req, res) => {
    if (!allowed(req, res, SCOPES.lineitem, SCOPES.lineitemRead)) return;
    const li = lineItems.find((l) => l.id === `${url}/contexts/${req.params.ctx}/lineitems/${req.params.n}`);
    if (!li) return void res.status(404).json({ error: 'no such line item' });
    const { contextId: _c, ...shown } = li;
    res.type('application/vnd.ims.lis.v2.lineitem+json').send(JSON.stringify(shown));
  });
  app.post('/contexts/:ctx/lineitems/:n/scores', (req, res) => {
    if (!allowed(req, res, SCOPES.score)) return;
    scoreAttempts += 1;
    const lineItemId = `${url}/contexts/${req.params.ctx}/lineitems/${req.params.n}`;
    if (!lineItems.some((l) => l.id === lineItemId)) return void res.status(404).json({ error: 'no such line item' });
    if (failing > 0) {
      failing -= 1;
      return void res.status(failStatus).json({ error: `the gradebook answers ${failStatus} (simulated)` });
    }
    const s = req.body as Record<string, unknown>;
    if (typeof s.userId !== 'string' || typeof s.timestamp !== 'string' || !s.activityProgress || !s.gradingProgress) return void res.status(400).json({ error: 'userId, timestamp, activityProgress and gradingProgress are required' });
    if (lineItems.find((l) => l.id === lineItemId)?.gradeType === 'text') {
      droppedScores.push({ ...s, lineItemId });
      return void res.status(200).end();
    }
    scores.push({ ...s, lineItemId });
    res.status(204).end();
  });
  function createLineItem(contextId: string, body: Record<string, any>) {
    const li = { ...body, id: `${url}/contexts/${contextId}/lineitems/${lineItems.length + 1}`, contextId };
    lineItems.push(li);
    return li;
  }

  app.get('/contexts/:ctx/memberships', (req, res) => {
    if (!allowed(req, res, SCOPES.nrps)) return;
    res.type('application/vnd.ims.lti-nrps.v2.membershipcontainer+json').send(
      JSON.stringify({ id: `${url}${req.path}`, context: { id: req.params.ctx }, members: members.get(String(req.params.ctx)) ?? [] }),
    );
  });

  // Deep Linking return: the tool's signed response becomes links (and line items) in the context.
  app.post('/deep-links/return', async (req, res) => {
    if (!tool) return void res.status(400).send('no tool registered');
    try {
      const jwt = String((req.body as Record<string, string>).JWT ?? '');
      const claims = await verifyWithJwks(jwt, tool.jwksUrl);
      if (claims.iss !== clientId || claims.aud !== url) throw new Error('iss must be the client id and aud the platform');
      if (claims[`${LTI}message_type`] !== 'LtiDeepLinkingResponse') throw new Error('not an LtiDeepLinkingResponse');
      if (claims[`${LTI}deployment_id`] !== deploymentId) throw new Error('wrong deployment');
      const items = (claims[`${DL}content_items`] ?? []) as Array<Record<string, any>>;
      const contextId = String(req.query.context ?? DEFAULT_CONTEXT.id);
      // Moodle: one item opens the activity form, which refuses the grade; several are saved at once,
      // and an item whose maximum Moodle cannot take gets a text-only column that drops every score.
      const ungradable = items.filter((i) => i.lineItem && !moodleGradeMax(i.lineItem.scoreMaximum));
      if (items.length === 1 && ungradable.length) throw new Error(`${INVALID_GRADE} (scoreMaximum ${JSON.stringify(ungradable[0]!.lineItem.scoreMaximum)})`);
      for (const item of items) {
        if (item.type !== 'ltiResourceLink') continue;
        const id = `link-${links.length + 1}`;
        const gradable = !ungradable.includes(item);
        const li = item.lineItem ? createLineItem(contextId, { ...item.lineItem, resourceLinkId: id, ...(gradable ? {} : { gradeType: 'text' }) }) : undefined;
        links.push({ id, contextId, title: item.title, url: item.url, custom: item.custom ?? {}, ...(li ? { lineItemId: li.id } : {}) });
      }
      deepLinkResponses.push({ items, message: claims[`${DL}msg`] });
      res.type('html').send(`<!doctype html><p id="added">${items.length} item(s) added</p>`);
    } catch (err) {
      res.status(400).type('text').send(`deep linking response refused: ${(err as Error).message}`);
    }
  });

  // Dynamic Registration: the platform's configuration and its registration endpoint.
  app.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer: url,
      authorization_endpoint: `${url}/auth`,
      token_endpoint: `${url}/token`,
      jwks_uri: `${url}/jwks`,
      registration_endpoint: `${url}/register`,
      scopes_supported: ['openid', ...Object.values(SCOPES)],
      response_types_supported: ['id_token'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['sub', 'iss', 'name', 'given_name', 'family_name', 'email'],
      'https://purl.imsglobal.org/spec/lti-platform-configuration': { product_family_code: 'xcredit-simulator', version: '1', messages_supported: [{ type: 'LtiResourceLinkRequest' }, { type: 'LtiDeepLinkingRequest' }] },
    });
  });
  app.post('/register', (req, res) => {
    const r = req.body as Record<string, any>;
    if (req.get('authorization') !== 'Bearer registration-token') return void res.status(401).json({ error: 'registration token required' });
    let config: MoodleToolConfig;
    try {
      config = moodleConfig(r);
    } catch (err) {
      return void res.status(400).json({ error: (err as Error).message });
    }
    clientId = `dyn-${randomBytes(4).toString('hex')}`;
    deploymentId = `${Math.floor(Math.random() * 90) + 10}`;
    tool = { loginUrl: r.initiate_login_uri, launchUrl: r.redirect_uris[0], jwksUrl: r.jwks_uri };
    registered = config;
    // Moodle answers with its own reading of the registration (config_to_registration), not an echo.
    const { messages: _m, ...toolConfig } = r[TOOL_CONFIGURATION];
    res.json({
      client_id: clientId,
      response_types: ['id_token'],
      jwks_uri: r.jwks_uri,
      initiate_login_uri: r.initiate_login_uri,
      grant_types: ['client_credentials', 'implicit'],
      redirect_uris: r.redirect_uris,
      application_type: 'web',
      token_endpoint_auth_method: 'private_key_jwt',
      client_name: r.client_name,
      scope: r.scope ?? '',
      [TOOL_CONFIGURATION]: { ...toolConfig, deployment_id: deploymentId, ...(config.deepLinking ? { messages: [{ type: 'LtiDeepLinkingRequest', target_link_uri: config.contentSelectionUrl }] } : {}) },
    });
  });

  app.get('/embed', (req, res) => {
    // As Moodle 4.3's embedded launch: a frame of a set height that follows the tool's lti.frameResize messages.
    res
      .type('html')
      .send(
        `<!doctype html><title>Simulated LMS</title><style>body{margin:0 8px}h1{margin:8px 0;font-size:20px}</style><h1>Simulated LMS</h1><iframe id="tool" src="${escape(String(req.query.launch ?? ''))}" style="width:100%;height:${Number(req.query.height) || 600}px;border:0" allow="autoplay; fullscreen"></iframe>` +
          `<script>window.frameResizes = []; addEventListener('message', (e) => { const frame = document.getElementById('tool'); if (e.source !== frame.contentWindow || e.data?.subject !== 'lti.frameResize') return; window.frameResizes.push(e.data); const h = Number(e.data.height); if (h > 0 && ${req.query.fixed ? 'false' : 'true'}) frame.style.height = h + 'px'; });</script>`,
      );
  });

  /** Moodle 4.3's reading of a registration: its required attributes, its refusals, what it keeps. */
  function moodleConfig(r: Record<string, any>): MoodleToolConfig {
    const need = (o: Record<string, any>, key: string) => {
      if (o[key] === undefined || o[key] === null || o[key] === '' || (Array.isArray(o[key]) && o[key].length === 0)) throw new Error(`missing required attribute ${key}`);
      return o[key];
    };
    for (const key of ['response_types', 'initiate_login_uri', 'redirect_uris', 'client_name', 'jwks_uri', 'token_endpoint_auth_method', TOOL_CONFIGURATION]) need(r, key);
    const t = r[TOOL_CONFIGURATION] as Record<string, any>;
    need(t, 'domain');
    need(t, 'target_link_uri');
    if (!Array.isArray(r.response_types) || !r.response_types.includes('id_token')) throw new Error('invalid_response_types');
    if (!Array.isArray(r.redirect_uris)) throw new Error('invalid_redirect_uris');
    if (r.token_endpoint_auth_method !== 'private_key_jwt') throw new Error('invalid_token_endpoint_auth_method');
    if (r.application_type && r.application_type !== 'web') throw new Error('invalid_application_type');
    const messages = (Array.isArray(t.messages) ? t.messages : []) as Array<Record<string, unknown>>;
    const dl = messages.find((m) => m.type === 'LtiDeepLinkingRequest');
    const scopes = String(r.scope ?? '').split(' ');
    const claims = (Array.isArray(t.claims) ? t.claims : []) as string[];
    return {
      name: String(r.client_name),
      toolUrl: String(t.target_link_uri),
      contentSelectionUrl: dl ? String(dl.target_link_uri ?? '') : '',
      deepLinking: !!dl,
      courseVisible: 'preconfigured',
      state: 'pending',
      acceptGrades: [SCOPES.score, SCOPES.result, SCOPES.lineitemRead, SCOPES.lineitem].some((s) => scopes.includes(s)),
      memberships: scopes.includes(SCOPES.nrps),
      sendName: ['name', 'given_name', 'family_name'].some((c) => claims.includes(c)),
      sendEmail: claims.includes('email'),
      messages,
    };
  }

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, host, () => resolve(s));
    s.once('error', reject);
  });
  url = `http://${options.publicHost ?? host}:${(server.address() as AddressInfo).port}`;

  const loginUrl = (message: LaunchMessage) => {
    if (!tool) throw new Error('register the tool first (registerTool or Dynamic Registration)');
    const hint = randomUUID();
    hints.set(hint, message);
    const params = new URLSearchParams({ iss: url, login_hint: String(message.claims.sub || 'anonymous'), target_link_uri: message.targetLinkUri ?? tool.launchUrl, lti_message_hint: hint, client_id: clientId, lti_deployment_id: deploymentId });
    return `${tool.loginUrl}?${params}`;
  };

  async function run(login: string, opts: { dropCookies?: boolean }): Promise<LaunchResult> {
    const first = await fetch(login, { redirect: 'manual' });
    const cookies = opts.dropCookies ? '' : first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const to = first.headers.get('location');
    if (first.status !== 302 || !to) return { status: first.status, location: to, html: await first.text(), idToken: undefined };
    const auth = await fetch(to, { redirect: 'manual' });
    const form = await auth.text();
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(form)?.[1]?.replace(/&#(\d+);/g, (_m, c) => String.fromCharCode(Number(c)));
    const action = /action="([^"]*)"/.exec(form)?.[1];
    const idToken = field('id_token');
    if (auth.status !== 200 || !action || !idToken) return { status: auth.status, location: null, html: form, idToken: undefined };
    const posted = await fetch(action, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(cookies ? { Cookie: cookies } : {}) },
      body: new URLSearchParams({ id_token: idToken, state: field('state') ?? '' }),
    });
    return { status: posted.status, location: posted.headers.get('location'), html: await posted.text(), idToken };
  }

  const base = (userId: string, role: string, extra: Record<string, unknown> = {}) => ({
    iss: url,
    aud: clientId,
    sub: userId,
    iat: 0,
    exp: 0,
    nonce: '',
    name: `User ${userId}`,
    email: `${userId}@example.edu`,
    [`${LTI}deployment_id`]: deploymentId,
    [`${LTI}message_type`]: 'LtiResourceLinkRequest',
    [`${LTI}version`]: '1.3.0',
    [`${LTI}target_link_uri`]: tool?.launchUrl ?? '',
    [`${LTI}roles`]: [`http://purl.imsglobal.org/vocab/lis/v2/membership#${role}`],
    [`${LTI}context`]: DEFAULT_CONTEXT,
    [`${LTI}resource_link`]: { id: 'resource-link-1', title: 'Safety video' },
    [AGS]: { scope: [SCOPES.lineitem, SCOPES.lineitemRead, SCOPES.score, SCOPES.result], lineitems: '' },
    [NRPS]: { context_memberships_url: '', service_versions: ['2.0'] },
    ...extra,
  });

  return {
    get url() {
      return url;
    },
    get clientId() {
      return clientId;
    },
    get deploymentId() {
      return deploymentId;
    },
    kid,
    get endpoints() {
      return endpoints();
    },
    get tool() {
      return tool;
    },
    registerTool(t) {
      tool = t;
    },
    registration(extra = {}) {
      return { name: extra.name ?? 'Simulated LMS', issuer: url, clientId, authenticationEndpoint: `${url}/auth`, accessTokenEndpoint: `${url}/token`, jwksUrl: `${url}/jwks`, deploymentIds: [deploymentId], learnerIdClaim: extra.learnerIdClaim ?? 'sub' };
    },
    loginUrl,
    embedUrl: (message, opts = {}) => `${url}/embed?launch=${encodeURIComponent(loginUrl(message))}${opts.height ? `&height=${opts.height}` : ''}${opts.fixed ? '&fixed=1' : ''}`,
    launch: (message, opts = {}) => run(loginUrl(message), opts),
    followLogin: (login, opts = {}) => run(login, opts),
    studentClaims: (userId, extra) => base(userId, 'Learner', extra),
    instructorClaims: (userId, extra) => base(userId, 'Instructor', extra),
    deepLinkingClaims(userId) {
      const { [`${LTI}resource_link`]: _r, ...claims } = base(userId, 'Instructor');
      return {
        ...claims,
        [`${LTI}message_type`]: 'LtiDeepLinkingRequest',
        [`${DL}deep_linking_settings`]: { deep_link_return_url: '', accept_types: ['ltiResourceLink'], accept_presentation_document_targets: ['iframe', 'window'], accept_multiple: true, auto_create: true, data: 'opaque-platform-data' },
      };
    },
    linkClaims(linkId, userId, role = 'Learner') {
      const link = links.find((l) => l.id === linkId);
      if (!link) throw new Error(`no link ${linkId}`);
      const claims: Record<string, unknown> = base(userId, role, { [`${LTI}resource_link`]: { id: link.id, title: link.title }, [`${LTI}custom`]: link.custom, [`${LTI}target_link_uri`]: link.url });
      if (link.lineItemId) claims[AGS] = { ...(claims[AGS] as object), lineitem: link.lineItemId };
      return claims;
    },
    setMembers(contextId, list) {
      members.set(contextId, list);
    },
    failScores(n, status = 500) {
      failing = n;
      failStatus = status;
    },
    get scores() {
      return scores;
    },
    get scoreAttempts() {
      return scoreAttempts;
    },
    lineItems,
    droppedScores,
    get registered() {
      return registered;
    },
    links,
    deepLinkResponses,
    issuedIdTokens,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
