import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { adminCall, startTestServer, watchCourse, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium, signInToAdmin } from '../support/browser.js';

describe('a course valid for two years in /admin, in real Chromium: the course editor sets it, the learner page shows when it expires', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  // The dashboard offers this year and the two before it: the certification is earned last year.
  const year = new Date().getUTCFullYear();
  const ok = adminCall(() => server);

  beforeAll(async () => {
    server = await startTestServer({ engine: 'pglite', manualClock: true });
    await ok('PUT', '/learners/ana', { displayName: 'Ana Silva', department: 'Nursing' });
    await ok('PUT', `/targets/${year}`, { total: 10, required: 4 });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1200, height: 800 }, locale: 'en-US' })).newPage();
    await signInToAdmin(page, server);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('sets a course’s validity in the editor, showing the server’s message for a bad one next to the field', async () => {
    await page.click('text=Courses');
    await page.click('#new-course');
    await page.fill('xa-courses #courseId', 'first-aid');
    await page.fill('xa-courses #title', 'First aid certification');
    await page.fill('xa-courses #activityId', 'https://example.com/courses/first-aid');
    await page.fill('xa-courses #credits', '4');
    await page.fill('xa-courses #lengthSeconds', '60');
    await page.fill('xa-courses #validity', '121');
    await page.click('xa-courses #save');
    await expect(page.locator('xa-courses [data-error-for=validity]').textContent()).resolves.toContain('validity.months');
    expect((await fetch(`${server.url}/api/v1/courses/first-aid`, { headers: { authorization: server.admin.authorization } })).status).toBe(404);
    await page.fill('xa-courses #validity', '24');
    await page.click('xa-courses #save');
    await page.locator('xa-courses #saved').waitFor();
    expect(await ok('GET', '/courses/first-aid')).toMatchObject({ kind: 'required', validity: { months: 24 } });
    // Editing it again shows the months it was saved with.
    await page.click('xa-courses [data-edit=first-aid]');
    expect(await page.inputValue('xa-courses #validity')).toBe('24');
  });

  it('shows on the learner page the expiry of a certification earned last year, and the required credits it meets this year', async () => {
    server.clock!.set(new Date(Date.UTC(year - 1, 2, 10, 9)));
    await watchCourse(server, 'ana', 'first-aid', 60);
    server.clock!.set(new Date());
    await page.goto(`${server.url}/admin#/learners/ana`);
    await expect.poll(() => page.locator('xa-learner #standing h2').textContent()).toContain('ana');
    const row = page.locator('xa-learner tr[data-course=first-aid]');
    await expect(row.locator('[data-valid-until]').textContent()).resolves.toBe(`${year + 1}-03-10`);
    await expect(row.locator('[data-earned-in]').textContent()).resolves.toContain(String(year - 1));
    expect(await row.locator('[data-expires-this-year]').count()).toBe(0);
    expect(await page.locator('xa-learner #carried').textContent()).toBe('4');
    expect(await page.locator('xa-learner #earned').textContent()).toBe('0');
    // Last year: the credits themselves, earned then.
    await page.selectOption('#period', String(year - 1));
    await expect.poll(() => page.locator('xa-learner #earned').textContent()).toBe('4');
    expect(await page.locator('xa-learner #carried').count()).toBe(0);
    await expect(page.locator('xa-learner tr[data-course=first-aid] [data-valid-until]').textContent()).resolves.toBe(`${year + 1}-03-10`);
  });

  it('warns on the learner page when a certification expires within the year shown', async () => {
    await ok('PUT', '/courses/first-aid', { title: 'First aid certification', activityId: 'https://example.com/courses/first-aid', credits: 4, kind: 'required', lengthSeconds: 60, validity: { months: 12 } });
    await page.selectOption('#period', String(year));
    await page.reload();
    const row = page.locator('xa-learner tr[data-course=first-aid]');
    await expect(row.locator('[data-valid-until]').textContent()).resolves.toBe(`${year}-03-10`);
    await expect(row.locator('[data-expires-this-year]').textContent()).resolves.toContain('expires this year');
  });
});
