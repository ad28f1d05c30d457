import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformSimulator, type PlatformSimulator } from '@xcredit/lti-platform-sim';

const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';
const DL = 'https://purl.imsglobal.org/spec/lti-dl/claim/';
const TOOL_CONFIG = 'https://purl.imsglobal.org/spec/lti-tool-configuration';

/** A tool of the test's own: a key pair and a keyset server, so the test signs what it sends. */
describe('the platform simulator behaves as Moodle 4.3 does', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let keys: Server;
  let jwksUrl = '';
  let sim: PlatformSimulator;
  const jwt = (payload: Record<string, unknown>) => {
    const input = `${Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'tool' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  };
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    keys = createServer((_req, res) => res.setHeader('Content-Type', 'application/json').end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'tool', alg: 'RS256', use: 'sig' }] })));
    await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(keys.address() as AddressInfo).port}/jwks`;
    sim = await startPlatformSimulator();
    sim.registerTool({ loginUrl: 'http://tool.test/login', launchUrl: 'http://tool.test/lti', jwksUrl });
  });
  afterAll(async () => {
    await sim?.close();
    await new Promise((resolve) => keys?.close(resolve));
  });

  const returnItems = (items: Array<Record<string, unknown>>) =>
    fetch(`${sim.url}/deep-links/return?context=grades`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        JWT: jwt({ iss: sim.clientId, aud: sim.url, iat: now(), exp: now() + 60, nonce: randomUUID(), [`${LTI}message_type`]: 'LtiDeepLinkingResponse', [`${LTI}version`]: '1.3.0', [`${LTI}deployment_id`]: sim.deploymentId, [`${DL}content_items`]: items }),
      }),
    });
  const link = (title: string, scoreMaximum: number) => ({ type: 'ltiResourceLink', title, url: 'http://tool.test/lti', lineItem: { scoreMaximum, label: title } });

  async function accessToken(): Promise<string> {
    const res = await fetch(sim.endpoints.token, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: jwt({ iss: sim.clientId, sub: sim.clientId, aud: sim.endpoints.token, iat: now(), exp: now() + 60, jti: randomUUID() }),
        scope: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem https://purl.imsglobal.org/spec/lti-ags/scope/score',
      }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('refuses one picked link whose grade maximum is not a whole number from 1 to 100, and saves nothing', async () => {
    for (const max of [1.5, 0, 101]) {
      const before = sim.links.length;
      const res = await returnItems([link('First aid', max)]);
      expect(res.status, String(max)).toBe(400);
      expect(await res.text()).toContain('Invalid grade value. This must be an integer between 1 and 100');
      expect(sim.links.length).toBe(before);
    }
    expect((await returnItems([link('First aid', 100)])).status).toBe(200);
  });

  it('among several links, makes a text-only column for the fractional one and drops its scores while answering 200', async () => {
    expect((await returnItems([link('First aid', 1.5), link('Fire drill', 30)])).status).toBe(200);
    const [firstAid, fireDrill] = sim.links.slice(-2).map((l) => sim.lineItems.find((li) => li.id === l.lineItemId)!);
    expect(firstAid).toMatchObject({ scoreMaximum: 1.5, gradeType: 'text' });
    expect(fireDrill).not.toHaveProperty('gradeType');
    const token = await accessToken();
    const post = (lineItem: string) =>
      fetch(`${lineItem}/scores`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/vnd.ims.lis.v1.score+json' },
        body: JSON.stringify({ userId: 'u1', scoreGiven: 1.5, scoreMaximum: 1.5, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: new Date().toISOString() }),
      });
    const before = sim.scores.length;
    expect((await post(firstAid!.id)).status).toBe(200);
    expect(sim.scores.length).toBe(before);
    expect(sim.droppedScores.at(-1)).toMatchObject({ userId: 'u1', lineItemId: firstAid!.id });
    expect((await post(fireDrill!.id)).status).toBe(204);
    expect(sim.scores.length).toBe(before + 1);
  });

  it('refuses to create a line item worth 1.5 through the line items service', async () => {
    const token = await accessToken();
    const create = (scoreMaximum: unknown) =>
      fetch(`${sim.url}/contexts/grades/lineitems`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/vnd.ims.lis.v2.lineitem+json' }, body: JSON.stringify({ scoreMaximum, label: 'First aid' }) });
    const refused = await create(1.5);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain('Invalid grade value');
    expect((await create(100)).status).toBe(201);
  });

  it('reads a Dynamic Registration as Moodle does: required attributes, the Deep Linking target as Content Selection URL, preconfigured only', async () => {
    const register = (body: Record<string, unknown>) =>
      fetch(sim.endpoints.registration, { method: 'POST', headers: { Authorization: 'Bearer registration-token', 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const full = {
      application_type: 'web',
      response_types: ['id_token'],
      grant_types: ['implicit', 'client_credentials'],
      initiate_login_uri: 'http://tool.test/login',
      redirect_uris: ['http://tool.test/lti'],
      client_name: 'tool',
      jwks_uri: jwksUrl,
      token_endpoint_auth_method: 'private_key_jwt',
      scope: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
      [TOOL_CONFIG]: { domain: 'tool.test', target_link_uri: 'http://tool.test/lti', claims: ['iss', 'sub', 'email'], messages: [{ type: 'LtiDeepLinkingRequest', target_link_uri: 'http://tool.test/lti/pick' }] },
    };
    for (const [change, says] of [
      [{ client_name: undefined }, 'missing required attribute client_name'],
      [{ token_endpoint_auth_method: 'client_secret_basic' }, 'invalid_token_endpoint_auth_method'],
      [{ [TOOL_CONFIG]: { ...full[TOOL_CONFIG], domain: undefined } }, 'missing required attribute domain'],
    ] as const) {
      const res = await register({ ...full, ...change });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(says);
    }
    const res = await register(full);
    expect(res.status).toBe(200);
    expect(sim.registered).toMatchObject({ contentSelectionUrl: 'http://tool.test/lti/pick', deepLinking: true, courseVisible: 'preconfigured', acceptGrades: true, memberships: false, sendName: false, sendEmail: true });
    const answer = (await res.json()) as Record<string, any>;
    expect(answer[TOOL_CONFIG]).toMatchObject({ deployment_id: sim.deploymentId, messages: [{ type: 'LtiDeepLinkingRequest', target_link_uri: 'http://tool.test/lti/pick' }] });
    // Without a Deep Linking message, Moodle leaves "Supports Deep Linking" off and the Content Selection URL empty.
    await register({ ...full, [TOOL_CONFIG]: { ...full[TOOL_CONFIG], messages: [{ type: 'LtiResourceLinkRequest' }] } });
    expect(sim.registered).toMatchObject({ deepLinking: false, contentSelectionUrl: '' });
  });
});
