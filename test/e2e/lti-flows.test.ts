import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTenant, openStore } from '@xcredit/lrs-server';
import { DEFAULT_CONTEXT, startPlatformSimulator, type PlatformSimulator } from '@xcredit/lti-platform-sim';
import { createClient, createTestDatabase, startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { api, connectSimulator, errorCode, errorMessage } from '../support/lti.js';
import { testEngines } from '../support/engines.js';

const COURSE_LINK = (server: TestServer) => `${server.url}/lti?course=lti-safety`;
const now = () => Math.floor(Date.now() / 1000);

describe.each(testEngines())('LTI flows on %s', (engine) => {
  let server: TestServer;
  let sim: PlatformSimulator;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    sim = await connectSimulator(server);
  });
  afterAll(async () => {
    await sim?.close();
    await server?.close();
  });

  it('refuses a replayed id_token, a wrong audience, an expired token, an unknown deployment and a bad signature, each with an error page that says so', async () => {
    const first = await sim.launch({ claims: sim.studentClaims('replayer'), targetLinkUri: COURSE_LINK(server) });
    expect(first.status).toBe(303);
    const cases = [
      { name: 'replay', message: { claims: sim.studentClaims('replayer'), replay: first.idToken! }, status: 401, code: 'replayed_id_token', says: /already used/ },
      { name: 'audience', message: { claims: { ...sim.studentClaims('a'), aud: 'another-tool' }, keep: ['aud'] }, status: 401, code: 'unknown_audience', says: /client id \(aud\) "another-tool"/ },
      { name: 'expired', message: { claims: { ...sim.studentClaims('e'), iat: now() - 900, exp: now() - 600 }, keep: ['iat', 'exp'] }, status: 401, code: 'expired_id_token', says: /expired/ },
      {
        name: 'deployment',
        message: { claims: { ...sim.studentClaims('d'), 'https://purl.imsglobal.org/spec/lti/claim/deployment_id': 'rogue-deployment' }, keep: ['https://purl.imsglobal.org/spec/lti/claim/deployment_id'] },
        status: 403,
        code: 'unknown_deployment',
        says: /deployment "rogue-deployment" .* is not registered/,
      },
      { name: 'signature', message: { claims: sim.studentClaims('s'), forgeSignature: true }, status: 401, code: 'bad_signature', says: /signature does not verify/ },
    ];
    for (const c of cases) {
      const result = await sim.launch({ targetLinkUri: COURSE_LINK(server), ...c.message });
      expect(result.status, `${c.name}: ${result.html}`).toBe(c.status);
      expect(result.html, c.name).toContain('role="alert"');
      expect(errorCode(result.html), c.name).toBe(c.code);
      expect(errorMessage(result.html), c.name).toMatch(c.says);
      expect(result.location, c.name).toBeNull();
    }
    // None of them started a session.
    for (const learner of ['a', 'e', 'd', 's']) expect((await api(server, 'GET', `/learners/${learner}/credits`)).status).toBe(404);
  });

  it('registers platforms by API: 4xx naming each bad field, nothing written, 409 for a second registration, 403 without credits/admin', async () => {
    const bad = await api(server, 'POST', '/lti/platforms', { ...sim.registration(), issuer: 'not a url', deploymentIds: [], learnerIdClaim: 'phone' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/issuer/);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['deploymentIds', 'issuer', 'learnerIdClaim']);
    const missing = await api(server, 'POST', '/lti/platforms', { name: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['issuer', 'clientId', 'authenticationEndpoint', 'accessTokenEndpoint', 'jwksUrl', 'deploymentIds']));
    const again = await api(server, 'POST', '/lti/platforms', sim.registration());
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(sim.clientId);
    const list = await api(server, 'GET', '/lti/platforms');
    expect(list.body.platforms).toHaveLength(1);
    expect(list.body.tool).toEqual({ loginUrl: `${server.url}/lti/login`, launchUrl: `${server.url}/lti`, deepLinkingUrl: `${server.url}/lti`, jwksUrl: `${server.url}/lti/keys`, dynamicRegistrationUrl: `${server.url}/lti/register` });
    const reader = await createClient(server.store.db, { tenantId: 'default', name: 'reader', scopes: ['credits/read'] });
    const forbidden = await fetch(`${server.url}/api/v1/lti/platforms`, { headers: { Authorization: `Basic ${Buffer.from(`${reader.key}:${reader.secret}`).toString('base64')}` } });
    expect(forbidden.status).toBe(403);
  });

  it('names learners by the platform’s rule (email here), and refuses a launch that lacks what the rule needs', async () => {
    const byEmail = await connectSimulator(server, { learnerIdClaim: 'email' });
    try {
      const ok = await byEmail.launch({ claims: byEmail.studentClaims('u-77'), targetLinkUri: COURSE_LINK(server) });
      expect(ok.status, ok.html).toBe(303);
      expect((await api(server, 'GET', '/learners/u-77@example.edu/credits')).status).toBe(200);
      expect((await api(server, 'GET', '/learners/u-77/credits')).status).toBe(404);
      const { email: _email, ...noEmail } = byEmail.studentClaims('u-78');
      const refused = await byEmail.launch({ claims: noEmail, targetLinkUri: COURSE_LINK(server) });
      expect(refused.status).toBe(400);
      expect(errorCode(refused.html)).toBe('no_learner_id');
      expect(errorMessage(refused.html)).toContain('identifies learners by email, and the launch carries no email');
    } finally {
      await byEmail.close();
    }
  });

  it('opens the check-in page, not the player, for a course taught in training sessions, and the launch checks the learner in', async () => {
    expect((await api(server, 'PUT', '/courses/lti-first-aid', { title: 'First aid', activityId: 'https://example.com/courses/lti-first-aid', credits: 1, kind: 'required', lengthSeconds: 3600 })).status).toBe(201);
    const start = new Date();
    const session = await api(server, 'POST', '/training-sessions', { courseId: 'lti-first-aid', startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3600_000).toISOString(), location: 'Lab 2', trainer: 'Ms. Ito' });
    expect(session.status).toBe(201);
    await api(server, 'POST', `/training-sessions/${session.body.sessionId}/open`);
    const launched = await sim.launch({ claims: sim.studentClaims('u-90'), targetLinkUri: `${server.url}/lti?course=lti-first-aid` });
    expect(launched.status, launched.html).toBe(303);
    expect(launched.location).toMatch(new RegExp(`^${server.url}/checkin#token=`));
    const token = decodeURIComponent(/#token=(.+)$/.exec(launched.location!)![1]!);
    const { body: code } = await api(server, 'GET', `/training-sessions/${session.body.sessionId}/code`);
    const scanned = await fetch(`${server.url}/api/v1/launches/current/attendance`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ code: code.code }) });
    expect(scanned.status).toBe(201);
    expect((await api(server, 'GET', `/training-sessions/${session.body.sessionId}`)).body.attendance.map((a: { learnerId: string }) => a.learnerId)).toEqual(['u-90']);
    // A course with a video still opens the player.
    const video = await sim.launch({ claims: sim.studentClaims('u-91'), targetLinkUri: COURSE_LINK(server) });
    expect(video.location).toMatch(new RegExp(`^${server.url}/play#token=`));
  });

  it('gives up at once on a score the gradebook refuses (4xx), and posts the next one', async () => {
    const launched = await sim.launch({ claims: sim.studentClaims('learner-40'), targetLinkUri: COURSE_LINK(server) });
    const token = decodeURIComponent(/#token=(.+)$/.exec(launched.location!)![1]!);
    const launch = await (await fetch(`${server.url}/api/v1/launches/current`, { headers: { Authorization: `Bearer ${token}` } })).json();
    const jobs = async () => ((await (server.store.db as any).selectFrom('outbox').selectAll().where('kind', '=', 'lti.score').where('dedupe_key', '=', 'learner-40|lti-safety').orderBy('id').execute()) as Array<{ done_at: Date | null; attempts: number; last_error: string | null }>);
    const statement = (verb: string) =>
      fetch(`${server.url}/xapi/statements`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'X-Experience-API-Version': '1.0.3' },
        body: JSON.stringify({ actor: launch.actor, verb: { id: `http://adlnet.gov/expapi/verbs/${verb}` }, object: { id: launch.activityId, objectType: 'Activity' }, context: { registration: launch.registration } }),
      });
    sim.failScores(1, 403);
    const before = sim.scores.length;
    expect((await statement('experienced')).status).toBe(200);
    await expect.poll(async () => (await jobs())[0]?.done_at, { timeout: 30_000, interval: 200 }).toBeTruthy();
    expect((await jobs())[0]).toMatchObject({ attempts: 1, last_error: expect.stringMatching(/^the platform refused the score: .*403/) });
    expect(sim.scores.length).toBe(before);
    expect((await statement('attempted')).status).toBe(200);
    await expect.poll(() => sim.scores.filter((s) => s.userId === 'learner-40').length, { timeout: 30_000, interval: 200 }).toBe(1);
    expect(sim.scores.at(-1)).toMatchObject({ userId: 'learner-40', scoreGiven: 0, activityProgress: 'InProgress', gradingProgress: 'Pending' });
  });

  it('keeps each tenant’s platforms, learners and LTI records apart', async () => {
    await ensureTenant(server.store.db, { id: 'acme', name: 'Acme', homePage: 'https://acme.example.com' });
    const acme = await createClient(server.store.db, { tenantId: 'acme', name: 'acme admin', scopes: ['credits/admin'] });
    const asAcme = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { Authorization: `Basic ${Buffer.from(`${acme.key}:${acme.secret}`).toString('base64')}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    };
    const lms = await startPlatformSimulator();
    try {
      lms.registerTool({ loginUrl: `${server.url}/lti/login`, launchUrl: `${server.url}/lti`, jwksUrl: `${server.url}/lti/keys` });
      expect((await asAcme('POST', '/lti/platforms', lms.registration())).status).toBe(201);
      expect((await asAcme('PUT', '/courses/acme-safety', { title: 'Acme safety', activityId: 'https://acme.example.com/safety', credits: 1, kind: 'required', lengthSeconds: 15 })).status).toBe(201);
      const launched = await lms.launch({ claims: lms.studentClaims('acme-learner'), targetLinkUri: `${server.url}/lti?course=acme-safety` });
      expect(launched.status, launched.html).toBe(303);
      expect((await asAcme('GET', '/learners/acme-learner/credits')).status).toBe(200);
      expect((await api(server, 'GET', '/learners/acme-learner/credits')).status).toBe(404);
      expect((await api(server, 'GET', '/lti/platforms')).body.platforms.map((p: { issuer: string }) => p.issuer)).not.toContain(lms.url);
      expect((await asAcme('GET', '/lti/platforms')).body.platforms.map((p: { issuer: string }) => p.issuer)).toEqual([lms.url]);
      // The platform's course of another tenant is not reachable from this LMS.
      const other = await lms.launch({ claims: lms.studentClaims('acme-learner'), targetLinkUri: COURSE_LINK(server) });
      expect(other.status).toBe(404);
      expect(errorCode(other.html)).toBe('course_not_found');
      const records = (await (server.store.db as any).selectFrom('lti_documents').select(['tenant_id', 'collection']).where('collection', 'in', ['platform', 'publickey', 'privatekey', 'idtoken']).execute()) as Array<{ tenant_id: string; collection: string }>;
      const mine = await (server.store.db as any).selectFrom('lti_documents').select(['tenant_id', 'collection', 'doc']).where('collection', 'in', ['platform', 'publickey', 'privatekey']).execute();
      const acmeRecords = mine.filter((r: { doc: { platformUrl?: string } }) => r.doc.platformUrl === lms.url);
      expect(acmeRecords.map((r: { collection: string }) => r.collection).sort()).toEqual(['platform', 'privatekey', 'publickey']);
      expect(acmeRecords.every((r: { tenant_id: string }) => r.tenant_id === 'acme')).toBe(true);
      expect(records.some((r) => r.tenant_id === 'default')).toBe(true);
    } finally {
      await lms.close();
    }
  });

  it('sets the login state cookie for use inside an LMS frame, and when the browser refuses it offers the same launch in a new window', async () => {
    const login = await fetch(sim.loginUrl({ claims: sim.studentClaims('cookieless'), targetLinkUri: COURSE_LINK(server) }), { redirect: 'manual' });
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('state'));
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; SameSite=None/i);
    expect(cookie).toMatch(/; HttpOnly/i);

    const refused = await sim.launch({ claims: sim.studentClaims('cookieless'), targetLinkUri: COURSE_LINK(server) }, { dropCookies: true });
    expect(refused.status).toBe(200);
    const link = /id="open" href="([^"]+)" target="_blank"/.exec(refused.html)?.[1]?.replace(/&#(\d+);/g, (_m, c) => String.fromCharCode(Number(c)));
    expect(link).toMatch(new RegExp(`^${server.url}/lti/login\\?`));
    const inWindow = await sim.followLogin(link!);
    expect(inWindow.status, inWindow.html).toBe(303);
    expect(inWindow.location).toMatch(new RegExp(`^${server.url}/play#token=`));
  });

  it('lists the whole roster in the instructor’s class report, with who has not started', async () => {
    sim.setMembers(DEFAULT_CONTEXT.id, [
      { user_id: 'teacher-1', name: 'Tess Teacher', roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'] },
      { user_id: 'learner-20', name: 'Ada Started', roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'] },
      { user_id: 'learner-21', name: 'Bo Notyet', roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'] },
    ]);
    expect((await sim.launch({ claims: sim.studentClaims('learner-20'), targetLinkUri: COURSE_LINK(server) })).status).toBe(303);
    const report = await sim.launch({ claims: sim.instructorClaims('teacher-1'), targetLinkUri: COURSE_LINK(server) });
    expect(report.status, report.html).toBe(200);
    expect(report.html).toMatch(/<tr data-learner="learner-20" data-status="in progress"><td>Ada Started<\/td><td>learner-20<\/td><td>in progress<\/td><td>\d+%<\/td><td>[\d.]+ \/ 2<\/td><\/tr>/);
    expect(report.html).toContain('<tr data-learner="learner-21" data-status="not started"><td>Bo Notyet</td><td>learner-21</td><td>not started</td><td>—</td><td>—</td></tr>');
    expect(report.html).not.toContain('Tess Teacher');
    expect(report.html).not.toContain('roster-note');
    const preview = /id="preview"|href="([^"]+)" target="_blank" id="preview"/.exec(report.html);
    expect(preview).not.toBeNull();
  });

  it('round-trips Deep Linking: the instructor picks a course, the LMS gets a resource link with a line item, and a learner launches it', async () => {
    const picker = await sim.launch({ claims: sim.deepLinkingClaims('teacher-1') });
    expect(picker.status, picker.html).toBe(200);
    const ltik = /name="ltik" value="([^"]+)"/.exec(picker.html)?.[1];
    expect(ltik).toBeTruthy();
    const none = await fetch(`${server.url}/lti/deep-link`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ltik: ltik! }) });
    expect(none.status).toBe(400);
    expect(errorCode(await none.text())).toBe('no_course_picked');
    const forged = await fetch(`${server.url}/lti/deep-link`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ltik: 'forged', course: 'lti-safety' }) });
    expect(forged.status).toBe(401);

    const picked = await fetch(`${server.url}/lti/deep-link`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ltik: ltik!, course: 'lti-safety' }) });
    const form = await picked.text();
    expect(picked.status, form).toBe(200);
    const action = /action="([^"]+)"/.exec(form)![1]!.replace(/&amp;/g, '&');
    const jwt = /name="JWT" value="([^"]+)"/.exec(form)![1]!;
    expect(action.startsWith(`${sim.url}/deep-links/return`)).toBe(true);
    const returned = await fetch(action, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ JWT: jwt }) });
    expect(returned.status, await returned.clone().text()).toBe(200);
    const response = sim.deepLinkResponses.at(-1)!;
    expect(response.items).toEqual([
      {
        type: 'ltiResourceLink',
        title: 'Workplace safety in 15 seconds',
        text: '2 required credits',
        url: `${server.url}/lti?course=lti-safety`,
        custom: { xcredit_course: 'lti-safety' },
        lineItem: { scoreMaximum: 100, label: 'Workplace safety in 15 seconds', resourceId: 'lti-safety', tag: 'xcredit-credits' },
      },
    ]);
    const link = sim.links.at(-1)!;
    expect(link.lineItemId).toBeTruthy();
    const launched = await sim.launch({ claims: sim.linkClaims(link.id, 'learner-30') });
    expect(launched.status, launched.html).toBe(303);
    expect(launched.location).toMatch(new RegExp(`^${server.url}/play#token=`));
  });
});

