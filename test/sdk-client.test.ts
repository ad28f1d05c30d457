import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { XcreditClient, XcreditError } from '@xcredit/sdk';
import { startTestServer, watchCourse, type Engine, type TestServer } from '@xcredit/lrs-server/testing';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('XcreditClient against a real server on %s', (engine) => {
  let server: TestServer;
  let client: XcreditClient;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    client = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
  });
  afterAll(() => server?.close());

  it('upserts a course, launches a learner and reads their credits', async () => {
    const course = await client.upsertCourse('ethics', { title: 'Ethics', activityId: 'https://example.com/courses/ethics', credits: 4, kind: 'elective', lengthSeconds: 300 });
    expect(course).toMatchObject({ courseId: 'ethics', credits: 4, kind: 'elective' });
    const launch = await client.createLaunch({ learnerId: 'T-77', courseId: 'ethics' });
    expect(launch.playerUrl).toContain('/play#token=');
    const credits = await client.getLearnerCredits('T-77', { period: String(new Date().getUTCFullYear()) });
    expect(credits).toMatchObject({ learnerId: 'T-77', earned: 0, courses: [{ courseId: 'ethics', credits: 4, earned: 0 }] });
  });

  it('throws XcreditError with status, code and the field at fault', async () => {
    const err = await client.upsertCourse('bad', { title: '', activityId: 'x', credits: -1, kind: 'required', lengthSeconds: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(XcreditError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(err.issues.map((i: { path: string }) => i.path)).toEqual(['title', 'activityId', 'credits']);
    const missing = await client.createLaunch({ learnerId: 'T-77', courseId: 'nope' }).catch((e) => e);
    expect(missing).toMatchObject({ status: 404, code: 'course_not_found' });
    const wrongSecret = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: 'wrong' });
    await expect(wrongSecret.getLearnerCredits('T-77')).rejects.toMatchObject({ status: 401 });
  });

  it('downloads a report as CSV and as XLSX', async () => {
    await client.importLearners('learnerId,displayName,department\nX-1,"=cmd|calc",sheets\n');
    await client.setTarget(String(new Date().getUTCFullYear()), { total: 5, required: 0 }, { department: 'sheets' });
    const csv = await client.reportCsv('at-risk');
    expect(csv).toContain("X-1,'=cmd|calc,sheets");
    const bytes = await client.reportXlsx('at-risk');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(bytes) as unknown as ExcelJS.Buffer);
    const sheet = book.getWorksheet('at-risk')!;
    expect(sheet.getRow(1).getCell(1).value).toBe('learnerId');
    const row = sheet.getRows(2, sheet.rowCount - 1)!.find((r) => r.getCell(1).value === 'X-1')!;
    expect(row.getCell(2).value).toBe('=cmd|calc');
    expect(typeof row.getCell(6).value).toBe('number');
    await expect(client.reportXlsx('nope')).rejects.toMatchObject({ status: 404 });
  });

  it('reports an unreachable server as status 0', async () => {
    const offline = new XcreditClient({ baseUrl: 'http://127.0.0.1:9', key: 'k', secret: 's' });
    await expect(offline.getLearnerCredits('x')).rejects.toMatchObject({ status: 0, code: 'unreachable' });
  });
});

