import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parsePlayedSegments, coveredSeconds, VideoExt, XcreditExt } from '@xcredit/sdk';
import { courseWithLaunch, ext, player, recordingPage, sentStatements, startWorld, storedStatements, verbName, waitMediaTime, waitReady, type PlayerWorld } from './player-harness.js';
import { browserEngines } from '../support/engines.js';


/**
 * Headless Chromium keeps every page visible, so the test plays the part of the browser: it
 * reports the page hidden (or shown) the way a tab switch does, with a visibilitychange event.
 */
async function setPageVisible(page: Page, visible: boolean): Promise<void> {
  await page.evaluate((v) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (v ? 'visible' : 'hidden') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => !v });
    document.dispatchEvent(new Event('visibilitychange'));
  }, visible);
}

const statusText = (page: Page) => player(page, ({ root }) => (root.querySelector('[part=status]')?.textContent ?? '').replace(/\s+/g, ' ').trim());
const noticeText = (page: Page) => player(page, ({ root }) => root.querySelector('.message')?.textContent?.trim() ?? '');

describe.each(browserEngines())('the course policy in real Chromium on %s', (engine) => {
  let world: PlayerWorld;

  beforeAll(async () => {
    world = await startWorld(engine, inject('postgresUrl') ?? undefined);
  });
  afterAll(async () => {
    await world?.close();
  });

  async function open(policy: Record<string, unknown>, seconds = 20) {
    const { launch } = await courseWithLaunch(world, { seconds, policy });
    const context = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page = await recordingPage(context);
    await page.goto(launch.playerUrl);
    await waitReady(page);
    return { page, context, launch };
  }

  it('locks seeking past the furthest point watched, leaves rewinding free, and caps the rate', async () => {
    const { page, context, launch } = await open({ seekLock: true, maxRate: 1.5, idleSeconds: 0 });
    await player(page, ({ el }) => el.play());
    await waitMediaTime(page, 2);
    await player(page, ({ el }) => el.seek(15));
    await page.waitForFunction(() => !(document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').seeking);
    expect(await player(page, ({ video }) => video.currentTime)).toBeLessThan(4);
    expect(await noticeText(page)).toMatch(/Skipping ahead is turned off/);
    await player(page, ({ el }) => el.seek(0.5));
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').currentTime < 1.5);

    // A script (or devtools) asking for 4x gets the policy's 1.5x; the menu offers nothing faster.
    await player(page, ({ video }) => (video.playbackRate = 4));
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').playbackRate === 1.5);
    const rates = await player(page, ({ root }) => Array.from(root.querySelectorAll('.vjs-playback-rate .vjs-menu-item-text')).map((e) => parseFloat(e.textContent ?? '')));
    expect(Math.max(...rates)).toBe(1.5);
    expect(await noticeText(page)).toMatch(/up to 1.5× speed/);
    await player(page, ({ el }) => el.pause());
    await player(page, ({ el }) => el.flush());

    const sent = await sentStatements(page);
    const seeks = sent.filter((s) => verbName(s) === 'seeked');
    // The locked seek never happened as far as the record goes: no seek lands past what was watched.
    for (const s of seeks) expect(ext(s, VideoExt.timeTo)).toBeLessThan(4);
    const stored = await storedStatements(world.server, launch.registration);
    expect(stored.map((s) => s.id).sort()).toEqual(sent.map((s) => s.id).sort());
    await context.close();
  });

  it('pauses when the page is hidden; with pausing off, time played hidden is reported unattended and not focused', async () => {
    const paused = await open({ pauseWhenHidden: true, idleSeconds: 0 });
    await player(paused.page, ({ el }) => el.play());
    await waitMediaTime(paused.page, 1.5);
    await setPageVisible(paused.page, false);
    await paused.page.waitForFunction(() => (document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').paused);
    expect(verbNames(await sentStatements(paused.page))).toContain('paused');
    await paused.context.close();

    const { page, context, launch } = await open({ pauseWhenHidden: false, idleSeconds: 0 });
    await player(page, ({ el }) => el.play());
    await waitMediaTime(page, 1.5);
    await setPageVisible(page, false);
    const hiddenFrom = await player(page, ({ video }) => video.currentTime);
    await waitMediaTime(page, hiddenFrom + 2);
    await setPageVisible(page, true);
    const hiddenTo = await player(page, ({ video }) => video.currentTime);
    await waitMediaTime(page, hiddenTo + 1);
    await player(page, ({ el }) => el.pause());
    await player(page, ({ el }) => el.flush());
    const pause = (await sentStatements(page)).filter((s) => verbName(s) === 'paused').at(-1);
    const unattended = parsePlayedSegments(ext(pause, XcreditExt.unattendedSegments));
    expect(unattended).toHaveLength(1);
    expect(Math.abs(unattended[0]![0] - hiddenFrom)).toBeLessThan(0.5);
    expect(Math.abs(unattended[0]![1] - hiddenTo)).toBeLessThan(0.5);
    const played = coveredSeconds(parsePlayedSegments(ext(pause, VideoExt.playedSegments)));
    expect(ext(pause, XcreditExt.focusedSeconds)).toBeCloseTo(played - coveredSeconds(unattended), 0);
    expect((await storedStatements(world.server, launch.registration)).some((s) => s.id === pause.id)).toBe(true);
    await context.close();
  });

  it('asks "are you still there?" after idleSeconds without input, pauses when unanswered, and counts none of it as focused', async () => {
    const { page, context } = await open({ idleSeconds: 2, promptTimeoutSeconds: 5, pauseWhenHidden: true });
    await player(page, ({ el }) => el.play());
    await page.waitForFunction(() => !!(document.querySelector('xcredit-player') as any).shadowRoot.querySelector('[role=alertdialog]'), undefined, { timeout: 10_000 });
    const promptAt = await player(page, ({ video }) => video.currentTime);
    expect(await player(page, ({ root }) => root.querySelector('[role=alertdialog]')?.textContent)).toMatch(/Are you still there\?/);
    // Keyboard focus is on the answer button.
    expect(await player(page, ({ root }) => (root.activeElement as HTMLElement | null)?.textContent)).toBe("I'm here");
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').paused, undefined, { timeout: 10_000 });
    expect(await player(page, ({ root }) => root.querySelector('[role=alertdialog]')?.textContent)).toMatch(/paused because there was no answer/);
    const pause = (await sentStatements(page)).filter((s) => verbName(s) === 'paused').at(-1);
    const unattended = parsePlayedSegments(ext(pause, XcreditExt.unattendedSegments));
    expect(unattended).toHaveLength(1);
    expect(Math.abs(unattended[0]![0] - promptAt)).toBeLessThan(0.5);
    expect(ext(pause, XcreditExt.focusedSeconds)).toBeLessThan(promptAt + 0.5);

    // Answering with the keyboard resumes playback.
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !(document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').paused);
    expect(await player(page, ({ root }) => root.querySelector('[role=alertdialog]'))).toBeNull();
    await player(page, ({ el }) => el.pause());
    await context.close();
  });

  it('shows the attention checks the server issues in its heartbeat answers, and answers each with its nonce in time', async () => {
    const { page, context } = await open({ idleSeconds: 0, attentionChecks: 1, promptTimeoutSeconds: 60 }, 12);
    const answers: { body: { sessionId: string; nonce: string }; reply: { accepted: boolean } }[] = [];
    const issued: string[] = [];
    page.on('response', async (r) => {
      if (r.request().method() !== 'POST' || !r.ok()) return;
      if (r.url().endsWith('/launches/current/heartbeat')) {
        const nonce = (await r.json()).attentionCheck?.nonce;
        if (nonce && !issued.includes(nonce)) issued.push(nonce);
      }
      if (r.url().endsWith('/launches/current/attention')) answers.push({ body: r.request().postDataJSON(), reply: await r.json() });
    });
    await player(page, ({ el }) => el.play());
    // The server picks the moment (random, within the viewing); the player keeps beating while it has a session, playing or not.
    await page.waitForFunction(() => !!(document.querySelector('xcredit-player') as any).shadowRoot.querySelector('[role=alertdialog]'), undefined, { timeout: 45_000 });
    expect(await player(page, ({ root }) => root.querySelector('[role=alertdialog]')?.textContent)).toMatch(/Attention check/);
    expect(issued).toHaveLength(1);
    const sessionId = (await sentStatements(page))[0].context.extensions[VideoExt.sessionId];
    await player(page, ({ root }) => (root.querySelector('[role=alertdialog] button') as HTMLButtonElement).click());
    expect(await player(page, ({ root }) => root.querySelector('[role=alertdialog]'))).toBeNull();
    await expect.poll(() => answers.length, { timeout: 10_000 }).toBe(1);
    expect(answers[0]).toEqual({ body: { sessionId, nonce: issued[0] }, reply: expect.objectContaining({ accepted: true }) });
    expect(await statusText(page)).toMatch(/\d+% watched/);
    await player(page, ({ el }) => el.pause());
    await context.close();
  });
});

const verbNames = (sent: any[]) => sent.map(verbName);
