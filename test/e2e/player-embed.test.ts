import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VideoExt } from '@xcredit/sdk';
import { courseWithLaunch, ext, player, recordingPage, sentStatements, startWorld, storedStatements, verbName, waitReady, type PlayerWorld } from './player-harness.js';
import { browserEngines } from '../support/engines.js';


describe.each(browserEngines())('embedding the player in real Chromium on %s', (engine) => {
  let world: PlayerWorld;

  beforeAll(async () => {
    world = await startWorld(engine, inject('postgresUrl') ?? undefined);
  });
  afterAll(async () => {
    await world?.close();
  });

  /** A vendor page on its own origin with one player; `bundle` picks the ESM module or the single <script>. */
  function vendorPage(name: string, bundle: 'esm' | 'iife', attrs: string): string {
    const script = bundle === 'esm' ? '<script type="module" src="/dist/xcredit-player.js"></script>' : '<script src="/dist/xcredit-player.iife.js"></script>';
    return world.media.file(name, `<!doctype html><meta charset="utf-8"><title>vendor</title><link rel="icon" href="data:,">
      <style>xcredit-player { max-width: 640px; --xcredit-accent: #0d9488 }</style>
      <xcredit-player ${attrs}></xcredit-player>${script}`);
  }

  it('draws a 16:9 player with video.js icons, offers only allowed rates, and sends xAPI 1.0.3 through LRS outages', async () => {
    const { launch } = await courseWithLaunch(world, { seconds: 12, policy: { maxRate: 1.5, idleSeconds: 0 } });
    const context = await world.browser.newContext({ viewport: { width: 720, height: 560 } });
    const page = await recordingPage(context);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const versions: (string | undefined)[] = [];
    let refuse = 2;
    // The LRS answers the first two batches with 503; the outbox retries them under the same ids.
    await page.route('**/xapi/statements', async (route) => {
      versions.push(route.request().headers()['x-experience-api-version']);
      if (refuse-- > 0) return route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"status":503,"code":"unavailable","message":"try later"}}' });
      return route.continue();
    });
    await page.goto(vendorPage('esm.html', 'esm', `endpoint="${world.server.url}/xapi" launch-token="${launch.launchToken}"`));
    await waitReady(page);
    expect(await page.evaluate(() => !!document.getElementById('xcredit-player-fonts'))).toBe(true);
    await player(page, ({ el }) => el.play());
    await page.waitForTimeout(1500);
    await player(page, ({ el }) => el.pause());
    await expect.poll(() => player(page, ({ el }) => el.pendingStatements), { timeout: 15_000 }).toBe(0);
    const look = await player(page, ({ root }) => {
      const icon = root.querySelector('.vjs-play-control .vjs-icon-placeholder')!;
      const stage = root.querySelector('.stage')!.getBoundingClientRect();
      return {
        iconFont: getComputedStyle(icon, '::before').fontFamily,
        fontLoaded: Array.from(document.fonts as unknown as Iterable<FontFace>).some((f) => f.family.replace(/"/g, '') === 'VideoJS' && f.status === 'loaded'),
        ratio: stage.width / stage.height,
        rates: Array.from(root.querySelectorAll('.vjs-playback-rate .vjs-menu-item-text')).map((e) => parseFloat(e.textContent ?? '')),
        status: root.querySelector('[part=status]')!.textContent!.trim(),
      };
    });
    expect(look.iconFont).toContain('VideoJS');
    expect(look.fontLoaded).toBe(true);
    expect(look.ratio).toBeCloseTo(16 / 9, 1);
    expect(Math.max(...look.rates)).toBe(1.5);
    expect(look.status).toMatch(/^\d+% watched · [\d.]+ of 1 credit earned$/);
    expect(versions.length).toBeGreaterThanOrEqual(3);
    expect(new Set(versions)).toEqual(new Set(['1.0.3']));
    const sent = await sentStatements(page);
    expect(ids(await storedStatements(world.server, launch.registration))).toEqual(ids(sent));
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the single-<script> build speaks Chinese: controls, status, and the reason a link does not work', async () => {
    const context = await world.browser.newContext({ viewport: { width: 720, height: 480 } });
    const page = await recordingPage(context);
    await page.goto(vendorPage('expired.html', 'iife', `endpoint="${world.server.url}/xapi" launch-token="no-such-token" lang="zh-CN"`));
    await page.waitForFunction(() => (window as any).__errors.length > 0);
    const error = await page.evaluate(() => (window as any).__errors[0]);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(error.message).toMatch(/unknown launch token/);
    expect(await player(page, ({ root }) => root.querySelector('[part=message]')?.textContent)).toMatch(/课程链接已过期或无效/);

    const { launch } = await courseWithLaunch(world, { seconds: 12, policy: { idleSeconds: 0 } });
    await page.goto(vendorPage('zh.html', 'iife', `endpoint="${world.server.url}/xapi" launch-token="${launch.launchToken}" lang="zh-CN"`));
    await waitReady(page);
    expect(await player(page, ({ root }) => root.querySelector('.vjs-play-control .vjs-control-text')?.textContent)).toMatch(/播放/);
    expect(await player(page, ({ root }) => root.querySelector('[part=status]')?.textContent)).toMatch(/已观看 0%/);
    await context.close();
  });

  it('reports a drag on the seek bar as where media was and where it went, and skipping earns no completed', async () => {
    const { launch } = await courseWithLaunch(world, { seconds: 12, policy: { seekLock: false, idleSeconds: 0 } });
    const context = await world.browser.newContext({ viewport: { width: 720, height: 480 } });
    const page = await recordingPage(context);
    await page.goto(launch.playerUrl);
    await waitReady(page);
    await player(page, ({ el }) => el.play());
    await page.waitForTimeout(2000);
    const bar = (await page.locator('xcredit-player').locator('.vjs-progress-holder').boundingBox())!;
    // video.js hides the controls (and lets clicks through) 2 s after playback starts without input;
    // the learner's pointer, moving onto the bar, brings them back before the drag.
    await page.mouse.move(bar.x + bar.width * 0.6, bar.y - 40);
    await page.mouse.move(bar.x + bar.width * 0.6, bar.y + bar.height / 2, { steps: 4 });
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any).shadowRoot.querySelector('.video-js').classList.contains('vjs-user-active'));
    await page.mouse.down();
    await page.mouse.move(bar.x + bar.width * 0.65, bar.y + bar.height / 2, { steps: 5 });
    await page.mouse.move(bar.x + bar.width * 0.7, bar.y + bar.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').ended, undefined, { timeout: 15_000 });
    await player(page, ({ el }) => el.flush());
    const sent = await sentStatements(page);
    const seeks = sent.filter((s) => verbName(s) === 'seeked');
    // video.js seeks once on mousedown before it marks the drag as scrubbing: one or two seeks, never one per mouse move.
    expect(seeks.length).toBeGreaterThanOrEqual(1);
    expect(seeks.length).toBeLessThanOrEqual(2);
    expect(ext(seeks[0], VideoExt.timeFrom)).toBeLessThan(3);
    expect(ext(seeks.at(-1), VideoExt.timeTo)).toBeGreaterThan(6.5);
    // The pause video.js makes on mousedown is reported where media was, not at the destination.
    expect(ext(sent.find((s) => verbName(s) === 'paused'), VideoExt.time)).toBeLessThan(3);
    expect(sent.map(verbName)).not.toContain('completed');
    expect(await player(page, ({ root }) => root.querySelector('.status .done'))).toBeNull();
    await context.close();
  });
});

const ids = (statements: any[]) => statements.map((s) => s.id).sort();
