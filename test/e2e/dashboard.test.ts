import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { adminCall, createClient, startTestServer, watchCourse, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium } from '../support/browser.js';
import { browserEngines } from '../support/engines.js';

// XCREDIT_DOCS_SCREENSHOTS=1 refreshes the pictures in docs/images; otherwise they go to test-results.
const shots = process.env.XCREDIT_DOCS_SCREENSHOTS === '1' ? 'docs/images' : 'test-results/dashboard';
type Json = Record<string, any>;

describe.each(browserEngines())('the admin dashboard in real Chromium on %s', (engine) => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const ok = adminCall(() => server);
  const year = String(new Date().getUTCFullYear());
  const shot = (name: string) => (engine === 'pglite' ? page.screenshot({ path: `${shots}/dashboard-${name}.png` }) : Promise.resolve());


  // Starting PGlite, watching each course with its heartbeats and starting Chromium takes a while on a busy machine.
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    for (const [id, body] of [
      ['ana', { displayName: 'Ana Silva', department: 'Nursing', role: 'nurse', managerId: 'mia' }],
      ['ben', { displayName: 'Ben Okafor', department: 'Nursing', role: 'nurse', managerId: 'mia' }],
      ['cai', { displayName: '蔡明', department: 'Records', role: 'clerk' }],
      ['dee', { displayName: 'Dee Park', department: 'Records', role: 'clerk' }],
      ['mia', { displayName: 'Mia Chen', department: 'Nursing', role: 'manager' }],
    ] as const) {
      await ok('PUT', `/learners/${id}`, body);
    }
    await ok('PUT', '/courses/ethics', { title: 'Ethics in practice', activityId: 'https://example.com/courses/ethics', credits: 4, kind: 'elective', lengthSeconds: 60 });
    await ok('PUT', '/courses/safety', { title: 'Patient safety', activityId: 'https://example.com/courses/safety', credits: 6, kind: 'required', lengthSeconds: 60 });
    await ok('PUT', `/targets/${year}`, { total: 10, required: 6 });
    await watchCourse(server, 'ana', 'safety', 60);
    await watchCourse(server, 'ana', 'ethics', 60);
    await watchCourse(server, 'ben', 'ethics', 60);
    await watchCourse(server, 'mia', 'ethics', 2);
    await ok('POST', '/awards', { learnerId: 'cai', source: 'offline', title: 'Records law seminar', credits: 12, period: year, kind: 'required' });
    await ok('POST', '/awards', { learnerId: 'dee', source: 'growth', title: 'Mentored two new clerks', credits: 3, period: year });
    await ok('POST', '/awards', { learnerId: 'ben', source: 'growth', title: 'Bake sale', credits: 1, period: year });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1100, height: 760 }, locale: 'en-US' });
    page = await context.newPage();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the sign-in page until an admin client signs in, and refuses the wrong ones', async () => {
    expect((await fetch(`${server.url}/admin/api/reports/summary`)).status).toBe(401);
    expect(await (await fetch(`${server.url}/admin?lang=zh`)).text()).toContain('登录管理后台');
    await page.goto(`${server.url}/admin`);
    await expect(page.locator('#sign-in').isVisible()).resolves.toBe(true);
    await page.fill('#key', server.admin.key);
    await page.fill('#secret', 'wrong');
    await page.click('button[type=submit]');
    expect(await page.textContent('#error')).toContain('unknown client key or wrong secret');
    const reader = await createClient(server.store.db, { tenantId: 'default', name: 'reader', scopes: ['credits/read'] });
    await page.fill('#key', reader.key);
    await page.fill('#secret', reader.secret);
    await page.click('button[type=submit]');
    expect(await page.textContent('#error')).toContain('credits/admin');
    await page.fill('#key', server.admin.key);
    await page.fill('#secret', server.admin.secret);
    await page.click('button[type=submit]');
    await page.locator('xa-overview #at-risk').waitFor();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'xcredit_admin', httpOnly: true, sameSite: 'Strict', path: '/admin' });
  });

  it('locks a client key out after five failed sign-ins, and refuses a sign-in posted from another site', async () => {
    const attempt = (secret: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/admin/session`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ key: 'guessed', secret }) });
    for (let i = 0; i < 5; i++) expect((await attempt(`guess-${i}`)).status).toBe(401);
    const locked = await attempt('guess-5');
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain('too many failed sign-ins');
    const forged = await fetch(`${server.url}/admin/session`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: new URLSearchParams({ key: server.admin.key, secret: server.admin.secret }),
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('set-cookie')).toBeNull();
  });

  it('charts progress against target, standings, study hours and hot courses, and lists who is at risk', async () => {
    await page.locator('xa-overview #hot svg rect').first().waitFor();
    expect(await page.locator('xa-overview #progress svg .bar').count()).toBe(2);
    expect(await page.locator('xa-overview #hot .label').allTextContents()).toEqual(['Ethics in practice', 'Patient safety']);
    expect(await page.locator('xa-overview #study svg .bar').count()).toBe(7);
    const atRisk = await page.locator('xa-overview #at-risk tbody tr').allTextContents();
    expect(atRisk.some((r) => r.includes('Ben Okafor'))).toBe(true);
    expect(atRisk.some((r) => r.includes('Ana Silva'))).toBe(false);
    await shot('overview');
    await page.selectOption('#period', String(Number(year) - 1));
    await expect.poll(() => page.locator('xa-overview #at-risk').textContent()).toContain('Nobody is at risk.');
    await page.selectOption('#period', year);
    await expect.poll(() => page.locator('xa-overview #at-risk tbody tr').count()).toBe(3);
  });

  it('switches to Simplified Chinese and back', async () => {
    await page.click('#lang');
    await expect.poll(() => page.locator('xa-overview #at-risk h2').textContent()).toContain('可能无法达标的学员');
    expect(await page.locator('header nav').textContent()).toContain('概览');
    await shot('overview-zh');
    await page.click('#lang');
    await expect.poll(() => page.locator('xa-overview #at-risk h2').textContent()).toContain('At-risk learners');
  });

  it('refuses writes without the CSRF token or from another site', async () => {
    const [cookie] = await context.cookies();
    const [award] = (await ok('GET', '/awards?status=pending')).awards;
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/admin/api/awards/${award.awardId}/approve`, { method: 'POST', headers: { cookie: `xcredit_admin=${cookie!.value}`, 'content-type': 'application/json', ...headers }, body: '{}' });
    expect((await post({})).status).toBe(403);
    const token = await page.getAttribute('meta[name=csrf-token]', 'content');
    expect((await post({ 'x-csrf-token': token!, origin: 'https://evil.example' })).status).toBe(403);
    expect((await ok('GET', `/awards/${award.awardId}`)).status).toBe('pending');
  });

  it('edits the catalog, showing the server’s messages next to the field', async () => {
    await page.click('text=Courses');
    await page.click('#new-course');
    await page.fill('xa-courses #courseId', 'first-aid');
    await page.fill('xa-courses #title', 'First aid');
    await page.fill('xa-courses #activityId', 'https://example.com/courses/first-aid');
    await page.fill('xa-courses #credits', '-2');
    await page.fill('xa-courses #lengthSeconds', '600');
    await page.fill('xa-courses #policy', '{ "weights": { "coverage": 0.9 } }');
    await page.click('xa-courses #save');
    await expect(page.locator('xa-courses [data-error-for=credits]').textContent()).resolves.toContain('must not be negative');
    await page.evaluate(() => scrollTo(0, 0));
    await shot('course-editor');
    await page.fill('xa-courses #credits', '3');
    await page.click('xa-courses #save');
    await expect(page.locator('xa-courses [data-error-for=policy]').textContent()).resolves.toContain('policy.weights');
    await page.fill('xa-courses #policy', '{ "gates": { "coverage": 0.9 } }');
    await page.click('xa-courses #save');
    await page.locator('xa-courses #saved').waitFor();
    expect(await ok('GET', '/courses/first-aid')).toMatchObject({ title: 'First aid', credits: 3, policy: { gates: { coverage: 0.9 } } });
    await page.click('xa-courses [data-edit=ethics]');
    await expect.poll(() => page.locator('xa-courses #title').inputValue()).toBe('Ethics in practice');
    expect(await page.locator('xa-courses #courseId').isDisabled()).toBe(true);
  });

  it('shows a learner’s courses with their engagement explanation and ledger, and issues a certificate', async () => {
    await page.click('text=Learners');
    await page.fill('xa-learner #q', 'silva');
    await page.click('xa-learner #find button');
    await page.click('xa-learner #find a');
    expect(page.url()).toBe(`${server.url}/admin#/learners/ana`);
    await expect.poll(() => page.locator('xa-learner #standing h2').textContent()).toContain('ana');
    await page.locator('xa-learner [data-explain=ethics]').click();
    const explanation = await page.locator('xa-learner [data-explanation=ethics]').textContent();
    expect(explanation).toContain('watched 100% of the video');
    expect(await page.locator('xa-learner #ledger tbody tr').count()).toBe(2);
    expect(await page.locator('xa-learner #earned').textContent()).toBe('10');
    expect(await page.locator('xa-learner #status').textContent()).toBe('Met');
    await shot('learner');
    const [popup] = await Promise.all([context.waitForEvent('page'), page.locator('xa-learner [data-certify=ethics]').click()]);
    await popup.waitForLoadState();
    expect(await popup.getAttribute('#status', 'data-valid')).toBe('true');
    expect(await popup.textContent('#learner')).toBe('Ana Silva');
    if (engine === 'pglite') await popup.screenshot({ path: `${shots}/dashboard-certificate-page.png` });
    await popup.close();
    await page.goto(`${server.url}/admin#/learners/mia`);
    await expect.poll(() => page.locator('xa-learner #standing h2').textContent()).toContain('mia');
    await page.locator('xa-learner [data-explain=ethics]').click();
    await expect(page.locator('xa-learner [data-flag=rate_exceeded]').textContent()).resolves.toContain('claimed');
  });

  it('opens the statement browser from a learner’s explanation: each statement with its receipt time and verdict, filtered and checked', async () => {
    // Still on mia's explanation: 60 s claimed after 2 s of playing.
    await page.locator('xa-learner [data-statements=ethics]').click();
    expect(page.url()).toMatch(/#\/statements\/learnerId=mia&courseId=ethics&since=/);
    const rows = page.locator('xa-statements #statements tbody tr[data-statement]');
    await rows.first().waitFor();
    const verdicts = await rows.evaluateAll((trs) => trs.map((tr) => [tr.children[3]!.textContent, tr.getAttribute('data-verdict')]));
    expect(verdicts).toContainEqual(['played', 'counted']);
    expect(verdicts).toContainEqual(['completed', 'capped']);
    expect(verdicts.every(([, v]) => v !== null)).toBe(true);
    const capped = page.locator('xa-statements tr[data-verdict=capped]').first();
    expect(await capped.textContent()).toMatch(/claimed, \d+ s verified in \d+ s on the server's clock/);
    expect(await capped.locator('td.when').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    await shot('statements');
    // A verb filter narrows the list; the learner link goes back to the learner.
    await page.selectOption('xa-statements select[name=verb]', 'played');
    await page.click('xa-statements #apply');
    await expect.poll(() => rows.evaluateAll((trs) => [...new Set(trs.map((tr) => tr.children[3]!.textContent))])).toEqual(['played']);
    // A time range the wrong way round: the server's message, next to the field it names.
    await page.fill('xa-statements input[name=since]', '2026-03-02T00:00');
    await page.fill('xa-statements input[name=until]', '2026-03-01T00:00');
    await page.click('xa-statements #apply');
    await expect.poll(() => page.locator('xa-statements [data-error=until]').textContent()).toContain('must be after since');
    expect(await rows.count()).toBe(0);
    await page.goto(`${server.url}/admin#/statements/learnerId=mia`);
    await rows.first().waitFor();
    await page.locator('xa-statements tr[data-statement] a').first().click();
    expect(page.url()).toBe(`${server.url}/admin#/learners/mia`);
  });

  it('approves and rejects pending awards, a rejection only with a reason', async () => {
    await page.goto(`${server.url}/admin#/awards`);
    await page.locator('xa-awards tbody tr').nth(1).waitFor();
    await shot('awards');
    const pending = (await ok('GET', '/awards?status=pending')).awards as Json[];
    const bake = pending.find((a) => a.title === 'Bake sale')!;
    const mentoring = pending.find((a) => a.title.startsWith('Mentored'))!;
    await page.click(`xa-awards [data-reject="${bake.awardId}"]`);
    await expect(page.locator(`xa-awards [data-error-for="${bake.awardId}"]`).textContent()).resolves.toContain('reason');
    await page.fill(`xa-awards [data-reason="${bake.awardId}"]`, 'not a learning activity');
    await page.click(`xa-awards [data-reject="${bake.awardId}"]`);
    await page.click(`xa-awards [data-approve="${mentoring.awardId}"]`);
    await expect(page.locator('xa-awards #decided li').nth(1).waitFor()).resolves.toBeUndefined();
    expect(await ok('GET', `/awards/${bake.awardId}`)).toMatchObject({ status: 'rejected', decisionReason: 'not a learning activity', decidedBy: `client/${server.admin.key}` });
    expect((await ok('GET', `/awards/${mentoring.awardId}`)).status).toBe('approved');
    expect((await ok('GET', '/learners/dee/ledger')).total).toBe(3);
  });

  it('signs out, and the old session no longer works', async () => {
    const [cookie] = await context.cookies();
    await page.click('#sign-out-button');
    await page.locator('#sign-in').waitFor();
    expect(await context.cookies()).toEqual([]);
    expect((await fetch(`${server.url}/admin/api/reports/summary`, { headers: { cookie: `xcredit_admin=${cookie!.value}` } })).status).toBe(401);
  });
});
