import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startPlatformSimulator, type PlatformSimulator } from '@xcredit/lti-platform-sim';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium, signInToAdmin } from '../support/browser.js';
import { api, DEMO_COURSE } from '../support/lti.js';
import { browserEngines } from '../support/engines.js';

// XCREDIT_DOCS_SCREENSHOTS=1 refreshes the pictures in docs/images; otherwise they go to test-results.
const shots = process.env.XCREDIT_DOCS_SCREENSHOTS === '1' ? 'docs/images' : 'test-results/dashboard';

describe.each(browserEngines())('the admin dashboard’s LMS page in real Chromium on %s', (engine) => {
  let server: TestServer;
  let sim: PlatformSimulator;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => (engine === 'pglite' ? page.screenshot({ path: `${shots}/dashboard-${name}.png` }) : Promise.resolve());
  const lti = (selector: string) => page.locator(`xa-lti ${selector}`);
  const platformId = async () => ((await api(server, 'GET', '/lti/platforms')).body.platforms as Array<{ id: string; issuer: string }>).find((p) => p.issuer === sim.url)!.id;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    expect((await api(server, 'PUT', '/courses/lti-safety', DEMO_COURSE)).status).toBe(201);
    sim = await startPlatformSimulator();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1200, height: 860 }, locale: 'en-US' })).newPage();
    await signInToAdmin(page, server);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await sim?.close();
    await server?.close();
  });

  it('makes a registration link, shown once, that an LMS registers with; the platform waits for approval', async () => {
    await page.goto(`${server.url}/admin#/lti`);
    await expect.poll(() => lti('#tool-urls').textContent()).toContain(`${server.url}/lti/login`);
    expect(await lti('#platforms').textContent()).toContain('No LMS is registered yet');
    await lti('#new-link').click();
    const url = await lti('#new-link-url input').inputValue();
    expect(url).toMatch(new RegExp(`^${server.url}/lti/register/[A-Za-z0-9_-]{43}$`));
    await expect.poll(() => lti('#registration-links tbody tr td:nth-child(2)').first().textContent()).toBe('open');

    // The LMS admin's side: Dynamic Registration in the LMS's dialog, which now says what happens next.
    const lms = await browser.newPage();
    await lms.goto(`${url}?openid_configuration=${encodeURIComponent(sim.endpoints.openidConfiguration)}&registration_token=registration-token`);
    expect(await lms.textContent('#done')).toContain('approval pending');
    expect(await lms.getAttribute('#approve', 'href')).toBe(`${server.url}/admin#/lti`);
    if (engine === 'pglite') await lms.screenshot({ path: `${shots}/lti-registered.png` });
    // The Close button asks the LMS to close its dialog (opened on its own, the page is its own parent).
    await lms.evaluate(() => {
      (window as any).closeAsked = [];
      addEventListener('message', (e) => (window as any).closeAsked.push(e.data));
    });
    expect(await lms.evaluate(() => (window as any).closeAsked)).toEqual([]);
    await lms.click('#close');
    await expect.poll(() => lms.evaluate(() => (window as any).closeAsked)).toEqual([{ subject: 'org.imsglobal.lti.close' }]);
    await lms.close();

    await page.reload();
    const row = lti(`[data-platform="${await platformId()}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('pending');
    expect(await row.locator('[data-status-label]').textContent()).toBe('awaiting approval');
    expect(await row.locator('[data-preview]').textContent()).toContain('No launch yet');
    expect(await lti('#registration-links tbody tr td:nth-child(2)').first().textContent()).toBe('used');
  });

  it('previews the learner id of the last (refused) launcher for each rule, and approves with the rule chosen', async () => {
    const id = await platformId();
    const claims = sim.studentClaims('4', { email: 'ann.lee@example.edu', name: 'Ann Lee' });
    expect((await sim.launch({ claims, targetLinkUri: `${server.url}/lti?course=lti-safety` })).status).toBe(403);
    await page.reload();
    const row = lti(`[data-platform="${id}"]`);
    await row.waitFor();
    expect(await row.locator('[data-preview]').textContent()).toMatch(/Ann Lee.*becomes learner\s*4/s);
    await row.locator(`[data-claim="${id}"]`).selectOption('lis.person_sourcedid');
    expect(await row.locator('[data-preview]').textContent()).toContain('the launch carries no lis.person_sourcedid');
    await row.locator(`[data-claim="${id}"]`).selectOption('email');
    expect(await row.locator('[data-preview]').textContent()).toMatch(/becomes learner\s*ann\.lee@example\.edu/);
    await shot('lti');

    // No deployment id: the server's message appears in the row, and the platform stays pending.
    await row.locator(`[data-deployments="${id}"]`).fill('');
    await row.locator(`[data-approve="${id}"]`).click();
    await expect.poll(() => row.locator(`[data-error-for="${id}"]`).textContent()).toContain('deploymentIds');
    expect((await api(server, 'GET', `/lti/platforms/${id}`)).body.status).toBe('pending');

    await row.locator(`[data-deployments="${id}"]`).fill(sim.deploymentId);
    await row.locator(`[data-approve="${id}"]`).click();
    await expect.poll(async () => (await api(server, 'GET', `/lti/platforms/${id}`)).body).toMatchObject({ status: 'active', learnerIdClaim: 'email', deploymentIds: [sim.deploymentId] });
    await expect.poll(() => row.getAttribute('data-status')).toBe('active');
    // The next launch produces what the preview said.
    const launched = await sim.launch({ claims, targetLinkUri: `${server.url}/lti?course=lti-safety` });
    expect(launched.status, launched.html).toBe(303);
    const token = new URLSearchParams(new URL(launched.location!).hash.slice(1)).get('token')!;
    expect((await (await fetch(`${server.url}/api/v1/launches/current`, { headers: { Authorization: `Bearer ${token}` } })).json()).learnerId).toBe('ann.lee@example.edu');
  });

  it('revokes an open registration link, and rejects a pending platform, whose launches are then refused as unregistered', async () => {
    await lti('#new-link').click();
    const url = await lti('#new-link-url input').inputValue();
    const open = lti('#registration-links tbody tr').filter({ hasText: 'open' });
    await open.locator('[data-revoke]').click();
    await expect.poll(() => lti('#registration-links tbody tr').filter({ hasText: 'revoked' }).count()).toBe(1);
    expect((await fetch(`${url}?openid_configuration=${encodeURIComponent(sim.endpoints.openidConfiguration)}`)).status).toBe(404);

    // A second LMS registers and is rejected.
    const other = await startPlatformSimulator();
    try {
      const link = (await api(server, 'POST', '/lti/registration-links', {})).body.url as string;
      expect((await fetch(`${link}?openid_configuration=${encodeURIComponent(other.endpoints.openidConfiguration)}&registration_token=registration-token`)).status).toBe(200);
      const id = ((await api(server, 'GET', '/lti/platforms')).body.platforms as Array<{ id: string; issuer: string }>).find((p) => p.issuer === other.url)!.id;
      await page.reload();
      await lti(`[data-remove="${id}"]`).click();
      await expect.poll(() => lti(`[data-platform="${id}"]`).count()).toBe(0);
      expect((await api(server, 'GET', `/lti/platforms/${id}`)).status).toBe(404);
      const refused = await other.launch({ claims: other.studentClaims('5'), targetLinkUri: `${server.url}/lti?course=lti-safety` });
      expect(refused.status).toBe(400);
      expect(refused.html).toContain('unknown_platform');
    } finally {
      await other.close();
    }
  });
});
