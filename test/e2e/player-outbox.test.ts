import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VideoExt } from '@xcredit/sdk';
import { courseWithLaunch, player, recordingPage, sentStatements, startWorld, storedStatements, verbName, waitMediaTime, waitReady, type PlayerWorld } from './player-harness.js';
import { browserEngines } from '../support/engines.js';


const ids = (statements: any[]) => statements.map((s) => s.id).sort();
const sessionOf = (s: any) => s.context.extensions[VideoExt.sessionId];

describe.each(browserEngines())('the outbox in real Chromium on %s', (engine) => {
  let world: PlayerWorld;

  beforeAll(async () => {
    world = await startWorld(engine, inject('postgresUrl') ?? undefined);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('keeps every statement through 2 minutes offline and delivers each exactly once when the network returns', async () => {
    const { launch } = await courseWithLaunch(world, { seconds: 20, policy: { idleSeconds: 0 } });
    const context = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page = await recordingPage(context);
    // The page's clock runs in real time; the test moves it on to let 2 minutes pass offline.
    await page.clock.install();
    await page.goto(launch.playerUrl);
    await waitReady(page);
    await player(page, ({ el }) => el.play());
    await waitMediaTime(page, 1);
    await player(page, ({ el }) => el.flush());
    const before = (await storedStatements(world.server, launch.registration)).length;

    await context.setOffline(true);
    await waitMediaTime(page, 3);
    await player(page, ({ el }) => el.pause());
    await player(page, ({ el }) => el.seek(1));
    await player(page, ({ el }) => el.play());
    await waitMediaTime(page, 2);
    await player(page, ({ el }) => el.pause());
    await page.waitForFunction(() => /Offline: \d+ updates? saved on this device/.test((document.querySelector('xcredit-player') as any).shadowRoot.querySelector('[part=status]').textContent));

    // Two minutes offline, in 15 s steps, each giving the outbox's backoff timer its turn to retry and fail.
    for (let elapsed = 0; elapsed < 120_000; elapsed += 15_000) {
      await page.clock.fastForward(15_000);
      await page.waitForTimeout(200);
    }
    const pending = await player(page, ({ el }) => el.pendingStatements);
    expect(pending).toBeGreaterThanOrEqual(4);
    expect((await storedStatements(world.server, launch.registration)).length).toBe(before);

    await context.setOffline(false);
    // Back online: the `online` event flushes; the next backoff retry would too.
    await page.clock.fastForward(30_000);
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any).pendingStatements === 0, undefined, { timeout: 20_000 });
    expect(await player(page, ({ root }) => root.querySelector('[part=status]')?.textContent)).not.toMatch(/Offline/);
    const sent = await sentStatements(page);
    const stored = await storedStatements(world.server, launch.registration);
    expect(ids(stored)).toEqual(ids(sent));
    expect(new Set(ids(stored)).size).toBe(stored.length);
    await context.close();
  });

  it('sends what a tab closed mid-session left behind, at the next load, exactly once', async () => {
    const { launch } = await courseWithLaunch(world, { seconds: 20, policy: { idleSeconds: 0 } });
    const context = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page = await recordingPage(context);
    // The LRS is unreachable for this tab: everything it sends stays in its outbox.
    await page.route('**/xapi/statements', (route) => route.abort('internetdisconnected'));
    await page.goto(launch.playerUrl);
    await waitReady(page);
    await player(page, ({ el }) => el.play());
    await waitMediaTime(page, 2);
    await player(page, ({ el }) => el.pause());
    await player(page, ({ el }) => el.play());
    await waitMediaTime(page, 3);
    const queued = await sentStatements(page);
    expect(queued.length).toBeGreaterThanOrEqual(4);
    expect(await storedStatements(world.server, launch.registration)).toEqual([]);
    // Closed while playing: pagehide journals `terminated` and tries a keepalive send.
    const next = await recordingPage(context);
    await page.close({ runBeforeUnload: true });
    await next.goto(launch.playerUrl);
    await waitReady(next);
    const firstSession = sessionOf(queued[0]);
    await expect
      .poll(async () => (await storedStatements(world.server, launch.registration)).filter((s) => sessionOf(s) === firstSession).map(verbName).includes('terminated'), { timeout: 20_000 })
      .toBe(true);
    const stored = (await storedStatements(world.server, launch.registration)).filter((s) => sessionOf(s) === firstSession);
    // Everything the closed tab queued, plus its terminated; nothing twice.
    expect(ids(stored)).toEqual(ids([...queued, stored.find((s) => verbName(s) === 'terminated')]));
    expect(new Set(ids(stored)).size).toBe(stored.length);
    await context.close();
  });
});
