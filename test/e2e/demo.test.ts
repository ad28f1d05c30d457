import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { XcreditClient } from '@xcredit/sdk';
import { startTestServer, type Engine, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium } from '../support/browser.js';

// The demo is what `npm start` serves, on embedded PGlite; the other browser tests run on PostgreSQL when there is one.
const engines: Engine[] = ['pglite'];
const DEMO_CREDITS = 2;

/** Waits for the player on the page to be ready, plays it to the end of the video at 1x and flushes its outbox. */
async function playToEnd(page: Page, options: { skipTo?: number } = {}) {
  await page.waitForFunction(() => (document.querySelector('xcredit-player') as any)?.ready === true, undefined, { timeout: 30_000 });
  await page.evaluate(async ({ skipTo }) => {
    const player = document.querySelector('xcredit-player') as any;
    const video = player.shadowRoot.querySelector('video') as HTMLVideoElement;
    // `completed` comes when progress reaches the threshold; the end of the video closes the interval.
    const ended = new Promise<void>((resolve) => video.addEventListener('ended', () => resolve(), { once: true }));
    await player.play();
    if (skipTo !== undefined) {
      await new Promise((r) => setTimeout(r, 1500));
      player.seek(skipTo);
    }
    await ended;
    await player.flush();
  }, options);
}

describe.each(engines)('the demo in real Chromium on %s', (engine) => {
  let server: TestServer;
  let browser: Browser;
  let client: XcreditClient;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, demo: true });
    client = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('earns the full credits for watching the whole video at 1x, and the page shows verified progress rising while it plays', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/demo`);
    const learnerId = await page.evaluate(() => document.body.dataset.learner!);
    expect(learnerId).toMatch(/^demo-learner-[0-9a-f]{8}$/);
    // What the page shows while the video plays: the verified share (aside and player status line), sampled until the end.
    await page.evaluate(() => {
      const w = window as any;
      w.__samples = [];
      const video = () => (document.querySelector('xcredit-player') as any)?.shadowRoot?.querySelector('video') as HTMLVideoElement | null;
      w.__sampler = setInterval(() => {
        const v = video();
        if (!v || v.paused || v.ended) return;
        const status = (document.querySelector('xcredit-player') as any).shadowRoot.querySelector('[part=status]')?.textContent ?? '';
        w.__samples.push({ t: v.currentTime, coverage: Number(document.body.dataset.coverage ?? 0), watched: document.getElementById('watched')!.textContent, status });
      }, 200);
    });
    await playToEnd(page);
    const samples: { t: number; coverage: number; watched: string; status: string }[] = await page.evaluate(() => (window as any).__samples);
    const during = [...new Set(samples.filter((s) => s.coverage > 0 && s.coverage < 1).map((s) => s.coverage))];
    // The server verified the viewing step by step while it played, and the page showed each step.
    expect(during.length, JSON.stringify(samples)).toBeGreaterThanOrEqual(2);
    expect(during).toEqual([...during].sort((a, b) => a - b));
    expect(samples.some((s) => /^[1-9]\d?% watched/.test(s.status.trim()))).toBe(true);
    expect(samples.some((s) => /^[1-9][\d.]* s of 15 s verified$/.test(s.watched ?? ''))).toBe(true);
    const credits = await client.getLearnerCredits(learnerId);
    const course = credits.courses.find((c) => c.courseId === 'demo-safety-101');
    expect(course).toMatchObject({ credits: DEMO_CREDITS, earned: DEMO_CREDITS, coverage: 1, attention: 1, mastery: 1 });
    expect(credits.earned).toBe(DEMO_CREDITS);
    await page.waitForFunction((n) => document.body.dataset.earned === String(n), DEMO_CREDITS, { timeout: 10_000 });
    // The page refreshes what the server verified every 3 s: the last viewing arrives with the next refresh.
    await page.waitForFunction(() => document.querySelector('#gates li')?.textContent?.includes('100%'), undefined, { timeout: 10_000 });
    // A course without questions or a minimum study time: no mastery bar, and the coverage gate alone.
    expect(await page.locator('#mastery').count()).toBe(0);
    expect(await page.locator('#gates li').allTextContents()).toEqual(['✓ watched 100% of the video; 80% is required']);
    expect(await page.locator('aside').textContent()).not.toMatch(/Mastery|min is required/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows no gate as met before anything was watched, and only the gates that apply', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/demo`);
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any)?.ready === true, undefined, { timeout: 30_000 });
    await page.waitForTimeout(500);
    const aside = (await page.locator('aside').textContent()) ?? '';
    expect(aside).toContain('0.0 s of 15 s verified');
    expect(aside).not.toMatch(/✓|Mastery|100%/);
    await context.close();
  });

  it('gives each browser one launch: reloads, repeated visits and favicon requests reuse it', async () => {
    const db = server.store.db;
    const launches = () => db.selectFrom('launches').select(['learner_id', 'registration']).where('course_id', '=', 'demo-safety-101').execute();
    const before = (await launches()).length;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/demo`);
    const learnerId = await page.evaluate(() => document.body.dataset.learner);
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any)?.ready === true, undefined, { timeout: 30_000 });
    await page.reload();
    await page.goto(`${server.url}/demo`);
    await page.goto(`${server.url}/favicon.ico`).catch(() => undefined);
    await page.goto(`${server.url}/demo`);
    expect(await page.evaluate(() => document.body.dataset.learner)).toBe(learnerId);
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any)?.ready === true, undefined, { timeout: 30_000 });
    const mine = (await launches()).filter((l) => l.learner_id === learnerId);
    expect(mine).toHaveLength(1);
    expect((await launches()).length).toBe(before + 1);
    // Another browser is another visitor: a learner and a launch of its own.
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await otherPage.goto(`${server.url}/demo`);
    expect(await otherPage.evaluate(() => document.body.dataset.learner)).not.toBe(learnerId);
    expect((await launches()).length).toBe(before + 2);
    // "Hot courses" counts launches: two visitors, two launches.
    const hot = await (await fetch(`${server.url}/api/v1/reports/hot-courses`, { headers: { authorization: server.admin.authorization } })).json();
    expect(hot.rows.find((r: { courseId?: string; id?: string }) => (r.courseId ?? r.id) === 'demo-safety-101')).toMatchObject({ launches: before + 2 });
    await other.close();
    await context.close();
  });

  it('earns at most 10% for seeking to the end, even when the player lets the learner skip', async () => {
    // A course whose player does not lock seeking: the server alone must refuse the skipped part.
    await client.upsertCourse('skippable', {
      title: 'Skippable',
      activityId: 'https://xcredit.dev/demo/courses/skippable',
      credits: DEMO_CREDITS,
      kind: 'elective',
      lengthSeconds: 15,
      videoUrl: '/media/demo.mp4',
      policy: { seekLock: false },
    });
    const launch = await client.createLaunch({ learnerId: 'skipper', courseId: 'skippable' });
    const page = await browser.newPage();
    await page.goto(launch.playerUrl);
    await playToEnd(page, { skipTo: 14.5 });
    const credits = await client.getLearnerCredits('skipper');
    expect(credits.courses[0]!.earned).toBeLessThanOrEqual(DEMO_CREDITS * 0.1);
    expect(credits.courses[0]!.coverage).toBeLessThan(0.5);
    await page.close();
  });
});
