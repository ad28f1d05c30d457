import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { adminCall, startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium, signInToAdmin } from '../support/browser.js';
import { arrived, startMailbox, type Mailbox } from '../support/mailbox.js';

// XCREDIT_DOCS_SCREENSHOTS=1 refreshes the pictures in docs/images; otherwise they go to test-results.
const shots = process.env.XCREDIT_DOCS_SCREENSHOTS === '1' ? 'docs/images' : 'test-results/reminders';
const AUTH = { user: 'credits', password: 'smtp-secret' };

describe('the HR screens of /admin in real Chromium: Remind buttons through a real SMTP server, growth awards with caps and evidence', () => {
  let server: TestServer;
  let box: Mailbox;
  let browser: Browser;
  let page: Page;
  const year = String(new Date().getUTCFullYear());
  const ok = adminCall(() => server);

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    server = await startTestServer({ engine: 'pglite', manualClock: true });
    box = await startMailbox(AUTH);
    for (const [id, body] of [
      ['mia', { displayName: 'Mia Chen', department: 'Nursing', role: 'manager', email: 'mia@hospital.example' }],
      ['ana', { displayName: 'Ana Silva', department: 'Nursing', managerId: 'mia', email: 'ana@hospital.example' }],
      ['ben', { displayName: 'Ben Okafor', department: 'Nursing', managerId: 'mia', email: 'ben@hospital.example', language: 'zh' }],
      ['cai', { displayName: '蔡明', department: 'Records', email: 'cai@hospital.example', language: 'zh' }],
    ] as const) {
      await ok('PUT', `/learners/${id}`, body);
    }
    await ok('PUT', `/targets/${year}`, { total: 20, required: 8 });
    await ok('POST', '/awards', { learnerId: 'mia', source: 'offline', title: 'Leadership day', credits: 20, period: year, kind: 'required' });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1100, height: 800 }, locale: 'en-US' })).newPage();
    await signInToAdmin(page, server, 'xa-overview #at-risk');
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await box?.close();
  });

  it('sets the mail server in the Reminders view, naming a bad field', async () => {
    await page.goto(`${server.url}/admin#/reminders`);
    await page.waitForSelector('#mail-settings');
    await page.check('input[name=enabled]');
    await page.fill('input[name=host]', '127.0.0.1');
    await page.fill('input[name=port]', '0');
    await page.fill('input[name=user]', AUTH.user);
    await page.fill('input[name=password]', AUTH.password);
    await page.fill('input[name=from]', 'credits@hospital.example');
    await page.fill('input[name=deadlineDays]', '21');
    await page.click('#save-mail');
    expect(await page.textContent('[data-error-for=port]')).toContain('port');
    await expect((await fetch(`${server.url}/api/v1/reminders/settings`, { headers: { authorization: server.admin.authorization } })).status).toBe(404);
    await page.fill('input[name=port]', String(box.port));
    await page.click('#save-mail');
    await page.waitForSelector('#mail-notice');
    expect(await ok('GET', '/reminders/settings')).toMatchObject({ enabled: true, port: box.port, hasPassword: true, deadlineDays: 21 });
  });

  it('reminds one learner from the at-risk list, then a whole department, and shows what was sent', async () => {
    await page.goto(`${server.url}/admin#/overview`);
    await page.waitForSelector('[data-remind=ana]');
    await page.click('[data-remind=ana]');
    await page.waitForSelector('#remind-result');
    expect(await page.textContent('#remind-result')).toBe('Reminder sent to ana@hospital.example');
    const [mail] = await arrived(box, server, 'ana@hospital.example', 1);
    expect(mail!.mail.subject).toBe(`A reminder about your ${year} credits`);
    await page.selectOption('#remind-department', 'Nursing');
    await page.click('#remind-all');
    await page.waitForFunction(() => document.querySelector('xcredit-admin')?.shadowRoot?.querySelector('xa-overview')?.shadowRoot?.querySelector('#remind-result')?.textContent?.includes('queued: 1'));
    expect(await page.textContent('#remind-result')).toBe('Reminders queued: 1 · Already reminded today: 1');
    const [zh] = await arrived(box, server, 'ben@hospital.example', 1);
    expect(zh!.mail.subject).toBe(`关于您 ${year} 年度学分的提醒`);
    expect(box.to('cai@hospital.example')).toHaveLength(0);
    expect(box.to('mia@hospital.example')).toHaveLength(0);
    await page.screenshot({ path: `${shots}/hr-remind-overview.png` });

    await page.goto(`${server.url}/admin#/learners/cai`);
    await page.waitForSelector('#remind');
    await page.click('#remind');
    await page.waitForSelector('#remind-result');
    expect(await page.textContent('#remind-result')).toBe('Reminder sent to cai@hospital.example');
    await arrived(box, server, 'cai@hospital.example', 1);
    await page.click('#remind');
    await page.waitForFunction(() => document.querySelector('xcredit-admin')?.shadowRoot?.querySelector('xa-learner')?.shadowRoot?.querySelector('#remind-result')?.textContent?.startsWith('Already'));
    await server.outbox.drain();
    expect(box.to('cai@hospital.example')).toHaveLength(1);

    await page.goto(`${server.url}/admin#/reminders`);
    await page.waitForSelector('[data-reminder]');
    const rows = await page.locator('[data-reminder]').allTextContents();
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.includes('delivered'))).toBe(true);
    await page.screenshot({ path: `${shots}/hr-reminders.png`, fullPage: true });
  });

  it('shows why a learner cannot be reminded', async () => {
    await ok('PUT', '/learners/ana', { displayName: 'Ana Silva', department: 'Nursing', managerId: 'mia', remindersOptOut: true });
    await page.goto(`${server.url}/admin#/learners/ana`);
    await page.waitForSelector('#remind');
    await page.click('#remind');
    await page.waitForSelector('#message');
    expect(await page.textContent('#message')).toContain('asked for no reminders');
  });

  it('keeps growth categories with caps, shows evidence, and explains a capped approval', async () => {
    await page.goto(`${server.url}/admin#/awards`);
    await page.waitForSelector('#categories');
    await page.fill('input[name=categoryId]', 'open-lesson');
    await page.fill('input[name=name]', 'Open lessons');
    await page.fill('input[name=yearlyCap]', '-1');
    await page.click('#save-category');
    expect(await page.textContent('[data-error-for=category]')).toContain('yearlyCap');
    await page.fill('input[name=yearlyCap]', '5');
    await page.click('#save-category');
    await page.waitForSelector('[data-category=open-lesson]');
    const a = await ok('POST', '/awards', { learnerId: 'ana', source: 'growth', title: 'Open lesson: hand hygiene', credits: 3, period: year, category: 'open-lesson', evidence: { url: 'https://hospital.example/lessons/7' } });
    const b = await ok('POST', '/awards', { learnerId: 'ana', source: 'growth', title: 'Open lesson: wound care', credits: 3, period: year, category: 'open-lesson' });
    const up = await fetch(`${server.url}/api/v1/awards/${b.awardId}/evidence?filename=${encodeURIComponent('lesson plan.pdf')}`, { method: 'POST', headers: { authorization: server.admin.authorization, 'content-type': 'application/pdf' }, body: '%PDF-1.4\n' });
    expect(up.status).toBe(201);
    await page.reload();
    await page.waitForSelector(`[data-award="${b.awardId}"] [data-evidence-file]`);
    expect(await page.textContent(`[data-award="${a.awardId}"] [data-evidence-link]`)).toBe('https://hospital.example/lessons/7');
    expect(await page.textContent(`[data-award="${b.awardId}"] [data-evidence-file]`)).toBe('lesson plan.pdf');
    await page.screenshot({ path: `${shots}/hr-awards.png`, fullPage: true });
    await page.click(`[data-approve="${a.awardId}"]`);
    await page.waitForSelector(`[data-decided="${a.awardId}"]`);
    await page.click(`[data-approve="${b.awardId}"]`);
    await page.waitForSelector(`[data-decided="${b.awardId}"] [data-cap-note]`);
    expect(await page.textContent(`[data-decided="${b.awardId}"]`)).toContain('Credited 2');
    expect(await page.textContent(`[data-decided="${b.awardId}"] [data-cap-note]`)).toContain('counts at most 5 credits a year; 3 already credited');
  });
});
