import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Frame, Page } from 'playwright-core';
import { XcreditClient } from '@xcredit/sdk';
import type { PlatformSimulator } from '@xcredit/lti-platform-sim';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium } from '../support/browser.js';
import { connectSimulator } from '../support/lti.js';
import { browserEngines } from '../support/engines.js';


/** Waits until a frame of the page shows `path` of the server, and returns it. */
async function frameAt(page: Page, server: TestServer, path: string): Promise<Frame> {
  const find = () => page.frames().find((f) => f.url().startsWith(`${server.url}${path}`));
  await expect.poll(() => find() !== undefined, { timeout: 30_000 }).toBe(true);
  return find()!;
}

/** Plays the video to the end at 1x and flushes the player's outbox (as test/e2e/demo.test.ts does). */
async function playToEnd(frame: Frame) {
  await frame.waitForFunction(() => (document.querySelector('xcredit-player') as any)?.ready === true, undefined, { timeout: 30_000 });
  await frame.evaluate(async () => {
    const player = document.querySelector('xcredit-player') as any;
    const ended = new Promise<void>((resolve) =>
      player.addEventListener('xcredit:statement', (e: CustomEvent) => {
        if (e.detail.verb.id === 'http://adlnet.gov/expapi/verbs/completed') resolve();
      }),
    );
    await player.play();
    await ended;
    await player.flush();
  });
}

const finishedJobs = async (server: TestServer) =>
  (await (server.store.db as any).selectFrom('outbox').select(['id', 'done_at', 'attempts', 'last_error']).where('kind', '=', 'lti.score').execute()) as Array<{ id: string; done_at: Date | null; attempts: number; last_error: string | null }>;

