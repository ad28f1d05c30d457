import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { RESUME_STATE_ID, VideoExt, type CourseInput } from '@xcredit/sdk';
import { browserEngines, postgresUrl } from '../support/engines.js';
import { courseWithLaunch, player, recordingPage, sentStatements, startWorld, storedStatements, waitMediaTime, waitReady, type PlayerWorld } from './player-harness.js';

/**
 * Issue 11 in a real browser: the player runs the session the server issued, sends heartbeats
 * as evidence (kept through an outage), and shows only what the server verified. Credits are
 * read from the server, never from the page.
 */

const statusText = (page: Page) => player(page, ({ root }) => (root.querySelector('[part=status]')?.textContent ?? '').replace(/\s+/g, ' ').trim());
const sessionOf = (s: any): string => s.context.extensions[VideoExt.sessionId];

/** The sessions the server issued to the page, and the heartbeats it delivered (answered by the server), in order. */
function watchCalls(page: Page) {
  const heartbeats: { sessionId: string; time: number; playing: boolean; sentAt: string }[] = [];
  const sessions: string[] = [];
  page.on('response', (r) => {
    if (r.request().method() !== 'POST') return;
    if (r.url().endsWith('/launches/current/heartbeat')) heartbeats.push(r.request().postDataJSON());
    if (r.url().endsWith('/launches/current/sessions') && r.status() === 201) void r.json().then((b) => sessions.push(b.sessionId));
  });
  return { heartbeats, sessions };
}

