import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { courseWithLaunch, recordingPage, startWorld, waitReady, type PlayerWorld } from './player-harness.js';
import { browserEngines } from '../support/engines.js';


/** What an injected returnURL would do if the player followed it. */
const PAYLOAD = "javascript:window.__pwned=1;document.title='pwned';void 0";

/**
 * A stranger's LRS on another port: it answers as a cmi5 LMS would (an auth-token, a launch,
 * LMS.LaunchData with a `javascript:` returnURL) and records every request and its Authorization.
 */
interface Recorder {
  url: string;
  requests: { method: string; url: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

async function startRecorder(): Promise<Recorder> {
  const requests: Recorder['requests'] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': '*', 'Content-Type': 'application/json' };
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const body = path.includes('/cmi5/fetch/')
      ? { 'auth-token': Buffer.from('launch:stolen').toString('base64') }
      : path.endsWith('/activities/state')
        ? { contextTemplate: {}, launchMode: 'Normal', returnURL: PAYLOAD }
        : {};
    res.writeHead(200, cors).end(JSON.stringify(body));
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return { url: `http://localhost:${port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe.each(browserEngines())('injected script and stolen tokens through a cmi5 launch URL, in real Chromium on %s', (engine) => {
  let world: PlayerWorld;
  let recorder: Recorder;

  beforeAll(async () => {
    world = await startWorld(engine, inject('postgresUrl') ?? undefined);
    recorder = await startRecorder();
  });
  afterAll(async () => {
    await recorder?.close();
    await world?.close();
  });

  const cmi5Launch = async (returnURL?: string) => {
    const { courseId, learnerId } = await courseWithLaunch(world, { seconds: 4 });
    const res = await fetch(`${world.server.url}/cmi5/launches`, {
      method: 'POST',
      headers: { Authorization: world.server.admin.authorization, 'Content-Type': 'application/json' },
      body: JSON.stringify({ learnerId, courseId, ...(returnURL ? { returnURL } : {}) }),
    });
    return res;
  };
  const launchUrlOf = async (returnURL?: string) => {
    const res = await cmi5Launch(returnURL);
    expect(res.status).toBe(201);
    const launch = (await res.json()) as { launchUrl: string; registration: string };
    return { ...launch, url: new URL(launch.launchUrl) };
  };
  const withParam = (url: URL, name: string, value: string) => {
    const out = new URL(url);
    out.searchParams.set(name, value);
    return out.href;
  };
  /** Whether the fetch URL is still unused: proves nobody (the player included) called it. */
  const stillUnused = async (fetchUrl: string) => (await fetch(fetchUrl, { method: 'POST' })).status === 200;
  const pwned = (page: Page) => page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? null);
  const blockerText = (page: Page) =>
    page.waitForFunction(() => (document.querySelector('xcredit-player') as any)?.shadowRoot?.querySelector('.blocker.error')?.textContent?.trim() || null, undefined, { timeout: 20_000 }).then((h) => h.jsonValue() as Promise<string>);

  async function openPage(url: string) {
    const context = await world.browser.newContext();
    const page = await recordingPage(context);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const response = await page.goto(url);
    return { context, page, dialogs, status: response?.status() ?? 0, text: () => page.evaluate(() => document.body.innerText) };
  }

  it('refuses a launch whose returnURL is javascript:', async () => {
    const res = await cmi5Launch(PAYLOAD);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/returnURL: must be an http\(s\) URL/);
  });

  it('shows a javascript: returnURL in stored LMS.LaunchData as an error, and never runs it', async () => {
    const launch = await launchUrlOf('https://lms.example/back');
    // Stored before this check existed, or by anything else: the player must not trust it.
    await world.server.store.db
      .updateTable('xapi_documents')
      .set({ content: Buffer.from(JSON.stringify({ contextTemplate: {}, launchMode: 'Normal', returnURL: PAYLOAD })) })
      .where('document_id', '=', 'LMS.LaunchData')
      .where('registration', '=', launch.registration)
      .execute();
    const { context, page, dialogs } = await openPage(launch.launchUrl);
    expect(await blockerText(page)).toMatch(/another site/);
    const errors = (await page.evaluate(() => (window as any).__errors)) as { code: string; message: string }[];
    expect(errors.map((e) => e.code)).toContain('untrusted');
    expect(errors.find((e) => e.code === 'untrusted')!.message).toMatch(/returnURL must be an http\(s\) URL/);
    expect(await page.evaluate(() => !!(document.querySelector('xcredit-player') as any).shadowRoot.querySelector('button.exit'))).toBe(false);
    await page.evaluate(() => (document.querySelector('xcredit-player') as any).exit());
    expect(await pwned(page)).toBeNull();
    expect(await page.title()).not.toBe('pwned');
    expect(dialogs).toEqual([]);
    await context.close();
  });

  it('an http(s) returnURL still brings the learner back to the LMS', async () => {
    const back = world.media.file('lms-back.html', '<!doctype html><title>LMS</title><p>Back in the LMS</p>');
    const launch = await launchUrlOf(back);
    const { context, page } = await openPage(launch.launchUrl);
    await waitReady(page);
    await page.evaluate(() => ((document.querySelector('xcredit-player') as any).shadowRoot.querySelector('button.exit') as HTMLButtonElement).click());
    await page.waitForURL(back);
    await context.close();
  });

  it.each([
    ['an endpoint on another origin', 'endpoint', (r: Recorder) => `${r.url}/xapi/`],
    ['a fetch URL on another origin', 'fetch', (r: Recorder) => `${r.url}/cmi5/fetch/default/abcdefghijklmnopqrstuvwx`],
  ] as const)('refuses the AU page with %s: the stranger receives nothing', async (_name, param, value) => {
    const launch = await launchUrlOf('https://lms.example/back');
    const fetchUrl = launch.url.searchParams.get('fetch')!;
    const before = recorder.requests.length;
    const { context, page, dialogs, status, text } = await openPage(withParam(launch.url, param, value(recorder)));
    expect(status).toBe(400);
    expect(await text()).toMatch(new RegExp(`${param}: this AU`));
    expect(recorder.requests.slice(before)).toEqual([]);
    expect(await pwned(page)).toBeNull();
    expect(dialogs).toEqual([]);
    expect(await stillUnused(fetchUrl)).toBe(true);
    await context.close();
  });

  it.each([
    ['an endpoint on another origin', { endpoint: 'recorder', fetch: 'real' }],
    ['a fetch URL on another origin', { endpoint: 'real', fetch: 'recorder' }],
    ['both on the stranger’s LRS', { endpoint: 'recorder', fetch: 'recorder' }],
  ] as const)('the player itself refuses %s on a page the LRS did not serve, before sending anything', async (_name, pick) => {
    // A page that is not the LRS's AU page (a vendor hosting the bundle): only the player's own check stands.
    const launch = await launchUrlOf('https://lms.example/back');
    const real = { endpoint: launch.url.searchParams.get('endpoint')!, fetch: launch.url.searchParams.get('fetch')! };
    const stranger = { endpoint: `${recorder.url}/xapi/`, fetch: `${recorder.url}/cmi5/fetch/default/abcdefghijklmnopqrstuvwx` };
    const vendor = world.media.file(
      'vendor-au.html',
      '<!doctype html><meta charset="utf-8"><title>vendor</title><link rel="icon" href="data:,"><script type="module" src="/dist/xcredit-player.js"></script><xcredit-player></xcredit-player>',
    );
    const page = new URL(vendor);
    for (const [k, v] of launch.url.searchParams) page.searchParams.set(k, v);
    page.searchParams.set('endpoint', pick.endpoint === 'real' ? real.endpoint : stranger.endpoint);
    page.searchParams.set('fetch', pick.fetch === 'real' ? real.fetch : stranger.fetch);
    const before = recorder.requests.length;
    const opened = await openPage(page.href);
    expect(await blockerText(opened.page)).toMatch(/another site/);
    const errors = (await opened.page.evaluate(() => (window as any).__errors)) as { code: string; message: string }[];
    expect(errors.map((e) => e.code)).toEqual(['untrusted']);
    expect(recorder.requests.slice(before)).toEqual([]);
    expect(await pwned(opened.page)).toBeNull();
    expect(opened.dialogs).toEqual([]);
    expect(await stillUnused(real.fetch)).toBe(true);
    await opened.context.close();
  });
});
