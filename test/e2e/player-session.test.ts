import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { coveredSeconds, parsePlayedSegments, VideoExt } from '@xcredit/sdk';
import { courseWithLaunch, ext, player, recordingPage, sentStatements, startWorld, storedStatements, verbName, waitMediaTime, waitReady, type PlayerWorld } from './player-harness.js';
import { browserEngines } from '../support/engines.js';


describe.each(browserEngines())('one learner, one session, resumed anywhere, in real Chromium on %s', (engine) => {
  let world: PlayerWorld;

  beforeAll(async () => {
    world = await startWorld(engine, inject('postgresUrl') ?? undefined);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('stops the older player when a newer launch takes over, tells the learner why, and still delivers its statements', async () => {
    const { courseId, learnerId, launch } = await courseWithLaunch(world, { seconds: 20, policy: { idleSeconds: 0, sessionMode: 'take-over' } });
    const first = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page = await recordingPage(first);
    await page.goto(launch.playerUrl);
    await waitReady(page);
    await player(page, ({ el }) => el.play());
    await waitMediaTime(page, 1.5);
    await player(page, ({ el }) => el.pause());

    // The learner opens the course again elsewhere (another device: another browser context).
    const newer = await world.client.createLaunch({ learnerId, courseId });
    const second = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page2 = await recordingPage(second);
    await page2.goto(newer.playerUrl);
    await waitReady(page2);

    // Back on the first device, pressing play is when the player checks in.
    await player(page, ({ el }) => el.play());
    await page.waitForFunction(() => (window as any).__errors.some((e: any) => e.code === 'session_taken_over'), undefined, { timeout: 20_000 });
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').paused);
    const shown = await player(page, ({ root }) => root.querySelector('.taken-over')?.textContent?.trim());
    expect(shown).toMatch(/opened in another window or device/);
    expect(await page.evaluate(() => (window as any).__errors.at(-1))).toMatchObject({ code: 'session_taken_over', status: 409 });
    // It stays stopped.
    await player(page, ({ el }) => el.play());
    expect(await player(page, ({ video }) => video.paused)).toBe(true);

    await player(page, ({ el }) => el.flush());
    const sent = await sentStatements(page);
    const stored = await storedStatements(world.server, launch.registration);
    expect(stored.map((s) => s.id).sort()).toEqual(sent.map((s) => s.id).sort());
    await first.close();
    await second.close();
  });

  it('resumes on a new device where the learner left off, counting what was watched before', async () => {
    const { courseId, learnerId, launch } = await courseWithLaunch(world, { seconds: 20, policy: { idleSeconds: 0, seekLock: true } });
    const laptop = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page = await recordingPage(laptop);
    await page.goto(launch.playerUrl);
    await waitReady(page);
    await player(page, ({ el }) => el.play());
    await waitMediaTime(page, 6);
    await player(page, ({ el }) => el.pause());
    const leftAt = await player(page, ({ video }) => video.currentTime);
    await player(page, ({ el }) => el.flush());
    await laptop.close();

    const phone = await world.browser.newContext({ viewport: { width: 420, height: 700 } });
    const page2 = await recordingPage(phone);
    const again = await world.client.createLaunch({ learnerId, courseId });
    await page2.goto(again.playerUrl);
    await waitReady(page2);
    await page2.waitForFunction((t) => Math.abs((document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').currentTime - t) < 0.5, leftAt, { timeout: 10_000 });
    expect(await player(page2, ({ root }) => root.querySelector('.message')?.textContent)).toMatch(/Continuing where you left off \(0:0[56]\)/);
    // Progress counts the first device's segments; the seek lock lets the learner move within them.
    expect(await player(page2, ({ el }) => el.progress)).toBeGreaterThanOrEqual(0.25);
    expect(await player(page2, ({ root }) => root.querySelector('[part=status]')?.textContent)).toMatch(/(2[5-9]|3\d)% watched/);
    await player(page2, ({ el }) => el.seek(1));
    await page2.waitForFunction(() => (document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').currentTime < 1.5);
    await player(page2, ({ el }) => el.seek(15));
    await page2.waitForFunction(() => !(document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').seeking);
    expect(await player(page2, ({ video }) => video.currentTime)).toBeLessThan(leftAt + 1.5);
    await player(page2, ({ el }) => el.play());
    await waitMediaTime(page2, 2);
    await player(page2, ({ el }) => el.pause());
    const pause = (await sentStatements(page2)).filter((s) => verbName(s) === 'paused').at(-1);
    expect(coveredSeconds(parsePlayedSegments(ext(pause, VideoExt.playedSegments)))).toBeGreaterThan(leftAt - 0.5);
    await phone.close();
  });
});
