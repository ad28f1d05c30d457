import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, Request, Route } from 'playwright-core';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium } from '../support/browser.js';
import { browserEngines, postgresUrl } from '../support/engines.js';

type Json = Record<string, any>;
const year = String(new Date().getUTCFullYear());

/**
 * The attack of issue 12, item 1: a learner's launch token stores an HTML State document whose
 * script steals the dashboard's CSRF token and creates an award; a page on another site submits
 * the 1.0.3 alternate-syntax form that reads it back, while an administrator is signed in to
 * /admin in the same browser. Each layer of the defence is shown on its own by taking away the
 * ones in front of it.
 */
describe.each(browserEngines())('stored content stays inert in real Chromium on %s', (engine) => {
  let server: TestServer;
  let attacker: { server: Server; url: string };
  let browser: Browser;
  let context: BrowserContext;
  let admin: Page;
  let launch: Json;
  const api = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const awardsOf = async (learnerId: string) => (await api('GET', `/awards?learnerId=${learnerId}`)).awards as Json[];

  /** The learner's document: it notes each step in its title, takes the dashboard's CSRF token every way a page could, and awards 99 credits. */
  const payload = () => `<!doctype html><html><head><title>stored</title></head><body><h1 id="stored">stored document</h1><script>
(async () => {
  const tell = (what) => (document.title = what);
  tell('ran');
  const csrfIn = (html) => (/name="csrf-token" content="([^"]+)"/.exec(html || '') || [])[1];
  let csrf;
  try { csrf = csrfIn(await (await fetch('/admin', { credentials: 'include' })).text()); } catch {}
  if (!csrf) {
    const frame = document.createElement('iframe');
    frame.src = '/admin';
    document.body.append(frame);
    await new Promise((r) => { frame.onload = r; frame.onerror = r; });
    try { csrf = csrfIn(frame.contentDocument.documentElement.outerHTML); } catch {}
  }
  if (!csrf) {
    const w = window.open('/admin');
    await new Promise((r) => setTimeout(r, 500));
    try { csrf = csrfIn(w.document.documentElement.outerHTML); } catch {}
  }
  tell(csrf ? 'csrf' : 'no-csrf');
  const res = await fetch('/admin/api/awards', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf || '' }, body: JSON.stringify({ learnerId: 'lea', source: 'growth', title: 'pwned', credits: 99, period: '${year}' }) });
  tell('award-' + res.status);
})();
</script></body></html>`;

  /** The attacker's page: a form that submits itself to the alternate syntax with the learner's token in a field. */
  const attackPage = () => {
    const fields = {
      Authorization: `Bearer ${launch.launchToken}`,
      'X-Experience-API-Version': '1.0.3',
      activityId: launch.activityId,
      agent: JSON.stringify(launch.actor),
      stateId: 'evil',
    };
    const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">`).join('');
    return `<!doctype html><title>cute cats</title><form id="f" method="post" action="${server.url}/xapi/activities/state?method=GET">${inputs}</form><script>document.getElementById('f').submit()</script>`;
  };

  /** Submits the attack from the attacker's site in a new tab of the admin's browser; returns the tab once the answer is loaded (or downloaded). */
  async function attack(intercept?: (route: Route) => Promise<void>, { download = false } = {}): Promise<Page> {
    const page = await context.newPage();
    if (intercept) await page.route(`${server.url}/xapi/**`, intercept);
    const downloaded = download ? page.waitForEvent('download') : undefined;
    await page.goto(`${attacker.url}/`, { waitUntil: 'commit' });
    if (downloaded) await downloaded;
    else await page.waitForURL(`${server.url}/xapi/**`);
    return page;
  }

  /** The request as a browser without Fetch Metadata (older Safari) would send it: no Sec-Fetch-* headers. */
  const withoutFetchMetadata = (request: Request) =>
    Object.fromEntries(Object.entries(request.headers()).filter(([k]) => !k.startsWith('sec-fetch-')));

  beforeAll(async () => {
    const s = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(attackPage()));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    // Another site: the server is http://localhost:<port>, the attacker http://127.0.0.1:<port>.
    attacker = { server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
    server = await startTestServer({ engine, postgresUrl: postgresUrl() });
    await api('PUT', '/courses/c1', { title: 'Course', activityId: 'https://example.com/courses/c1', credits: 2, kind: 'elective', lengthSeconds: 60 });
    launch = await api('POST', '/launches', { learnerId: 'lea', courseId: 'c1' });
    const q = new URLSearchParams({ activityId: launch.activityId, agent: JSON.stringify(launch.actor), stateId: 'evil' });
    const put = await fetch(`${server.url}/xapi/activities/state?${q}`, { method: 'PUT', headers: { authorization: `Bearer ${launch.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'text/html' }, body: payload() });
    expect(put.status).toBe(204);

    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true });
    admin = await context.newPage();
    await admin.goto(`${server.url}/admin`);
    await admin.fill('#key', server.admin.key);
    await admin.fill('#secret', server.admin.secret);
    await Promise.all([admin.waitForURL(`${server.url}/admin`), admin.click('button[type=submit]')]);
    await admin.waitForSelector('meta[name="csrf-token"]', { state: 'attached' });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((r) => attacker?.server.close(r));
  });

  it('refuses the cross-site form outright: a browser navigation never reaches /xapi', async () => {
    const page = await attack();
    expect(await page.textContent('body')).toMatch(/navigation or form submission cannot call this API/);
    expect(await page.title()).not.toMatch(/ran|csrf|award/);
    expect(await awardsOf('lea')).toEqual([]);
    await page.close();
  });

  it('without Fetch Metadata, the document downloads instead of opening as a page of ours', async () => {
    const page = await attack(async (route) => route.fulfill({ response: await route.fetch({ headers: withoutFetchMetadata(route.request()) }) }), { download: true });
    expect(page.url()).toBe(`${attacker.url}/`);
    expect(await page.title()).toBe('cute cats');
    expect(await awardsOf('lea')).toEqual([]);
    await page.close();
  });

  it('shown as a page anyway, the document runs no script: the CSP sandbox', async () => {
    const page = await attack(async (route) => {
      const response = await route.fetch({ headers: withoutFetchMetadata(route.request()) });
      const headers = Object.fromEntries(Object.entries(response.headers()).filter(([k]) => k !== 'content-disposition'));
      await route.fulfill({ response, headers });
    });
    // The page has loaded: an inline script allowed to run would have renamed it before.
    expect(await page.textContent('#stored')).toBe('stored document');
    expect(await page.title()).toBe('stored');
    expect(await awardsOf('lea')).toEqual([]);
    await page.close();
  });

  it('with none of those headers the script runs, and the dashboard still keeps its CSRF token from it and refuses the award', async () => {
    // The attack as it worked before: this proves the pages above would have shown it if their script ran.
    const page = await attack(async (route) => {
      const response = await route.fetch({ headers: withoutFetchMetadata(route.request()) });
      const headers = Object.fromEntries(Object.entries(response.headers()).filter(([k]) => !['content-disposition', 'content-security-policy'].includes(k)));
      await route.fulfill({ response, headers });
    });
    await page.waitForFunction(() => document.title.startsWith('award-'), undefined, { timeout: 30_000 });
    // fetch('/admin') is refused (not a page navigation), a frame is refused (frame-ancestors), and a
    // window it opens is in another browsing context group (Cross-Origin-Opener-Policy): no token.
    // Without the token (403) the award is refused.
    expect(await page.title()).toBe('award-403');
    expect(await awardsOf('lea')).toEqual([]);
    await page.close();
  });

  it('leaves the administrator signed in and the dashboard working', async () => {
    await admin.reload();
    await admin.waitForSelector('meta[name="csrf-token"]', { state: 'attached' });
    const status = await admin.evaluate(async () => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
      const res = await fetch('/admin/api/awards', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ learnerId: 'lea', source: 'growth', title: 'Mentoring', credits: 1, period: String(new Date().getUTCFullYear()) }) });
      return res.status;
    });
    expect(status).toBe(201);
    expect((await awardsOf('lea')).map((a) => a.title)).toEqual(['Mentoring']);
  });
});
