import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { XcreditClient } from '@xcredit/sdk';
import { startTestServer, type Engine, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium } from '../support/browser.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
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
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('earns the full credits for watching the whole video at 1x, and the page shows them', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/demo`);
    await playToEnd(page);
    const credits = await client.getLearnerCredits('demo-learner');
    const course = credits.courses.find((c) => c.courseId === 'demo-safety-101');
    expect(course).toMatchObject({ credits: DEMO_CREDITS, earned: DEMO_CREDITS, coverage: 1, attention: 1, mastery: 1 });
    expect(credits.earned).toBe(DEMO_CREDITS);
    await page.waitForFunction((n) => document.body.dataset.earned === String(n), DEMO_CREDITS, { timeout: 10_000 });
    expect(errors).toEqual([]);
    await page.close();
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