describe.each(browserEngines())('credits that cannot be forged, in real Chromium on %s', (engine) => {
  let world: PlayerWorld;

  beforeAll(async () => {
    world = await startWorld(engine, postgresUrl());
  });
  afterAll(async () => {
    await world?.close();
  });

  /** What the server says the learner earned on the course (the ledger), polled until `want` or the timeout. */
  async function earned(learnerId: string, courseId: string): Promise<{ earned: number; credits: number; coverage: number }> {
    const credits = await world.client.getLearnerCredits(learnerId);
    const course = credits.courses.find((c) => c.courseId === courseId);
    return { earned: course?.earned ?? 0, credits: course?.credits ?? 0, coverage: course?.coverage ?? 0 };
  }

  it('an honest 1x viewing with a pause earns exactly 100% of the credits, in the session the server issued, and the player says so', async () => {
    const { courseId, learnerId, launch } = await courseWithLaunch(world, { seconds: 8, policy: { idleSeconds: 0 }, extra: { credits: 2 } });
    const context = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page = await recordingPage(context);
    const calls = watchCalls(page);
    await page.goto(launch.playerUrl);
    await waitReady(page);
    expect(calls.sessions).toHaveLength(1);
    expect(await statusText(page)).toBe('0% watched · 0 of 2 credits earned');

    await player(page, ({ el }) => el.play());
    await waitMediaTime(page, 3);
    await player(page, ({ el }) => el.pause());
    await page.waitForTimeout(1000);
    await player(page, ({ el }) => el.play());
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').ended, undefined, { timeout: 30_000 });
    await player(page, ({ el }) => el.flush());

    // The server's numbers: all of the video, all of the credits.
    await expect.poll(() => earned(learnerId, courseId), { timeout: 20_000 }).toEqual({ earned: 2, credits: 2, coverage: 1 });
    // The player shows what the server verified: 100%, not 99% (a heartbeat answer at the latest 15 s later brings it).
    await expect.poll(() => statusText(page), { timeout: 40_000 }).toBe('100% watched · 2 of 2 credits earned Completed');
    expect(await player(page, ({ el }) => el.progress)).toBe(1);

    // Every statement names the session the server issued; heartbeats too, each with the time it was made.
    const sent = await sentStatements(page);
    expect(new Set(sent.map(sessionOf))).toEqual(new Set(calls.sessions));
    const stored = await storedStatements(world.server, launch.registration);
    expect(stored.map((s) => s.id).sort()).toEqual(sent.map((s) => s.id).sort());
    expect(calls.heartbeats.length).toBeGreaterThanOrEqual(2);
    for (const hb of calls.heartbeats) {
      expect(hb.sessionId).toBe(calls.sessions[0]);
      expect(Number.isNaN(Date.parse(hb.sentAt))).toBe(false);
    }
    expect(calls.heartbeats.some((hb) => hb.playing)).toBe(true);
    await context.close();
  });

  it('a network outage mid-viewing costs nothing: heartbeats made offline keep their time and arrive in order, and the viewing earns 100%', async () => {
    // Scaled down from "2 minutes offline against the default 180 s offlineGraceSeconds": the same
    // 2/3 of the grace, with the outage half as long again as evidenceSeconds (the policy's
    // least), so without the offline rule the outage would cost credit. 30 s still spans two of the
    // player's 15 s heartbeats.
    const policy = { idleSeconds: 0, evidenceSeconds: 20, offlineGraceSeconds: 45 } as CourseInput['policy'];
    const outageSeconds = 30;
    const { courseId, learnerId, launch } = await courseWithLaunch(world, { seconds: 36, policy, extra: { credits: 2 } });
    const context = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page = await recordingPage(context);
    const calls = watchCalls(page);
    await page.goto(launch.playerUrl);
    await waitReady(page);
    await player(page, ({ el }) => el.play());
    await waitMediaTime(page, 4);

    // The learner's network drops: nothing reaches the LRS or the credits API (the video, already buffered, plays on).
    const server = new URL(world.server.url).origin;
    const cut = (route: { abort: (code: string) => Promise<void> }) => route.abort('internetdisconnected');
    await page.route(`${server}/**`, cut);
    const offlineFrom = Date.now();
    await waitMediaTime(page, 4 + outageSeconds, (outageSeconds + 20) * 1000);
    const queued = await player(page, ({ el }) => el.pendingStatements);
    expect(queued).toBeGreaterThanOrEqual(2); // heartbeats made offline, at least
    expect(Date.now() - offlineFrom).toBeGreaterThanOrEqual(outageSeconds * 1000 - 1000);

    // Back online: the browser says so, and the outbox delivers everything in the order it was made.
    await page.unroute(`${server}/**`, cut);
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any).pendingStatements === 0, undefined, { timeout: 30_000 });
    await page.waitForFunction(() => (document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').ended, undefined, { timeout: 30_000 });
    await player(page, ({ el }) => el.flush());

    const delivered = calls.heartbeats.map((hb) => Date.parse(hb.sentAt));
    expect(delivered).toEqual([...delivered].sort((a, b) => a - b));
    const madeOffline = calls.heartbeats.filter((hb) => Date.parse(hb.sentAt) > offlineFrom && Date.parse(hb.sentAt) < offlineFrom + outageSeconds * 1000);
    expect(madeOffline.length).toBeGreaterThanOrEqual(2);
    expect(madeOffline.every((hb) => hb.playing)).toBe(true);
    const sent = await sentStatements(page);
    const stored = await storedStatements(world.server, launch.registration);
    expect(stored.map((s) => s.id).sort()).toEqual(sent.map((s) => s.id).sort());

    await expect.poll(() => earned(learnerId, courseId), { timeout: 20_000 }).toEqual({ earned: 2, credits: 2, coverage: 1 });
    await expect.poll(() => statusText(page), { timeout: 40_000 }).toBe('100% watched · 2 of 2 credits earned Completed');
    await context.close();
  }, 180_000);

  it('a forged resume State document chooses where playback resumes, but the player claims only the progress the server verified', async () => {
    const { courseId, learnerId, course, launch } = await courseWithLaunch(world, { seconds: 20, policy: { idleSeconds: 0 } });
    // The learner's own launch token is enough to write the resume document: claim it all watched.
    const bearer = { Authorization: `Bearer ${launch.launchToken}` };
    const { actor } = (await (await fetch(`${world.server.url}/api/v1/launches/current`, { headers: bearer })).json()) as { actor: unknown };
    const state = new URL(`${world.server.url}/xapi/activities/state`);
    state.search = new URLSearchParams({ activityId: course.activityId, agent: JSON.stringify(actor), stateId: RESUME_STATE_ID }).toString();
    const put = await fetch(state, {
      method: 'PUT',
      headers: { ...bearer, 'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json' },
      body: JSON.stringify({ time: 10, segments: [[0, 20]] }),
    });
    expect(put.status).toBe(204);

    const context = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page = await recordingPage(context);
    await page.addInitScript(() => {
      const w = window as unknown as { __progress: unknown[] };
      w.__progress = [];
      window.addEventListener('xcredit:progress', (e) => w.__progress.push((e as CustomEvent).detail));
    });
    await page.goto(launch.playerUrl);
    await waitReady(page);
    // Playback resumes where the document says…
    await page.waitForFunction(() => Math.abs((document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').currentTime - 10) < 0.5, undefined, { timeout: 10_000 });
    // …but nothing it claims is shown as progress.
    expect(await statusText(page)).toBe('0% watched · 0 of 1 credit earned');
    expect(await player(page, ({ el }) => el.progress)).toBe(0);

    await player(page, ({ el }) => el.play());
    await waitMediaTime(page, 12);
    await player(page, ({ el }) => el.pause());
    await player(page, ({ el }) => el.flush());
    const server = await earned(learnerId, courseId);
    expect(server.coverage).toBeLessThan(0.5);
    await page.waitForTimeout(1000);
    // Whatever the page said, at any moment, was never more than the server verified.
    const progress = (await page.evaluate(() => (window as any).__progress)) as { progress: number; completed: boolean }[];
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) {
      expect(p.progress).toBeLessThanOrEqual(server.coverage + 1e-9);
      expect(p.completed).toBe(false);
    }
    const status = await statusText(page);
    expect(status).not.toMatch(/Completed/);
    expect(Number(/(\d+)% watched/.exec(status)?.[1])).toBeLessThanOrEqual(Math.floor(server.coverage * 100));
    await context.close();
  });

  it('keeps asking for a session while the server cannot give one, starts once it does, and loses nothing', async () => {
    const { launch } = await courseWithLaunch(world, { seconds: 20, policy: { idleSeconds: 0 } });
    const context = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page = await recordingPage(context);
    const calls = watchCalls(page);
    let refused = 0;
    await page.route('**/launches/current/sessions', (route) => (++refused <= 2 ? route.abort('internetdisconnected') : route.continue()));
    await page.goto(launch.playerUrl);
    await waitReady(page);
    expect(refused).toBe(3);
    expect(calls.sessions).toHaveLength(1);
    await player(page, ({ el }) => el.play());
    await waitMediaTime(page, 2);
    await player(page, ({ el }) => el.pause());
    await player(page, ({ el }) => el.flush());
    const sent = await sentStatements(page);
    expect(new Set(sent.map(sessionOf))).toEqual(new Set(calls.sessions));
    const stored = await storedStatements(world.server, launch.registration);
    expect(stored.map((s) => s.id).sort()).toEqual(sent.map((s) => s.id).sort());
    await context.close();
  });
});
