import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { PlatformSimulator } from '@xcredit/lti-platform-sim';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium } from '../support/browser.js';
import { api, connectSimulator, DEMO_COURSE } from '../support/lti.js';
import { browserEngines } from '../support/engines.js';


describe.each(browserEngines())('LTI Deep Linking in real Chromium on %s', (engine) => {
  let server: TestServer;
  let sim: PlatformSimulator;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    sim = await connectSimulator(server);
    expect((await api(server, 'PUT', '/courses/fire-drill', { ...DEMO_COURSE, title: 'Fire drill', activityId: 'https://xcredit.dev/courses/fire-drill', credits: 3, kind: 'elective' })).status).toBe(201);
    expect((await api(server, 'PUT', '/courses/first-aid', { ...DEMO_COURSE, title: 'First aid', activityId: 'https://xcredit.dev/courses/first-aid', credits: 1.5, kind: 'elective' })).status).toBe(201);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await sim?.close();
    await server?.close();
  });

  it('lets an instructor pick two courses and returns them to the LMS as graded links, which then launch', async () => {
    const page = await browser.newPage();
    await page.goto(sim.loginUrl({ claims: sim.deepLinkingClaims('teacher-1') }));
    await page.waitForSelector('form[action="/lti/deep-link"]');
    expect(await page.locator('label.course').allTextContents()).toEqual([expect.stringContaining('Fire drill'), expect.stringContaining('First aid'), expect.stringContaining('Workplace safety in 15 seconds')]);
    await page.check('input[value="fire-drill"]');
    await page.check('input[value="lti-safety"]');
    await Promise.all([page.waitForURL(`${sim.url}/deep-links/return**`), page.click('#add')]);
    expect(await page.textContent('#added')).toBe('2 item(s) added');

    const response = sim.deepLinkResponses.at(-1)!;
    expect(response.message).toBe('Added 2 xcredit courses');
    expect(response.items.map((i) => [i.type, i.title, i.lineItem])).toEqual([
      ['ltiResourceLink', 'Fire drill', { scoreMaximum: 100, label: 'Fire drill', resourceId: 'fire-drill', tag: 'xcredit-credits' }],
      ['ltiResourceLink', 'Workplace safety in 15 seconds', { scoreMaximum: 100, label: 'Workplace safety in 15 seconds', resourceId: 'lti-safety', tag: 'xcredit-credits' }],
    ]);
    const fireDrill = sim.links.find((l) => l.custom.xcredit_course === 'fire-drill')!;
    expect(sim.lineItems.find((li) => li.id === fireDrill.lineItemId)).toMatchObject({ scoreMaximum: 100, resourceId: 'fire-drill', resourceLinkId: fireDrill.id });

    // The instructor opens the new link: the class report of that course.
    await page.goto(sim.loginUrl({ claims: sim.linkClaims(fireDrill.id, 'teacher-1', 'Instructor') }));
    await page.waitForSelector('#report');
    expect(await page.textContent('h1')).toBe('Fire drill');
    // A learner opens it: the player, for that course.
    const learner = await browser.newPage();
    await learner.goto(sim.loginUrl({ claims: sim.linkClaims(fireDrill.id, 'learner-50') }));
    await learner.waitForFunction(() => (document.querySelector('xcredit-player') as any)?.ready === true, undefined, { timeout: 30_000 });
    const token = await learner.evaluate(() => document.querySelector('xcredit-player')!.getAttribute('launch-token')!);
    const current = await (await fetch(`${server.url}/api/v1/launches/current`, { headers: { Authorization: `Bearer ${token}` } })).json();
    expect(current).toMatchObject({ learnerId: 'learner-50', courseId: 'fire-drill' });
    await learner.close();
    await page.close();
  });

  it('adds a course of 1.5 credits alone, which Moodle grades (it refuses a maximum that is not a whole number from 1 to 100)', async () => {
    const page = await browser.newPage();
    await page.goto(sim.loginUrl({ claims: sim.deepLinkingClaims('teacher-3') }));
    await page.waitForSelector('form[action="/lti/deep-link"]');
    expect(await page.textContent('label.course:has(input[value="first-aid"])')).toContain('1.5 elective credits');
    await page.check('input[value="first-aid"]');
    await Promise.all([page.waitForURL(`${sim.url}/deep-links/return**`), page.click('#add')]);
    expect(await page.textContent('#added')).toBe('1 item(s) added');
    const item = sim.deepLinkResponses.at(-1)!.items[0]!;
    expect(item).toMatchObject({ title: 'First aid', text: '1.5 elective credits', lineItem: { scoreMaximum: 100 } });
    const link = sim.links.find((l) => l.custom.xcredit_course === 'first-aid')!;
    expect(sim.lineItems.find((li) => li.id === link.lineItemId)).not.toHaveProperty('gradeType');
    await page.close();
  });

  it.each([
    ['a javascript: return URL is refused, never run', "javascript:alert('deep-link')", 400],
    ['an http(s) return URL carrying markup is posted to, never parsed as markup', "?x=\"><script>alert('deep-link')</script>", 200],
  ] as const)('%s', async (_name, returnUrl, status) => {
    const DL = 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings';
    const claims = sim.deepLinkingClaims('teacher-2');
    const to = returnUrl.startsWith('?') ? `${sim.url}/deep-links/return${returnUrl}` : returnUrl;
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(sim.loginUrl({ claims: { ...claims, [DL]: { ...(claims[DL] as object), deep_link_return_url: to } }, keep: [DL] }));
    await page.waitForSelector('form[action="/lti/deep-link"]');
    await page.check('input[value="fire-drill"]');
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/lti/deep-link')), page.click('#add')]);
    expect(response.status()).toBe(status);
    if (status === 400) expect(await page.getAttribute('[data-code]', 'data-code')).toBe('bad_return_url');
    else await page.waitForURL(`${sim.url}/deep-links/return**`);
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
