import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { adminCall, startTestServer, watchCourse, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium, signInToAdmin } from '../support/browser.js';
import { arrived, startMailbox, type Mailbox } from '../support/mailbox.js';

// XCREDIT_DOCS_SCREENSHOTS=1 refreshes the picture in docs/images; otherwise it goes to test-results.
const shots = process.env.XCREDIT_DOCS_SCREENSHOTS === '1' ? 'docs/images' : 'test-results/learning-path';
const AUTH = { user: 'credits', password: 'smtp-secret' };

describe('the learning path and improvement plan on the /admin learner page in real Chromium', () => {
  let server: TestServer;
  let box: Mailbox;
  let browser: Browser;
  let page: Page;
  const year = String(new Date().getUTCFullYear());
  const ok = adminCall(() => server);
  const openLearner = async (id: string) => {
    await page.goto(`${server.url}/admin#/learners/${id}`);
    await page.reload();
    await page.waitForSelector('#path-status');
  };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    server = await startTestServer({ engine: 'pglite', manualClock: true });
    box = await startMailbox(AUTH);
    for (const [id, body] of [
      ['hygiene', { title: 'Hand hygiene', activityId: 'https://hospital.example/courses/hygiene', kind: 'required', credits: 4, lengthSeconds: 300 }],
      ['records', { title: 'Patient records', activityId: 'https://hospital.example/courses/records', kind: 'required', credits: 4, lengthSeconds: 900 }],
      ['listening', { title: 'Listening to patients', activityId: 'https://hospital.example/courses/listening', kind: 'elective', credits: 6, lengthSeconds: 600, category: 'communication' }],
      ['shift', { title: 'Leading a shift', activityId: 'https://hospital.example/courses/shift', kind: 'elective', credits: 4, lengthSeconds: 1200, category: 'leadership' }],
      ['triage', { title: 'Triage basics', activityId: 'https://hospital.example/courses/triage', kind: 'elective', credits: 4, lengthSeconds: 900, category: 'clinical' }],
    ] as const) {
      await ok('PUT', `/courses/${id}`, body);
    }
    for (const [id, body] of [
      ['mia', { displayName: 'Mia Chen', department: 'Nursing', role: 'manager', email: 'mia@hospital.example' }],
      ['ana', { displayName: 'Ana Silva', department: 'Nursing', managerId: 'mia', email: 'ana@hospital.example' }],
    ] as const) {
      await ok('PUT', `/learners/${id}`, body);
    }
    await ok('PUT', `/targets/${year}`, { total: 20, required: 8 });
    await ok('POST', '/awards', { learnerId: 'mia', source: 'offline', title: 'Leadership day', credits: 20, period: year, kind: 'required' });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'en-US' })).newPage();
    await signInToAdmin(page, server, 'xa-overview #at-risk');
    // Mid-year from here on (after signing in: the session cookie's expiry follows the server's clock).
    server.clock!.set(new Date(`${year}-06-15T09:00:00Z`));
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await box?.close();
  });

  it('shows the path of a learner at risk: required courses first, then electives by category, each with a day to finish by', async () => {
    await openLearner('ana');
    expect(await page.textContent('#path-status')).toContain('Reachable in time');
    const steps = await page.locator('[data-step]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-step')));
    // listening (communication, 0.6 a minute), then clinical's triage before leadership's shift: more credits per minute.
    expect(steps).toEqual(['hygiene', 'records', 'listening', 'triage', 'shift']);
    expect(await page.textContent('[data-step=records]')).toContain('required, not yet credited');
    expect(await page.textContent('[data-step=listening]')).toContain('elective · communication');
    expect(await page.textContent('[data-step=shift]')).toContain(`${year}-12-31`);
    // A learner who met the target is told so, and is offered no plan.
    await openLearner('mia');
    expect(await page.textContent('#path-status')).toBe('The target is met: nothing more is needed.');
    expect(await page.locator('#create-plan').count()).toBe(0);
  });

  it('says why a plan cannot be made, and makes nothing', async () => {
    await openLearner('ana');
    await page.click('#create-plan');
    await page.waitForSelector('#message');
    expect(await page.textContent('#message')).toContain('reminders are off');
    expect(await page.locator('[data-plan]').count()).toBe(0);
  });

  it('creates an improvement plan, mails it to the learner and the manager, and shows each milestone as credits arrive', async () => {
    await ok('PUT', '/reminders/settings', { enabled: true, host: '127.0.0.1', port: box.port, secure: false, user: AUTH.user, password: AUTH.password, from: 'credits@hospital.example' });
    await openLearner('ana');
    await page.click('#create-plan');
    await page.waitForSelector('#plan-result');
    expect(await page.textContent('#plan-result')).toBe('Improvement plan sent');
    const statuses = await page.locator('[data-milestone] [data-status]').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-status')));
    expect(statuses).toEqual(['due', 'due', 'due', 'due', 'due']);
    expect(await page.textContent('[data-plan-mails]')).toBe('Mails: learner sent · manager sent');
    const [toAna] = await arrived(box, server, 'ana@hospital.example', 1);
    expect(toAna!.mail.subject).toBe(`Your improvement plan for your ${year} credits`);
    const [toMia] = await arrived(box, server, 'mia@hospital.example', 1);
    expect(toMia!.mail.subject).toBe(`Improvement plan for Ana Silva (${year} credits)`);
    // Clicking again makes and sends nothing new.
    await page.click('#create-plan');
    await page.waitForFunction(() => document.querySelector('xcredit-admin')?.shadowRoot?.querySelector('xa-learner')?.shadowRoot?.querySelector('#plan-result')?.textContent?.startsWith('An improvement plan was already'));
    expect(await page.locator('[data-plan]').count()).toBe(1);

    await watchCourse(server, 'ana', 'hygiene', 300);
    await openLearner('ana');
    await page.waitForSelector('[data-milestone=hygiene] [data-status=done]');
    expect(await page.locator('[data-step=hygiene]').count()).toBe(0);
    await page.screenshot({ path: `${shots}/admin-learning-path.png`, fullPage: true });
    await server.outbox.drain();
    expect(box.to('ana@hospital.example')).toHaveLength(1);
  });
});
