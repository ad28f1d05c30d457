import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { PlatformSimulator } from '@xcredit/lti-platform-sim';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium } from '../support/browser.js';
import { api, connectSimulator, DEMO_COURSE } from '../support/lti.js';

// XCREDIT_DOCS_SCREENSHOTS=1 refreshes the pictures in docs/images; otherwise they go to test-results.
const shots = process.env.XCREDIT_DOCS_SCREENSHOTS === '1' ? 'docs/images' : 'test-results/phone';
const embedServer = fileURLToPath(new URL('../../examples/embed/server.mjs', import.meta.url));

/** A phone as Chromium emulates it: 390×844 CSS pixels, touch, mobile viewport rules. */
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-US' } as const;

const question = {
  id: 'exit',
  at: 2,
  type: 'multiple-choice',
  prompt: { en: 'A fire alarm sounds. Which way do you leave the building?' },
  choices: [
    { id: 'stairs', text: { en: 'By the nearest marked stairs' } },
    { id: 'lift', text: { en: 'By the lift, it is faster' } },
    { id: 'stay', text: { en: 'I wait at my desk for instructions' } },
  ],
  correct: ['stairs'],
  answerToContinue: true,
};

/** Layout facts a phone user would notice: sideways scrolling, and controls cut off or pushed off the screen. */
async function layout(page: Page) {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const player = document.querySelector('xcredit-player') as any;
    const root: ShadowRoot | null = player?.shadowRoot ?? null;
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
    };
    const box = (el: Element | null | undefined) => {
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height };
    };
    const controls = root ? Array.from(root.querySelectorAll('.vjs-control-bar > *')).filter(visible) : [];
    return {
      width,
      scrollWidth: document.documentElement.scrollWidth,
      bodyScrollWidth: document.body.scrollWidth,
      player: box(player),
      stage: box(root?.querySelector('.stage')),
      status: box(root?.querySelector('[part=status]')),
      controlBar: box(root?.querySelector('.vjs-control-bar')),
      controls: controls.map((c) => ({ name: c.className.split(' ').find((n: string) => n.startsWith('vjs-') && n !== 'vjs-control') ?? c.className, ...box(c)! })),
    };
  });
}

/** No sideways scrolling; the player, its status line and every visible control inside the screen's width. */
function expectFits(l: Awaited<ReturnType<typeof layout>>, what: string, { playing = true } = {}) {
  expect(l.width, what).toBe(390);
  expect(l.scrollWidth, `${what}: the page scrolls sideways`).toBeLessThanOrEqual(l.width);
  expect(l.bodyScrollWidth, `${what}: the body is wider than the screen`).toBeLessThanOrEqual(l.width);
  if (!l.player) return;
  // video.js shows its control bar once playback has started.
  type Box = (typeof l)['player'];
  const parts: [string, Box][] = [['player', l.player], ['stage', l.stage], ['status', l.status], ...(playing ? [['control bar', l.controlBar] as [string, Box]] : [])];
  for (const [name, b] of parts) {
    expect(b, `${what}: ${name}`).not.toBeNull();
    expect(b!.left, `${what}: ${name} starts off the screen`).toBeGreaterThanOrEqual(-0.5);
    expect(b!.right, `${what}: ${name} ends off the screen`).toBeLessThanOrEqual(l.width + 0.5);
  }
  if (!playing) return;
  expect(l.controls.length, `${what}: no controls shown`).toBeGreaterThanOrEqual(3);
  for (const c of l.controls) {
    expect(c.left, `${what}: control ${c.name}`).toBeGreaterThanOrEqual(l.controlBar!.left - 0.5);
    expect(c.right, `${what}: control ${c.name} overflows the control bar`).toBeLessThanOrEqual(l.controlBar!.right + 0.5);
  }
}