describe.each(browserEngines())('LTI grade passback in real Chromium on %s', (engine) => {
  let server: TestServer;
  let sim: PlatformSimulator;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    sim = await connectSimulator(server);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await sim?.close();
    await server?.close();
  });

  it('launches a student from the LMS iframe into the course; the score lands in the gradebook once, after the gradebook recovers', async () => {
    sim.failScores(2);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(sim.embedUrl({ claims: sim.studentClaims('learner-7'), targetLinkUri: `${server.url}/lti?course=lti-safety` }));
    // Headless Chromium refuses the tool's cookies inside the LMS's cross-site iframe: the learner is offered a window of its own.
    const inFrame = await frameAt(page, server, '/lti');
    await inFrame.waitForSelector('#open');
    const [popup] = await Promise.all([page.waitForEvent('popup'), inFrame.click('#open')]);
    popup.on('pageerror', (e) => errors.push(e.message));
    const frame = await frameAt(popup, server, '/play');
    await playToEnd(frame);

    const client = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
    // Credits rise while the video plays; the last batch (completed, terminated) settles them.
    const courseNow = async () => (await client.getLearnerCredits('learner-7')).courses.find((c) => c.courseId === 'lti-safety')!;
    await expect.poll(async () => (await courseNow()).earned, { timeout: 30_000, interval: 500 }).toBe(2);
    const course = await courseNow();
    const passed = course.gates.length > 0 && course.gates.every((g) => g.passed);
    const pct = (n: number) => `${Math.round(n * 100)}%`;
    const expected = {
      userId: 'learner-7',
      // 100 points are the course's 2 credits: the credits themselves are in the comment.
      scoreGiven: Math.round((course.earned / 2) * 100 * 100) / 100,
      scoreMaximum: 100,
      activityProgress: passed ? 'Completed' : 'InProgress',
      gradingProgress: passed ? 'FullyGraded' : 'Pending',
      comment: `Engagement ${pct(course.engagement)} (coverage ${pct(course.coverage)}, attention ${pct(course.attention)}, mastery ${pct(course.mastery)}): ${course.earned} of 2 credits${passed ? '' : `; not yet: ${course.gates.filter((g) => !g.passed).map((g) => g.reason).join('; ')}`}`,
    };

    // The score lands outside the launch, from the outbox, once the gradebook stops failing.
    await expect.poll(() => sim.scores.at(-1)?.comment, { timeout: 60_000, interval: 500 }).toBe(expected.comment);
    const final = sim.scores.at(-1)!;
    expect(final).toMatchObject(expected);
    // The line item was made for the course, worth 100 points (Moodle takes whole maxima from 1 to 100 only).
    expect(sim.lineItems.find((li) => li.id === final.lineItemId)).toMatchObject({ resourceId: 'lti-safety', scoreMaximum: 100, tag: 'xcredit-credits' });
    expect(sim.droppedScores).toEqual([]);
    // The class report's status follows the credits: full credits read "completed".
    const report = await sim.launch({ claims: sim.instructorClaims('teacher-7'), targetLinkUri: `${server.url}/lti?course=lti-safety` });
    expect(report.html).toContain(`<tr data-learner="learner-7" data-status="${passed ? 'completed' : 'in progress'}">`);
    expect(passed).toBe(true);
    // The gradebook failed twice and was retried; no score was posted twice.
    expect(sim.scoreAttempts).toBe(sim.scores.length + 2);
    const distinct = new Set(sim.scores.map((s) => JSON.stringify([s.scoreGiven, s.activityProgress, s.gradingProgress, s.comment])));
    expect(distinct.size).toBe(sim.scores.length);

    // Another statement that changes nothing: a score job runs again and posts nothing.
    const token = await frame.evaluate(() => document.querySelector('xcredit-player')!.getAttribute('launch-token')!);
    const launch = await (await fetch(`${server.url}/api/v1/launches/current`, { headers: { Authorization: `Bearer ${token}` } })).json();
    // A statement makes the server look at the learner's credits again and owe a score job.
    const nudge = async () => {
      const before = (await finishedJobs(server)).filter((j) => j.done_at).length;
      const posted = await fetch(`${server.url}/xapi/statements`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'X-Experience-API-Version': '1.0.3' },
        body: JSON.stringify({ actor: launch.actor, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced', display: { en: 'experienced' } }, object: { id: launch.activityId, objectType: 'Activity' }, context: { registration: launch.registration } }),
      });
      expect(posted.status, await posted.text()).toBe(200);
      await expect.poll(async () => (await finishedJobs(server)).filter((j) => j.done_at).length, { timeout: 30_000, interval: 300 }).toBeGreaterThan(before);
    };
    await nudge();
    const settled = sim.scores.length;
    // Once nothing changes, another score job posts nothing: the same score is never sent twice.
    await nudge();
    expect(sim.scores.length, JSON.stringify(sim.scores.map((s) => [s.scoreGiven, s.activityProgress, s.comment]))).toBe(settled);
    expect(new Set(sim.scores.map((s) => JSON.stringify([s.scoreGiven, s.activityProgress, s.gradingProgress, s.comment]))).size).toBe(sim.scores.length);
    const jobs = await finishedJobs(server);
    expect(jobs.every((j) => j.done_at && j.last_error === null)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('runs inside the LMS page’s iframe when the browser accepts the tool’s cookies there', async () => {
    // An LMS on the same site as the tool (localhost here), so Chromium keeps the frame's cookie.
    const lms = await connectSimulator(server, { publicHost: 'localhost' });
    try {
      const page = await browser.newPage();
      await page.goto(lms.embedUrl({ claims: lms.studentClaims('learner-8'), targetLinkUri: `${server.url}/lti?course=lti-safety` }));
      const frame = await frameAt(page, server, '/play');
      await frame.waitForFunction(() => (document.querySelector('xcredit-player') as any)?.ready === true, undefined, { timeout: 30_000 });
      const token = await frame.evaluate(() => document.querySelector('xcredit-player')!.getAttribute('launch-token')!);
      const current = await (await fetch(`${server.url}/api/v1/launches/current`, { headers: { Authorization: `Bearer ${token}` } })).json();
      expect(current).toMatchObject({ learnerId: 'learner-8', courseId: 'lti-safety' });
      expect(page.url().startsWith(lms.url)).toBe(true);
      await page.close();
    } finally {
      await lms.close();
    }
  });

  it('fits the player in Moodle’s frame at 1280×720 and asks the LMS to resize the frame (lti.frameResize)', async () => {
    const lms = await connectSimulator(server, { publicHost: 'localhost' });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      // Moodle 4.3 "Embed, without blocks" gives the tool what is left of the window below its header: about 450 px here.
      const open = async (learner: string, options: { fixed?: boolean }) => {
        await page.goto(lms.embedUrl({ claims: lms.studentClaims(learner), targetLinkUri: `${server.url}/lti?course=lti-safety` }, { height: 450, ...options }));
        const frame = await frameAt(page, server, '/play');
        await frame.waitForFunction(() => (document.querySelector('xcredit-player') as any)?.ready === true, undefined, { timeout: 30_000 });
        await expect.poll(() => page.evaluate(() => (window as any).frameResizes.length)).toBeGreaterThan(0);
        return frame;
      };
      // An LMS that keeps the frame at 450 px.
      let frame = await open('learner-9', { fixed: true });
      // The player (video, controls and status line) is within the frame it was given, without scrolling.
      const fit = await frame.evaluate(() => ({ bottom: document.querySelector('xcredit-player')!.getBoundingClientRect().bottom, width: document.querySelector('xcredit-player')!.getBoundingClientRect().width, scroll: document.documentElement.scrollHeight }));
      expect(fit.bottom, JSON.stringify(fit)).toBeLessThanOrEqual(450);
      expect(fit.scroll, JSON.stringify(fit)).toBeLessThanOrEqual(450);
      // The page asked for the height the player takes at the frame's full width; Moodle's frame takes it.
      frame = await open('learner-10', {});
      const asked = await page.evaluate(() => (window as any).frameResizes.at(-1));
      expect(asked).toEqual({ subject: 'lti.frameResize', height: expect.any(Number) });
      expect(asked.height).toBeGreaterThan(450);
      await expect.poll(() => page.evaluate(() => document.getElementById('tool')!.getBoundingClientRect().height)).toBe(asked.height);
      // In the taller frame the player is wider and still whole; granting the height asks for no other (no resize loop).
      const grown = await frame.evaluate(() => ({ bottom: document.querySelector('xcredit-player')!.getBoundingClientRect().bottom, width: document.querySelector('xcredit-player')!.getBoundingClientRect().width, height: innerHeight }));
      expect(grown.bottom, JSON.stringify(grown)).toBeLessThanOrEqual(grown.height);
      expect(grown.width).toBeGreaterThan(fit.width);
      const heights: number[] = await page.evaluate(() => (window as any).frameResizes.map((m: { height: number }) => m.height));
      expect(heights.at(-1)).toBe(asked.height);
      expect(heights.length, JSON.stringify(heights)).toBeLessThanOrEqual(2);
      await page.close();
    } finally {
      await lms.close();
    }
  });
});