describe.each(testEngines())('LTI registration and start-up on %s', (engine) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    const course = await api(server, 'PUT', '/courses/lti-safety', { title: 'Safety', activityId: 'https://xcredit.dev/courses/dyn-safety', credits: 1, kind: 'elective', lengthSeconds: 15, videoUrl: '/media/demo.mp4' });
    expect(course.status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('registers by LTI Dynamic Registration, refuses launches until an admin approves, then launches', async () => {
    const sim = await startPlatformSimulator();
    try {
      const link = await api(server, 'POST', '/lti/registration-links', {});
      expect(link.status).toBe(201);
      expect(link.body.url).toMatch(new RegExp(`^${server.url}/lti/register/[A-Za-z0-9_-]{43}$`));
      const broken = await fetch(`${link.body.url}?openid_configuration=not-a-url`);
      expect(broken.status).toBe(400);
      expect(errorCode(await broken.text())).toBe('missing_openid_configuration');

      const res = await fetch(`${link.body.url}?openid_configuration=${encodeURIComponent(sim.endpoints.openidConfiguration)}&registration_token=registration-token`);
      const html = await res.text();
      expect(res.status, html).toBe(200);
      // The LMS admin reads that approval is pending and where to approve, then closes the dialog.
      expect(html).toContain('approval pending');
      expect(html).toContain(`href="${server.url}/admin#/lti"`);
      expect(html).toContain('<button type="button" id="close">Close</button>');
      expect(sim.tool).toEqual({ loginUrl: `${server.url}/lti/login`, launchUrl: `${server.url}/lti`, jwksUrl: `${server.url}/lti/keys` });
      // Read as Moodle 4.3 reads it: Deep Linking supported, its Content Selection URL filled, grades and roster on.
      expect(sim.registered).toMatchObject({ deepLinking: true, contentSelectionUrl: `${server.url}/lti`, toolUrl: `${server.url}/lti`, acceptGrades: true, memberships: true, sendName: true, sendEmail: true });

      const { body } = await api(server, 'GET', '/lti/platforms');
      const platform = body.platforms.find((p: { issuer: string }) => p.issuer === sim.url);
      expect(platform).toMatchObject({ status: 'pending', source: 'dynamic', clientId: sim.clientId, deploymentIds: [sim.deploymentId] });
      const links = await api(server, 'GET', '/lti/registration-links');
      expect(links.body.links.find((l: { id: string }) => l.id === link.body.id)).toMatchObject({ status: 'used', platformId: platform.id });
      // The link is spent: the same URL starts nothing again.
      const again = await fetch(`${link.body.url}?openid_configuration=${encodeURIComponent(sim.endpoints.openidConfiguration)}&registration_token=registration-token`);
      expect(again.status).toBe(404);
      expect(errorCode(await again.text())).toBe('unknown_registration_link');

      const pending = await sim.launch({ claims: sim.studentClaims('4', { email: 'ann.lee@example.edu', name: 'Ann Lee' }), targetLinkUri: `${server.url}/lti?course=lti-safety` });
      expect(pending.status).toBe(403);
      expect(errorCode(pending.html)).toBe('platform_pending');
      // The refused launch was verified first: the admin sees what each learner-id rule makes of Ann.
      const seen = await api(server, 'GET', `/lti/platforms/${platform.id}`);
      expect(seen.body).toMatchObject({ status: 'pending', lastLaunch: { sub: '4', email: 'ann.lee@example.edu', name: 'Ann Lee' } });
      expect(seen.body.learnerIdPreview).toEqual({
        sub: { ok: true, id: '4' },
        email: { ok: true, id: 'ann.lee@example.edu' },
        'lis.person_sourcedid': { ok: false, why: 'this platform identifies learners by lis.person_sourcedid, and the launch carries no lis.person_sourcedid' },
      });
      // A learner-id rule that is not one of the three is refused, naming the field; nothing changes.
      const wrong = await api(server, 'POST', `/lti/platforms/${platform.id}/approve`, { learnerIdClaim: 'username' });
      expect(wrong.status).toBe(400);
      expect(JSON.stringify(wrong.body)).toContain('learnerIdClaim');
      expect((await api(server, 'GET', `/lti/platforms/${platform.id}`)).body.status).toBe('pending');

      const approved = await api(server, 'POST', `/lti/platforms/${platform.id}/approve`, { learnerIdClaim: 'email' });
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ status: 'active', learnerIdClaim: 'email' });
      const launched = await sim.launch({ claims: sim.studentClaims('4', { email: 'ann.lee@example.edu', name: 'Ann Lee' }), targetLinkUri: `${server.url}/lti?course=lti-safety` });
      expect(launched.status, launched.html).toBe(303);
      // The launch produced what the preview said.
      const token = new URLSearchParams(new URL(launched.location!).hash.slice(1)).get('token')!;
      const current = await (await fetch(`${server.url}/api/v1/launches/current`, { headers: { Authorization: `Bearer ${token}` } })).json();
      expect(current.learnerId).toBe('ann.lee@example.edu');
    } finally {
      await sim.close();
    }
  });

  it('keeps serving everything else when LTI cannot start, and says why at /lti', async () => {
    const { sql } = await import('kysely');
    await sql`alter table lti_platforms rename to lti_platforms_away`.execute(server.store.db);
    try {
      await expect(server.lti.deploy()).rejects.toThrow(/LTI could not start: the LTI table lti_platforms is missing or unreadable \(run `xcredit migrate`\)/);
      // ltijs tried to exit the process; it is still here, and so is the server.
      expect((await fetch(`${server.url}/xapi/about`)).status).toBe(200);
      const lti = await fetch(`${server.url}/lti/login`);
      expect(lti.status).toBe(503);
      expect((await lti.json()).error.message).toMatch(/^LTI is unavailable: the LTI table lti_platforms is missing/);
    } finally {
      await sql`alter table lti_platforms_away rename to lti_platforms`.execute(server.store.db);
    }
    await server.lti.deploy();
    expect((await fetch(`${server.url}/lti/keys`)).status).toBe(200);
  });

  it('registers a platform from the command line, and names each bad option', async () => {
    const cli = fileURLToPath(new URL('../../packages/lrs-server/bin/xcredit.js', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'xcredit-lti-cli-'));
    const database = engine === 'postgres' ? await createTestDatabase(inject('postgresUrl')!) : undefined;
    const env = { ...process.env, XCREDIT_DATA_DIR: dir, DATABASE_URL: database?.url ?? '', XCREDIT_SECRET_KEY: database ? 'cli-test-secret-key-0123456789abcdef' : '', PORT: '8123', XCREDIT_PUBLIC_URL: 'https://credits.example.com' };
    try {
      const bad = spawnSync(process.execPath, [cli, 'lti-register', '--name', 'Moodle', '--issuer', 'moodle.example.com'], { env, encoding: 'utf8' });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/--issuer: must be an http\(s\) URL/);
      expect(bad.stderr).toMatch(/--client-id: is required/);
      expect(bad.stderr).toMatch(/--deployment: is required/);
      const args = ['lti-register', '--name', 'Moodle', '--issuer', 'https://moodle.example.com', '--client-id', 'abc123', '--auth-url', 'https://moodle.example.com/mod/lti/auth.php', '--token-url', 'https://moodle.example.com/mod/lti/token.php', '--jwks-url', 'https://moodle.example.com/mod/lti/certs.php', '--deployment', '7', '--learner-id', 'email'];
      const ok = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('login (OIDC initiation) URL  https://credits.example.com/lti/login');
      expect(ok.stdout).toContain('public keyset (JWKS) URL     https://credits.example.com/lti/keys');
      const store = await openStore({ databaseUrl: database?.url, dataDir: dir });
      try {
        const rows = await (store.db as any).selectFrom('lti_platforms').selectAll().execute();
        expect(rows).toMatchObject([{ issuer: 'https://moodle.example.com', client_id: 'abc123', deployment_ids: ['7'], learner_id_claim: 'email', status: 'active', source: 'admin' }]);
      } finally {
        await store.close();
      }
      const twice = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });
      expect(twice.status).toBe(1);
      expect(twice.stderr).toMatch(/already registered/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await database?.drop();
    }
    // Three CLI processes, each opening and migrating a fresh database.
  }, 180_000);
});