const waitReady = (page: Page) => page.waitForFunction(() => (document.querySelector('xcredit-player') as any)?.ready === true, undefined, { timeout: 60_000 });
const mediaTime = (page: Page) => page.evaluate(() => ((document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video') as HTMLVideoElement).currentTime);

/** Taps the big play button (the controls show on a tap), and waits until the video plays. */
async function tapPlay(page: Page) {
  await page.tap('xcredit-player .vjs-big-play-button');
  await expect.poll(() => mediaTime(page), { timeout: 30_000 }).toBeGreaterThan(0.3);
}

describe('learner-facing pages on a phone (390×844, touch) in real Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let sim: PlatformSimulator;
  const contexts: BrowserContext[] = [];
  const phone = async () => {
    const context = await browser.newContext(PHONE);
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    return { page, errors };
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: `${shots}/phone-${name}.png` });

  // Layout does not depend on the database engine: PGlite only.
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    server = await startTestServer({ engine: 'pglite', demo: true });
    sim = await connectSimulator(server);
    expect((await api(server, 'PUT', '/courses/fire-exits', { ...DEMO_COURSE, title: 'Fire exits', activityId: 'https://xcredit.dev/test/courses/fire-exits', questions: [question], policy: { idleSeconds: 0 } })).status).toBe(201);
    browser = await launchChromium();
  }, 300_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await sim?.close();
    await server?.close();
  });

  it('/demo: the player, its controls and the credits card fit; a tap plays', async () => {
    const { page, errors } = await phone();
    await page.goto(`${server.url}/demo`);
    await waitReady(page);
    expectFits(await layout(page), '/demo before playing', { playing: false });
    await tapPlay(page);
    expectFits(await layout(page), '/demo playing');
    const aside = await page.locator('aside').boundingBox();
    expect(aside!.x).toBeGreaterThanOrEqual(0);
    expect(aside!.x + aside!.width).toBeLessThanOrEqual(390);
    await expect.poll(() => page.evaluate(() => Number(document.body.dataset.coverage ?? 0)), { timeout: 30_000 }).toBeGreaterThan(0);
    await shot(page, 'demo');
    expect(errors).toEqual([]);
  });

  it('/play: a tap plays, the question takes the screen, a choice is tapped, answered and closed', async () => {
    const launch = (await api(server, 'POST', '/launches', { learnerId: 'phone-1', courseId: 'fire-exits' })).body;
    const { page, errors } = await phone();
    await page.goto(launch.playerUrl);
    await waitReady(page);
    expectFits(await layout(page), '/play', { playing: false });
    await tapPlay(page);
    expectFits(await layout(page), '/play playing');
    const panel = page.locator('xcredit-player form.question');
    await panel.waitFor({ timeout: 30_000 });
    const box = await panel.boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    expect(box!.y + box!.height).toBeLessThanOrEqual(844);
    const choices = page.locator('xcredit-player .choice');
    expect(await choices.count()).toBe(3);
    for (const c of await choices.all()) {
      const b = (await c.boundingBox())!;
      // Finger-sized: at least 44 CSS pixels tall, inside the screen.
      expect(b.height).toBeGreaterThanOrEqual(43.5);
      expect(b.x + b.width).toBeLessThanOrEqual(390);
    }
    await shot(page, 'question');
    await choices.first().tap();
    expect(await page.locator('xcredit-player .choice input').first().isChecked()).toBe(true);
    await page.tap('xcredit-player form.question button[type=submit]');
    await expect.poll(() => page.locator('xcredit-player .feedback').textContent(), { timeout: 30_000 }).toMatch(/right|correct/i);
    await page.tap('xcredit-player form.question button.primary');
    await panel.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(errors).toEqual([]);
  });

  it('/cmi5/au: the AU page fits and a tap plays', async () => {
    const res = await fetch(`${server.url}/cmi5/launches`, {
      method: 'POST',
      headers: { Authorization: server.admin.authorization, 'Content-Type': 'application/json' },
      body: JSON.stringify({ learnerId: 'phone-2', courseId: 'fire-exits', returnURL: `${server.url}/xapi/about` }),
    });
    expect(res.status).toBe(201);
    const { page, errors } = await phone();
    await page.goto(((await res.json()) as { launchUrl: string }).launchUrl);
    await waitReady(page);
    expectFits(await layout(page), '/cmi5/au', { playing: false });
    await tapPlay(page);
    expectFits(await layout(page), '/cmi5/au playing');
    // The cmi5 exit button is on the status line, inside the screen.
    const exit = (await page.locator('xcredit-player .exit').boundingBox())!;
    expect(exit.x + exit.width).toBeLessThanOrEqual(390);
    await shot(page, 'cmi5');
    expect(errors).toEqual([]);
  });

  it('an LTI launch: the launch page fits and a tap plays; an LTI error page fits too', async () => {
    const target = `${server.url}/lti?course=lti-safety`;
    const result = await sim.launch({ claims: sim.studentClaims('phone-3'), targetLinkUri: target });
    expect(result.status).toBe(303);
    const { page, errors } = await phone();
    await page.goto(result.location!);
    await waitReady(page);
    expectFits(await layout(page), 'LTI launch', { playing: false });
    await tapPlay(page);
    expectFits(await layout(page), 'LTI launch playing');
    await shot(page, 'lti');
    const refused = await sim.launch({ claims: sim.studentClaims('phone-3'), targetLinkUri: target, forgeSignature: true });
    expect(refused.status).toBe(401);
    await page.setContent(refused.html);
    expectFits(await layout(page), 'LTI error page', { playing: false });
    expect(await page.locator('[role=alert]').isVisible()).toBe(true);
    expect(errors).toEqual([]);
  });

  describe('examples/embed', () => {
    let child: ChildProcess;
    let url: string;

    beforeAll(async () => {
      child = spawn(process.execPath, [embedServer], {
        env: { ...process.env, PORT: '0', XCREDIT_URL: server.url, XCREDIT_ADMIN_KEY: server.admin.key, XCREDIT_ADMIN_SECRET: server.admin.secret },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d) => {
          out += d;
          const m = /vendor page on (http:\/\/localhost:\d+)\//.exec(out);
          if (m) resolve(m[1]!);
        });
        child.stderr!.on('data', (d) => (out += d));
        child.on('exit', (code) => reject(new Error(`examples/embed exited with ${code}: ${out}`)));
      });
    }, 120_000);
    afterAll(() => {
      child?.kill();
    });

    it('fits a phone, a tap plays, and reloads, later visits and favicon requests reuse one launch', async () => {
      const { page, errors } = await phone();
      await page.goto(`${url}/?learner=E-1001`);
      await waitReady(page);
      expectFits(await layout(page), 'examples/embed', { playing: false });
      await tapPlay(page);
      expectFits(await layout(page), 'examples/embed playing');
      await expect.poll(() => page.locator('#log').textContent(), { timeout: 30_000 }).toMatch(/^[1-9]\d*% verified · [\d.]+ of 1 credit$/);
      await shot(page, 'embed');
      await page.reload();
      await page.goto(`${url}/favicon.ico`).catch(() => undefined); // 204: no page to show
      await page.goto(`${url}/?learner=E-1001`);
      await waitReady(page);
      const launches = await server.store.db.selectFrom('launches').select('registration').where('course_id', '=', 'embed-demo').where('learner_id', '=', 'E-1001').execute();
      expect(launches).toHaveLength(1);
      // Only the course page starts launches.
      expect((await fetch(`${url}/favicon.ico`)).status).toBe(204);
      expect((await fetch(`${url}/anything-else`)).status).toBe(404);
      expect(await server.store.db.selectFrom('launches').select('registration').where('course_id', '=', 'embed-demo').execute()).toHaveLength(1);
      expect(errors).toEqual([]);
    });
  });
});