describe.each(engines)('XcreditClient covers the credits API on %s', (engine) => {
  let server: TestServer;
  let client: XcreditClient;
  const year = String(new Date().getUTCFullYear());

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    client = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret, retryDelayMs: 1 });
  });
  afterAll(() => server?.close());

  it('imports learners and iterates over them page by page', async () => {
    const csv = ['learnerId,department,role', ...Array.from({ length: 7 }, (_, i) => `N-${i},nursing,nurse`)].join('\n');
    expect(await client.importLearners(csv)).toEqual({ created: 7, updated: 0 });
    const seen: string[] = [];
    for await (const l of client.learners({ department: 'nursing', pageSize: 3 })) seen.push(l.learnerId);
    expect(seen).toEqual(['N-0', 'N-1', 'N-2', 'N-3', 'N-4', 'N-5', 'N-6']);
    const bad = await client.importLearners([{ learnerId: 'ok' }, { learnerId: 'not ok' }]).catch((e) => e);
    expect(bad).toMatchObject({ status: 400, code: 'invalid_import' });
    expect(bad.issues[0].path).toBe('line 2.learnerId');
    expect(await client.upsertLearner('N-0', { department: 'icu' })).toMatchObject({ learnerId: 'N-0', department: 'icu' });
    expect((await client.getLearner('N-0')).department).toBe('icu');
  });

  it('imports earlier years from CSV and XLSX: a dry run, then all or nothing, once per line', async () => {
    const csv = 'external_id,learner_id,date,credits,title\nh-1,N-1,2024-05-02,2,Safety 2024\nh-2,N-2,2024-06-01,1.5,Ethics\n';
    const dry = await client.importHistory({ name: 'old-2024.csv', data: csv }, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, ok: true, counts: { new: 2, invalid: 0 } });
    expect((await client.getLedger('N-1', { period: '2024' })).entries).toEqual([]);
    expect((await client.importHistory({ name: 'old-2024.csv', data: csv })).counts).toMatchObject({ new: 2 });
    expect((await client.importHistory({ name: 'old-2024.csv', data: csv })).counts).toMatchObject({ new: 0, alreadyImported: 2 });
    expect((await client.getLedger('N-1', { period: '2024' })).total).toBe(2);
    const bad = await client.importHistory({ name: 'bad.csv', data: 'external_id,learner_id,date,credits,title\nh-3,nobody,2024-01-01,1,x\n' }).catch((e) => e);
    expect(bad).toMatchObject({ status: 422, code: 'invalid_import' });
    expect(bad.message).toMatch(/line 2, learner_id: no learner "nobody"/);
    const garbage = await client.importHistory({ name: 'bad.xlsx', data: new Uint8Array([1, 2, 3]) }).catch((e) => e);
    expect(garbage).toMatchObject({ status: 400, code: 'invalid_import' });
  });

  it('runs awards, approvals, targets, the ledger and explanations', async () => {
    await client.setTarget(year, { total: 10, required: 4 });
    await client.setTarget(year, { total: 6, required: 2 }, { department: 'icu' });
    const offline = await client.createAward({ learnerId: 'N-0', source: 'offline', title: 'CPR refresher', credits: 2, period: year, kind: 'required', externalId: 'cpr-1' });
    expect(offline.status).toBe('approved');
    expect((await client.createAward({ learnerId: 'N-0', source: 'offline', title: 'CPR refresher', credits: 2, period: year, kind: 'required', externalId: 'cpr-1' })).awardId).toBe(offline.awardId);
    const growth = await client.createAward({ learnerId: 'N-0', source: 'growth', title: 'Taught a ward class', credits: 4, period: year });
    const pending: string[] = [];
    for await (const a of client.awards({ status: 'pending' })) pending.push(a.awardId);
    expect(pending).toContain(growth.awardId);
    await client.approveAward(growth.awardId, 'observed by the head nurse');
    expect((await client.getAward(growth.awardId)).history?.map((h) => h.action)).toEqual(['requested', 'approved']);
    const credits = await client.getLearnerCredits('N-0', { period: year });
    expect(credits).toMatchObject({ earned: 6, required: 2, elective: 4, status: 'met', target: { groupType: 'department', total: 6 } });
    const ledger = await client.getLedger('N-0', { period: year });
    expect(ledger.total).toBe(6);
    expect(ledger.entries.map((e) => e.source)).toEqual(['offline', 'growth']);
    await client.upsertCourse('ward', { title: 'Ward rounds', activityId: 'https://example.com/courses/ward', credits: 1, kind: 'elective', lengthSeconds: 60 });
    await client.createLaunch({ learnerId: 'N-0', courseId: 'ward' });
    const why = await client.getEngagement('N-0', 'ward');
    expect(why).toMatchObject({ courseId: 'ward', earned: 0, factors: { coverage: 0 } });
    expect(why.sessions).toHaveLength(1);
    const rejected = await client.rejectAward(growth.awardId, 'twice').catch((e) => e);
    expect(rejected).toMatchObject({ status: 409, code: 'already_decided' });
  });

  it('manages webhooks', async () => {
    const hook = await client.createWebhook({ url: 'https://hr.example.com/hooks', events: ['credit.earned'] });
    expect(hook.secret).toMatch(/^whsec_/);
    expect((await client.listWebhooks()).map((h) => h.webhookId)).toContain(hook.webhookId);
    expect(await client.webhookDeliveries(hook.webhookId)).toEqual([]);
    await client.testWebhook(hook.webhookId);
    expect((await client.webhookDeliveries(hook.webhookId)).map((d) => d.event)).toEqual(['webhook.test']);
    await expect(client.testWebhook('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404 });
    await client.deleteWebhook(hook.webhookId);
    await expect(client.deleteWebhook(hook.webhookId)).rejects.toMatchObject({ status: 404 });
  });

  it('issues and reads certificates, and says why one is not earned', async () => {
    const cert = await client.issueCertificate({ learnerId: 'N-0', period: year });
    expect(cert).toMatchObject({ kind: 'target', learnerId: 'N-0', period: year });
    expect((await client.issueCertificate({ learnerId: 'N-0', period: year })).certificateId).toBe(cert.certificateId);
    expect(await client.getCertificate(cert.certificateId)).toMatchObject({ certificateId: cert.certificateId, valid: true });
    await expect(client.issueCertificate({ learnerId: 'N-1', period: year })).rejects.toMatchObject({ status: 409, code: 'not_earned' });
    const bad = await client.issueCertificate({ learnerId: 'N-0', period: '26' }).catch((e) => e);
    expect(bad).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(new Set(bad.issues.map((i: { path: string }) => i.path))).toEqual(new Set(['period']));
    await expect(client.getCertificate('AAAAAAAAAAAAAAAAAAAAAAAA')).rejects.toMatchObject({ status: 404, code: 'certificate_not_found' });
  });

  it("reads and sets the tenant's policy defaults and settings, refusing bad values whole", async () => {
    expect(await client.setPolicy({ maxRate: 1.5, gates: { coverage: 0.9 } })).toEqual({ maxRate: 1.5, gates: { coverage: 0.9 } });
    expect(await client.getPolicy()).toEqual({ maxRate: 1.5, gates: { coverage: 0.9 } });
    const bad = await client.setPolicy({ maxRate: 99, seekLock: true }).catch((e) => e);
    expect(bad).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(bad.issues.map((i: { path: string }) => i.path)).toEqual(['maxRate']);
    expect(await client.getPolicy()).toEqual({ maxRate: 1.5, gates: { coverage: 0.9 } });
    expect(await client.updateSettings({ leaderboard: true })).toEqual({ leaderboard: true });
    expect(await client.getSettings()).toEqual({ leaderboard: true });
    await expect(client.updateSettings({ leaderboard: 'yes' as unknown as boolean })).rejects.toMatchObject({ status: 400, code: 'invalid_input' });
    expect((await client.getSettings()).leaderboard).toBe(true);
  });

  it('registers, reads, approves and removes LTI platforms, refusing a bad one whole', async () => {
    const lms = 'https://lms.example.com';
    const input = { name: 'Moodle', issuer: lms, clientId: 'xcredit-1', authenticationEndpoint: `${lms}/auth`, accessTokenEndpoint: `${lms}/token`, jwksUrl: `${lms}/jwks`, deploymentIds: ['1'] };
    const bad = await client.registerPlatform({ ...input, issuer: 'lms.example.com' }).catch((e) => e);
    expect(bad).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(bad.issues.map((i: { path: string }) => i.path)).toEqual(['issuer']);
    expect(await client.listPlatforms()).toEqual([]);
    const platform = await client.registerPlatform(input);
    expect(platform).toMatchObject({ name: 'Moodle', issuer: lms, deploymentIds: ['1'], learnerIdClaim: 'sub', status: 'active' });
    expect(platform.tool.launchUrl).toMatch(/^http:\/\/[^/]+\/lti/);
    expect((await client.listPlatforms()).map((p) => p.id)).toEqual([platform.id]);
    expect(await client.approvePlatform(platform.id, { learnerIdClaim: 'email' })).toMatchObject({ id: platform.id, learnerIdClaim: 'email', status: 'active' });
    expect((await client.getPlatform(platform.id)).learnerIdClaim).toBe('email');
    await client.deletePlatform(platform.id);
    await expect(client.getPlatform(platform.id)).rejects.toMatchObject({ status: 404 });
  });

  it('makes, lists and revokes LTI registration links, refusing a bad lifetime', async () => {
    const bad = await client.createRegistrationLink({ expiresInHours: 721 }).catch((e) => e);
    expect(bad).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(bad.issues.map((i: { path: string }) => i.path)).toEqual(['expiresInHours']);
    expect(await client.listRegistrationLinks()).toEqual([]);
    const link = await client.createRegistrationLink({ expiresInHours: 2 });
    expect(link.url).toMatch(new RegExp(`^${server.url}/lti/register/[A-Za-z0-9_-]{20,}$`));
    const hours = (Date.parse(link.expiresAt) - Date.now()) / 3600_000;
    expect(hours).toBeGreaterThan(1.9);
    expect(hours).toBeLessThanOrEqual(2.01);
    const byDefault = await client.createRegistrationLink();
    expect((Date.parse(byDefault.expiresAt) - Date.now()) / 3600_000).toBeGreaterThan(167);
    expect((await client.listRegistrationLinks()).map((l) => [l.id, l.status]).sort()).toEqual([[link.id, 'open'], [byDefault.id, 'open']].sort());
    await client.revokeRegistrationLink(link.id);
    const listed = await client.listRegistrationLinks();
    expect(listed.find((l) => l.id === link.id)).toMatchObject({ status: 'revoked', revokedAt: expect.any(String), usedAt: null, platformId: null });
    expect(JSON.stringify(listed)).not.toContain(link.url.split('/').pop());
    await expect(client.revokeRegistrationLink('no-such-link')).rejects.toMatchObject({ status: 404 });
  });

  it('retries idempotent calls on network errors and 5xx, and never repeats a plain POST', async () => {
    const calls: string[] = [];
    let failures = 2;
    const flaky: typeof fetch = async (input, init) => {
      calls.push(`${init?.method} ${String(input)}`);
      if (failures-- > 0) {
        if (failures === 1) throw new TypeError('fetch failed');
        return new Response('{"error":{"code":"internal","message":"busy"}}', { status: 503 });
      }
      return fetch(input, init);
    };
    const retrying = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret, fetch: flaky, retryDelayMs: 1 });
    expect((await retrying.getLearner('N-1')).learnerId).toBe('N-1');
    expect(calls).toHaveLength(3);
    calls.length = 0;
    failures = 1;
    await expect(retrying.createLaunch({ learnerId: 'N-1', courseId: 'ward' })).rejects.toMatchObject({ status: 503, code: 'internal', message: 'busy' });
    expect(calls).toHaveLength(1);
  });
});

