import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { XcreditClient } from '@xcredit/sdk';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium } from '../support/browser.js';

// The QR decoder the server's own tests use (a dependency of the server package's tests).
const jsQR = createRequire(new URL('../../packages/lrs-server/package.json', import.meta.url))('jsqr') as (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;

// XCREDIT_DOCS_SCREENSHOTS=1 refreshes the pictures in docs/images; otherwise they go to test-results.
const shots = process.env.XCREDIT_DOCS_SCREENSHOTS === '1' ? 'docs/images' : 'test-results/checkin';

describe('offline training in real Chromium: a trainer runs a session in /admin, learners check in and out with their own launches', () => {
  let server: TestServer;
  let sdk: XcreditClient;
  let browser: Browser;
  let trainer: Page;
  const learners = new Map<string, { context: BrowserContext; page: Page }>();
  const minutes = (n: number) => server.clock!.advance(n * 60);
  let current = '';
  /** The check-in link the trainer's page shows, once it is a new one (the page asks the server every 5 s). */
  const shownUrl = async () => {
    const previous = current;
    await trainer.waitForFunction(
      (prev) => {
        const img = document.querySelector('xcredit-admin')?.shadowRoot?.querySelector('xa-training')?.shadowRoot?.querySelector('#qr');
        const url = img?.getAttribute('data-url');
        return url && url !== prev ? url : null;
      },
      previous,
      { timeout: 20_000 },
    );
    const qr = trainer.locator('#qr');
    const url = (await qr.getAttribute('data-url'))!;
    expect(await trainer.locator('#checkin-link').getAttribute('href')).toBe(url);
    current = url;
    return url;
  };
  /** One learner's phone scans `url`; the page's state and text once it has answered. */
  const scan = async (learnerId: string, url: string) => {
    const { page } = learners.get(learnerId)!;
    await page.goto(url);
    await page.waitForFunction(() => !['loading', 'busy'].includes(document.body.dataset.state ?? 'loading'));
    return { state: await page.evaluate(() => document.body.dataset.state), text: (await page.textContent('#status')) ?? '' };
  };
  const row = (learnerId: string) => trainer.locator(`#attendance tr[data-learner="${learnerId}"]`);

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    server = await startTestServer({ engine: 'pglite', manualClock: true });
    // The session starts on a whole minute of the server's clock, so the minutes below are exact.
    const now = server.clock!();
    server.clock!.set(new Date(Math.ceil(now.getTime() / 60_000) * 60_000));
    sdk = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
    await sdk.upsertCourse('first-aid', { title: 'First aid workshop', activityId: 'https://example.com/courses/first-aid', credits: 2, kind: 'required', lengthSeconds: 5400 });
    browser = await launchChromium();
    // The trainer's laptop and four learners' phones: separate contexts, so nothing is shared but the server.
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    trainer = await context.newPage();
    await trainer.goto(`${server.url}/admin`);
    await trainer.fill('#key', server.admin.key);
    await trainer.fill('#secret', server.admin.secret);
    await trainer.click('button[type=submit]');
    await trainer.locator('xa-overview').waitFor();
    for (const learnerId of ['ana', 'ben', 'cai', 'dee']) {
      // ben's phone is in Chinese: the check-in page speaks its language.
      const phone = await browser.newContext({ viewport: { width: 390, height: 760 }, locale: learnerId === 'ben' ? 'zh-CN' : 'en-US', isMobile: true });
      const page = await phone.newPage();
      learners.set(learnerId, { context: phone, page });
      // The HR system made this learner a launch of the course and sent its check-in link; opening it readies this phone.
      const launch = await sdk.createLaunch({ learnerId, courseId: 'first-aid', ttlSeconds: 8 * 3600 });
      await page.goto(launch.checkinUrl);
      await page.waitForFunction(() => document.body.dataset.state === 'ready');
      expect(page.url()).not.toContain('token');
    }
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  let sessionId = '';
  let firstUrl = '';

  it('schedules a session in the Training view, naming a missing field, and opens it with a QR code', async () => {
    await trainer.goto(`${server.url}/admin#/training`);
    await trainer.waitForSelector('#new-session');
    const local = (d: Date) => d.toISOString().slice(0, 16);
    const start = server.clock!();
    await trainer.selectOption('select[name=courseId]', 'first-aid');
    await trainer.fill('input[name=startsAt]', local(start));
    await trainer.fill('input[name=endsAt]', local(new Date(start.getTime() + 90 * 60_000)));
    await trainer.fill('input[name=trainer]', 'Li Wei');
    await trainer.click('#create-session');
    expect(await trainer.textContent('[data-error-for=location]')).toContain('location');
    expect(await sdk.trainingSessions()).toEqual([]);
    await trainer.fill('input[name=location]', 'Room 3.14');
    await trainer.click('#create-session');
    await trainer.waitForFunction(() => location.hash.startsWith('#/training/') && location.hash.length > 20);
    sessionId = decodeURIComponent(new URL(trainer.url()).hash.split('/')[2]!);
    expect(await sdk.trainingSession(sessionId)).toMatchObject({ status: 'scheduled', location: 'Room 3.14', trainer: 'Li Wei', minShare: 0.8, graceMinutes: 5, startsAt: start.toISOString() });
    await trainer.click('#open-session');
    firstUrl = await shownUrl();
    expect(firstUrl).toMatch(new RegExp(`^${server.url}/checkin\\?code=${sessionId}\\.`));
    // What a phone's camera reads from the QR code is the link the page shows.
    const pixels = await trainer.locator('#qr').evaluate((img: HTMLImageElement) => {
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 400;
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#fff';
      g.fillRect(0, 0, 400, 400);
      g.drawImage(img, 50, 50, 300, 300);
      return Array.from(g.getImageData(0, 0, 400, 400).data);
    });
    expect(jsQR(Uint8ClampedArray.from(pixels), 400, 400)?.data).toBe(firstUrl);
  });

  it('checks learners in from their own phones; a photo of an old code sent to an absent colleague has expired', async () => {
    minutes(1);
    const atOne = await shownUrl();
    expect(await scan('ana', atOne)).toMatchObject({ state: 'checked-in', text: expect.stringContaining('Checked in at') });
    expect(await scan('cai', atOne)).toMatchObject({ state: 'checked-in' });
    // The same code again: still checked in, nothing new; the page offers the check-out instead.
    expect(await scan('ana', atOne)).toMatchObject({ state: 'checked-in' });
    expect(await learners.get('ana')!.page.isVisible('#checkout')).toBe(true);
    minutes(14);
    const late = await shownUrl();
    expect(await scan('ben', late)).toMatchObject({ state: 'checked-in', text: expect.stringContaining('已签到') });
    // dee is not in the room: a colleague photographed the first code and sent it.
    const refused = await scan('dee', firstUrl);
    expect(refused.state).toBe('refused');
    expect(refused.text).toContain('expired');
    await trainer.waitForFunction(() => document.querySelector('xcredit-admin')?.shadowRoot?.querySelector('xa-training')?.shadowRoot?.querySelectorAll('#attendance tr[data-learner]').length === 3, undefined, { timeout: 20_000 });
    expect(await row('ben').locator('[data-late]').getAttribute('data-late')).toBe('15');
    expect(await row('ana').locator('[data-late]').getAttribute('data-late')).toBe('0');
    expect(await row('dee').count()).toBe(0);
    await trainer.screenshot({ path: `${shots}/admin-checkin.png`, fullPage: true });
  });

  it('checks out with a fresh code: one leaves early, the others at the end', async () => {
    minutes(25);
    const mid = await shownUrl();
    expect(await scan('cai', mid)).toMatchObject({ state: 'checked-in' });
    const cai = learners.get('cai')!.page;
    await cai.click('#checkout');
    await cai.waitForFunction(() => document.body.dataset.state === 'checked-out');
    minutes(49);
    const end = await shownUrl();
    for (const id of ['ana', 'ben']) {
      expect(await scan(id, end)).toMatchObject({ state: 'checked-in' });
      const page = learners.get(id)!.page;
      await page.click('#checkout');
      await page.waitForFunction(() => document.body.dataset.state === 'checked-out');
    }
    // The last code, two minutes on, is refused too.
    minutes(2);
    expect(await scan('dee', end)).toMatchObject({ state: 'refused' });
  });

  it('closes the session: the learners who stayed get the credits, late arrival and early leaving shown with why', async () => {
    const beforeClose = await shownUrl();
    await trainer.click('#close-session');
    await trainer.waitForFunction(() => document.querySelector('xcredit-admin')?.shadowRoot?.querySelector('xa-training')?.shadowRoot?.querySelector('#session')?.getAttribute('data-status') === 'closed');
    expect(await row('ana').getAttribute('data-status')).toBe('credited');
    expect(await row('ben').getAttribute('data-status')).toBe('credited');
    expect(await row('cai').getAttribute('data-status')).toBe('not_credited');
    expect(await row('cai').locator('[data-early]').getAttribute('data-early')).toBe('50');
    expect(await row('ben').textContent()).toContain('arrived 15 min late');
    expect(await row('cai').textContent()).toContain('below the share needed');
    expect(await trainer.locator('#qr').count()).toBe(0);
    await trainer.screenshot({ path: `${shots}/admin-checkin-closed.png`, fullPage: true });
    const year = String(server.clock!().getUTCFullYear());
    expect((await sdk.getLedger('ana', { period: year })).total).toBe(2);
    expect((await sdk.getLedger('ben', { period: year })).total).toBe(2);
    expect((await sdk.getLedger('cai', { period: year })).total).toBe(0);
    expect((await sdk.getLedger('dee', { period: year })).total).toBe(0);
    // After the close even a fresh code checks no one in.
    const after = await scan('dee', beforeClose);
    expect(after.state).toBe('refused');
    expect(after.text).toContain('closed');
  });
});
