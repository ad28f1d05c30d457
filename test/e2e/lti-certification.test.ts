import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PlatformSimulator } from '@xcredit/lti-platform-sim';
import { startTestServer, type Engine, type TestServer } from '@xcredit/lrs-server/testing';
import { connectSimulator, errorCode, errorMessage, fixtures } from '../support/lti.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

// What each invalid certification launch must be refused with.
const REFUSALS: Record<string, { status: number; code: string }> = {
  'Correct KID Required in Header': { status: 401, code: 'missing_kid' },
  'Exp and Iat Fields invalid': { status: 401, code: 'expired_id_token' },
  'Incorrect KID passed in JWT Header': { status: 401, code: 'unknown_kid' },
  'JWT Passed is Not LTI 1.3 JWT': { status: 401, code: 'issuer_mismatch' },
  'LTI version passed is not 1.3': { status: 400, code: 'wrong_lti_version' },
  'Launch Instructor With Email No Context': { status: 400, code: 'missing_context' },
  'Launch With Missing resource_link_id': { status: 400, code: 'missing_resource_link' },
  'No LTI Version Passed in JWT': { status: 400, code: 'missing_lti_version' },
  'One or more JWT fields missing': { status: 400, code: 'missing_message_type' },
  'deployment_id Claim Missing': { status: 400, code: 'missing_deployment_id' },
  'message_type Claim Missing': { status: 400, code: 'missing_message_type' },
  'role Claim Missing': { status: 400, code: 'missing_roles' },
  'user Claim Missing': { status: 400, code: 'missing_user' },
};

const valid = fixtures('valid');
const invalid = fixtures('invalid');

describe.skipIf(valid.length === 0).each(engines)('the IMS LTI 1.3 certification launches on %s', (engine) => {
  let server: TestServer;
  let sim: PlatformSimulator;
  const accepted: string[] = [];
  const rejected: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    // The fixtures' own client id and deployment, so only what a case changes differs.
    sim = await connectSimulator(server, { clientId: 'imstester_3dfad6d', deploymentId: 'testdeploy' });
  });
  afterAll(async () => {
    await sim?.close();
    await server?.close();
  });

  it('has every case of the suite: 21 valid and 13 invalid', () => {
    expect(valid).toHaveLength(21);
    expect(invalid).toHaveLength(13);
    expect(invalid.map((f) => f.name).sort()).toEqual(Object.keys(REFUSALS).sort());
  });

  it.each(valid.map((f) => [f.name, f] as const))('accepts "%s"', async (_name, fixture) => {
    const result = await sim.launch({ claims: fixture.payload, header: fixture.header, keep: fixture.keep, targetLinkUri: `${server.url}/lti?course=lti-safety` });
    const type = fixture.payload['https://purl.imsglobal.org/spec/lti/claim/message_type'];
    const roles = (fixture.payload['https://purl.imsglobal.org/spec/lti/claim/roles'] as string[]).join(' ');
    if (type === 'LtiDeepLinkingRequest') {
      expect(result.status, result.html).toBe(200);
      expect(result.html).toContain('action="/lti/deep-link"');
      expect(result.html).toContain('value="lti-safety"');
    } else if (/Instructor/.test(roles)) {
      expect(result.status, result.html).toBe(200);
      expect(result.html).toContain('<table id="report">');
      expect(result.html).toContain('Preview as a learner');
    } else {
      expect(result.status, result.html).toBe(303);
      expect(result.location).toMatch(new RegExp(`^${server.url}/play#token=`));
    }
    accepted.push(fixture.name);
  });

  it.each(invalid.map((f) => [f.name, f] as const))('rejects "%s" with a clear error page', async (name, fixture) => {
    const result = await sim.launch({ claims: fixture.payload, header: fixture.header, keep: fixture.keep, targetLinkUri: `${server.url}/lti?course=lti-safety` });
    expect(result.status, result.html).toBe(REFUSALS[name]!.status);
    expect(errorCode(result.html)).toBe(REFUSALS[name]!.code);
    expect(errorMessage(result.html)?.length).toBeGreaterThan(20);
    expect(result.location).toBeNull();
    rejected.push(fixture.name);
  });

  it('accepted all 21 and rejected all 13', () => {
    expect(accepted).toHaveLength(21);
    expect(rejected).toHaveLength(13);
  });
});