describe.each(engines)('XcreditClient and a course valid for two years on %s', (engine) => {
  let server: TestServer;
  let client: XcreditClient;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    client = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
  });
  afterAll(() => server?.close());

  it('sets the validity, and reads the certification carried into the next year with its expiry', async () => {
    const course = await client.upsertCourse('first-aid', { title: 'First aid', activityId: 'https://example.com/courses/first-aid', credits: 4, kind: 'required', lengthSeconds: 60, validity: { months: 24 } });
    expect(course.validity).toEqual({ months: 24 });
    await client.upsertLearner('V-1', { displayName: 'Vera' });
    await client.setTarget('2026', { total: 4, required: 4 });
    server.clock!.set(new Date('2025-09-15T08:00:00Z'));
    await watchCourse(server, 'V-1', 'first-aid', 60);
    server.clock!.set(new Date('2026-03-01T08:00:00Z'));
    const credits = await client.getLearnerCredits('V-1', { period: '2026' });
    expect(credits).toMatchObject({ earned: 0, carried: 4, requiredRemaining: 0, remaining: 4 });
    expect(credits.courses).toEqual([expect.objectContaining({ courseId: 'first-aid', earned: 0, validity: expect.objectContaining({ earnedIn: '2025', carried: true }) })]);
    expect(credits.courses[0]!.validity!.validUntil.slice(0, 10)).toBe('2027-09-15');
  });

  it('throws XcreditError naming validity.months, and leaves the course as it was', async () => {
    const err = await client.upsertCourse('first-aid', { title: 'First aid', activityId: 'https://example.com/courses/first-aid', credits: 4, kind: 'required', lengthSeconds: 60, validity: { months: 121 } }).catch((e) => e);
    expect(err).toBeInstanceOf(XcreditError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(err.issues.map((i: { path: string }) => i.path)).toEqual(['validity.months']);
    expect((await client.getCourse('first-aid')).validity).toEqual({ months: 24 });
  });
});
