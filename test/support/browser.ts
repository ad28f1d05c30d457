import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestServer } from '@xcredit/lrs-server/testing';

/** Debian's Chromium, headless, with the flags a closed network and autoplay need. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * Signs in to /admin on `page` as the server's admin client and waits for `ready` (the overview
 * unless told another selector) to be on the page.
 *
 * @example
 * page = await (await browser.newContext({ locale: 'en-US' })).newPage();
 * await signInToAdmin(page, server, 'xa-overview #at-risk');
 */
export async function signInToAdmin(page: Page, server: Pick<TestServer, 'url' | 'admin'>, ready = 'xa-overview'): Promise<void> {
  await page.goto(`${server.url}/admin`);
  await page.fill('#key', server.admin.key);
  await page.fill('#secret', server.admin.secret);
  await page.click('button[type=submit]');
  await page.locator(ready).waitFor();
}
