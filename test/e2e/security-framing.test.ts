import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Frame, Page } from 'playwright-core';
import type { PlatformSimulator } from '@xcredit/lti-platform-sim';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium } from '../support/browser.js';
import { connectSimulator } from '../support/lti.js';

/**
 * XCREDIT_FRAME_ANCESTORS: an LMS on an allowed origin frames the LTI launch and the player; a
 * site not listed frames neither; nobody frames /admin, the allowed LMS included.
 */
describe('who may frame the pages, in real Chromium', () => {
  let server: TestServer;
  let lms: PlatformSimulator;
  let stranger: { server: Server; url: string };
  let browser: Browser;
  let page: Page;

  /** The frame showing `url` once it has loaded, and whether Chromium refused to show it there. */
  async function framed(host: string): Promise<{ frame: Frame; refused: boolean }> {
    const refusals: string[] = [];
    page.on('console', (m) => /frame-ancestors/.test(m.text()) && refusals.push(m.text()));
    await page.goto(host);
    const frame = page.frames().find((f) => f !== page.mainFrame())!;
    await frame.waitForLoadState('load');
    const refused = frame.url().startsWith('chrome-error:') || refusals.length > 0;
    page.removeAllListeners('console');
    return { frame, refused };
  }

  beforeAll(async () => {
    stranger = await new Promise((resolve) => {
      const s = createServer((req, res) => {
        const src = new URL(req.url!, 'http://x').searchParams.get('src') ?? '';
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>other site</title><iframe src="${src.replace(/"/g, '&quot;')}"></iframe>`);
      });
      s.listen(0, '127.0.0.1', () => resolve({ server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` }));
    });
    // The LMS runs on localhost (any port); the stranger on 127.0.0.1, another site.
    server = await startTestServer({ engine: 'pglite', env: { XCREDIT_FRAME_ANCESTORS: "'self' http://localhost:*" } });
    lms = await connectSimulator(server, { publicHost: 'localhost' });
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await lms?.close();
    await server?.close();
    await new Promise((r) => stranger?.server.close(r));
  });

  it('runs an LTI launch and its player inside the allowed LMS page', async () => {
    await page.goto(lms.embedUrl({ claims: lms.studentClaims('learner-frame'), targetLinkUri: `${server.url}/lti?course=lti-safety` }));
    const find = () => page.frames().find((f) => f.url().startsWith(`${server.url}/play`));
    await expect.poll(() => Boolean(find()), { timeout: 30_000 }).toBe(true);
    const frame = find()!;
    await frame.waitForFunction(() => (document.querySelector('xcredit-player') as any)?.ready === true, undefined, { timeout: 30_000 });
  });

  it('lets a site that is not listed frame neither the player nor the LTI pages', async () => {
    for (const path of ['/play#token=x', '/lti?course=lti-safety']) {
      const { refused } = await framed(`${stranger.url}/?src=${encodeURIComponent(`${server.url}${path}`)}`);
      expect(refused, path).toBe(true);
    }
  });

  it('lets nobody frame /admin, not even the allowed LMS', async () => {
    for (const host of [`${lms.endpoints.openidConfiguration.replace(/\/\.well-known.*$/, '')}/embed?launch=${encodeURIComponent(`${server.url}/admin`)}`, `${stranger.url}/?src=${encodeURIComponent(`${server.url}/admin`)}`]) {
      const { frame, refused } = await framed(host);
      expect(refused, host).toBe(true);
      expect(await frame.$('#sign-in').catch(() => null), host).toBeNull();
    }
    // The allowed LMS frames the player page itself (its own check, beside the launch above).
    const { refused } = await framed(`${lms.endpoints.openidConfiguration.replace(/\/\.well-known.*$/, '')}/embed?launch=${encodeURIComponent(`${server.url}/play#token=x`)}`);
    expect(refused).toBe(false);
  });
});
