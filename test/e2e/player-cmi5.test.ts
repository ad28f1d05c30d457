import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { courseWithLaunch, player, recordingPage, sentStatements, startWorld, storedStatements, verbName, waitReady, type PlayerWorld } from './player-harness.js';
import { browserEngines } from '../support/engines.js';

const CMI5_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/cmi5';
const MOVEON_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/moveon';
const SESSION_ID = 'https://w3id.org/xapi/cmi5/context/extensions/sessionid';

const categories = (s: any): string[] => (s.context?.contextActivities?.category ?? []).map((c: any) => c.id);

describe.each(browserEngines())('a cmi5 launch in real Chromium on %s', (engine) => {
  let world: PlayerWorld;

  beforeAll(async () => {
    world = await startWorld(engine, inject('postgresUrl') ?? undefined);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('fetches its auth-token once, reads LMS.LaunchData, sends cmi5 statements in order, and returns to the LMS', async () => {
    const { courseId, course, learnerId } = await courseWithLaunch(world, { seconds: 8, policy: { idleSeconds: 0, gates: { coverage: 0.5 } } });
    const returnURL = world.media.file('lms.html', '<!doctype html><title>LMS</title><p>Back in the LMS</p>');
    const res = await fetch(`${world.server.url}/cmi5/launches`, {
      method: 'POST',
      headers: { Authorization: world.server.admin.authorization, 'Content-Type': 'application/json' },
      body: JSON.stringify({ learnerId, courseId, returnURL, moveOn: 'Completed' }),
    });
    expect(res.status).toBe(201);
    const launch = (await res.json()) as { launchUrl: string; registration: string; sessionId: string };
    const url = new URL(launch.launchUrl);
    expect([...url.searchParams.keys()].sort()).toEqual(['activityId', 'actor', 'endpoint', 'fetch', 'registration']);
    expect(url.searchParams.get('activityId')).toBe(course.activityId);

    const context = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page = await recordingPage(context);
    await page.goto(launch.launchUrl);
    await waitReady(page);
    // The fetch URL is spent: a second call is refused with cmi5's error shape.
    const again = await fetch(url.searchParams.get('fetch')!, { method: 'POST' });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ 'error-code': '1' });

    await player(page, ({ el }) => el.play());
    await page.waitForFunction(() => (window as any).__statements.some((s: any) => s.verb.id === 'http://adlnet.gov/expapi/verbs/completed'), undefined, { timeout: 20_000 });
    await player(page, ({ el }) => el.pause());
    const sentBeforeExit = (await sentStatements(page)).length;
    await player(page, ({ root }) => root.querySelector<HTMLButtonElement>('button.exit')!.click());
    await page.waitForURL(returnURL);

    await expect.poll(async () => (await storedStatements(world.server, launch.registration)).map(verbName).at(-1), { timeout: 15_000 }).toBe('terminated');
    const stored = await storedStatements(world.server, launch.registration);
    expect(stored.length).toBe(sentBeforeExit + 2); // the LMS's launched, and the AU's terminated
    const verbs = stored.map(verbName);
    expect(verbs[0]).toBe('launched');
    expect(verbs[1]).toBe('initialized');
    expect(verbs.filter((v) => v === 'initialized')).toHaveLength(1);
    expect(verbs.filter((v) => v === 'completed')).toHaveLength(1);
    expect(verbs.filter((v) => v === 'terminated')).toHaveLength(1);
    const au = stored.slice(1);
    for (const s of au) {
      expect(s.context.registration).toBe(launch.registration);
      expect(s.context.extensions[SESSION_ID]).toBe(launch.sessionId);
      expect(s.context.contextActivities.grouping.map((a: any) => a.id)).toContain(course.activityId);
      expect(s.object.id.startsWith(course.activityId)).toBe(true);
    }
    for (const s of au.filter((x) => ['initialized', 'completed', 'terminated'].includes(verbName(x)))) expect(categories(s)).toContain(CMI5_CATEGORY);
    expect(categories(au.find((s) => verbName(s) === 'completed'))).toContain(MOVEON_CATEGORY);
    expect(au.at(-1).result.duration).toMatch(/^PT/);
    await context.close();
  });
});
