import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserEngines, postgresUrl } from '../support/engines.js';
import { lmsOnlyVerb, startCmi5Lms, unzip, type Cmi5Lms, type ImportedAu, type LmsLaunch } from '../support/cmi5-lms.js';
import { player, recordingPage, startWorld, waitReady, type PlayerWorld } from './player-harness.js';

const CMI5_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/cmi5';
const MOVEON_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/moveon';
const SESSION_ID = 'https://w3id.org/xapi/cmi5/context/extensions/sessionid';
const verbOf = (s: any) => String(s.verb.id).split('/').pop();
const categories = (s: any): string[] => (s.context?.contextActivities?.category ?? []).map((c: any) => c.id);

/**
 * cmi5 under an LMS that is not xcredit: the LMS-side harness (test/support/cmi5-lms.ts) imports
 * the exported package and launches the AU in Chromium the way any cmi5 LMS does. Test names cite
 * the cmi5 (Quartz) sections they check; docs/player.md ("cmi5 under another LMS") has the table.
 */
describe.each(browserEngines())('cmi5 under another LMS on %s', (engine) => {
  let world: PlayerWorld;
  let lms: Cmi5Lms;
  let au: ImportedAu;
  let course: { courseId: string; activityId: string };
  let first: LmsLaunch;
  let seq = 0;

  const exportPackage = (courseId: string, query = '') => fetch(`${world.server.url}/api/v1/courses/${courseId}/cmi5.zip${query}`, { headers: { Authorization: world.server.admin.authorization } });
  const makeCourse = async (seconds: number) => {
    const courseId = `cmi5-foreign-${++seq}-${Date.now().toString(36)}`;
    const activityId = `https://xcredit.dev/test/courses/${courseId}`;
    await world.client.upsertCourse(courseId, { title: `cmi5 course ${seq} <&>`, activityId, credits: 1, kind: 'elective', lengthSeconds: seconds, videoUrl: await world.media.video(seconds), policy: { idleSeconds: 0, gates: { coverage: 0.5 } } });
    return { courseId, activityId };
  };
  const actorFor = (name: string) => ({ objectType: 'Agent', account: { homePage: lms.url, name } });
  /** What the AU sent the LMS, without the LMS's own statements. */
  const fromAu = (l: LmsLaunch) => lms.statements(l).filter((s) => !lmsOnlyVerb(s));
  const returnPage = () => world.media.file('lms-return.html', '<!doctype html><title>LMS</title><p>Back in the LMS</p>');
  const open = async (url: string): Promise<Page> => {
    const context = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page = await recordingPage(context);
    await page.goto(url);
    return page;
  };
  const exit = async (page: Page, returnURL: string) => {
    await player(page, ({ root }) => root.querySelector<HTMLButtonElement>('button.exit')!.click());
    await page.waitForURL(returnURL);
    await page.context().close();
  };
  const blockerText = (page: Page) => page.waitForFunction(() => (document.querySelector('xcredit-player') as any)?.shadowRoot?.querySelector('.blocker.error')?.textContent ?? '', undefined, { timeout: 20_000 }).then((h) => h.jsonValue() as Promise<string>);

  beforeAll(async () => {
    world = await startWorld(engine, postgresUrl());
    lms = await startCmi5Lms();
    course = await makeCourse(8);
    au = lms.importPackage(Buffer.from(await world.client.cmi5Package(course.courseId)));
  });
  afterAll(async () => {
    await lms?.close();
    await world?.close();
  });

  it('§13, §14: the package holds cmi5.xml with one AU: publisher id = the course activity id, moveOn Completed, its URL our /cmi5/au with a course token', async () => {
    const res = await exportPackage(course.courseId);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toContain(`${course.courseId}-cmi5.zip`);
    const xml = unzip(Buffer.from(await res.arrayBuffer())).get('cmi5.xml')!.toString('utf8');
    expect(xml).toContain('<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">');
    expect(xml).toContain('&lt;&amp;&gt;');
    expect(au).toMatchObject({ publisherId: course.activityId, moveOn: 'Completed', launchMethod: 'AnyWindow' });
    const url = new URL(au.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${world.server.url}/cmi5/au`);
    expect(url.searchParams.get('xc')).toMatch(/^c1\./);
    // The token names the tenant and course, never a learner.
    expect(Buffer.from(url.searchParams.get('xc')!.split('.')[1]!, 'base64url').toString()).not.toMatch(/learner/);
  });

  it('§8.1, §8.2, §10, §9.3.2, §9.3.3, §9.3.8, §9.6: a Normal launch — fetch once, LaunchData read before initialized, initialized first, completed once after the viewing rule, terminated last, the context template on each; the LMS sees the AU satisfied and xcredit credits the viewing', async () => {
    const returnURL = returnPage();
    first = lms.launch(au, { actor: actorFor('lms-learner-1'), returnURL });
    // §8.1: the LMS's own activity id, not the publisher's.
    expect(first.activityId).not.toBe(course.activityId);
    const page = await open(first.url);
    await waitReady(page);
    await expect.poll(() => fromAu(first).map(verbOf), { timeout: 15_000 }).toEqual(['initialized']);

    await player(page, ({ el }) => el.play());
    await expect.poll(() => fromAu(first).map(verbOf), { timeout: 30_000 }).toContain('completed');
    // completed went out because xcredit verified the viewing rule (coverage ≥ 0.5).
    const shown = await player(page, ({ root }) => root.querySelector('.done')?.textContent ?? '');
    expect(shown).not.toBe('');
    await player(page, ({ el }) => el.pause());
    await exit(page, returnURL);
    await expect.poll(() => fromAu(first).map(verbOf).at(-1), { timeout: 15_000 }).toBe('terminated');

    const events = lms.log.filter((e) => e.session === first.sessionId);
    // §8.2: one POST to the fetch URL.
    expect(events.filter((e) => e.kind === 'fetch')).toEqual([{ kind: 'fetch', session: first.sessionId, answered: 'auth-token' }]);
    // §10: LMS.LaunchData read before the first statement; never written by the AU.
    const readAt = events.findIndex((e) => e.kind === 'state-get' && e.stateId === 'LMS.LaunchData' && e.status === 200);
    const firstStatementAt = events.findIndex((e) => e.kind === 'statement');
    expect(readAt).toBeGreaterThanOrEqual(0);
    expect(readAt).toBeLessThan(firstStatementAt);
    expect(events.some((e) => e.kind === 'state-put' && e.stateId === 'LMS.LaunchData')).toBe(false);

    const sent = fromAu(first);
    // §9.3.2, §9.3.3, §9.3.8: initialized first, completed once, terminated last, nothing after it.
    expect(sent.map(verbOf)).toEqual(['initialized', 'completed', 'terminated']);
    expect(events.filter((e) => e.kind === 'statement').at(-1)).toMatchObject({ statement: { verb: { id: 'http://adlnet.gov/expapi/verbs/terminated' } } });
    for (const s of sent) {
      // §9.2, §9.4, §9.6: the launch's actor, the LMS's activity id and registration, the context template.
      expect(s.actor).toEqual(first.actor);
      expect(s.object.id).toBe(first.activityId);
      expect(s.context.registration).toBe(first.registration);
      expect(s.context.extensions[SESSION_ID]).toBe(first.sessionId);
      expect(s.context.contextActivities.grouping.map((a: any) => a.id)).toContain(course.activityId);
      // §9.6.2.1: cmi5-defined statements carry the cmi5 category.
      expect(categories(s)).toContain(CMI5_CATEGORY);
    }
    const completed = sent[1];
    // §9.6.2.2: completed carries the moveOn category; §9.5: completion and duration.
    expect(categories(completed)).toContain(MOVEON_CATEGORY);
    expect(completed.result).toMatchObject({ completion: true, duration: expect.stringMatching(/^PT/) });
    expect(sent[2].result.duration).toMatch(/^PT/);
    // §9.3.9: moveOn Completed is met; §9.3.6: the session ended, nothing to abandon.
    expect(lms.satisfied(first)).toBe(true);
    expect(lms.abandonIfOpen(first)).toBe(false);
    // §9.3.1, §9.3.6, §9.3.7, §9.3.9: the AU sent none of the LMS's verbs.
    expect(events.filter((e) => e.kind === 'statement' && lmsOnlyVerb(e.statement))).toEqual([]);

    // xcredit: a launch for the LMS's learner, credited from what xcredit verified.
    await expect.poll(async () => (await world.client.getLearnerCredits('lms-learner-1')).earned, { timeout: 20_000 }).toBeGreaterThan(0);
  });

  it('§9.3.3: a second session of the same registration does not send completed again', async () => {
    const returnURL = returnPage();
    const again = lms.launch(au, { actor: first.actor, registration: first.registration, returnURL });
    const page = await open(again.url);
    await waitReady(page);
    // xcredit already verified the viewing: the progress says completed at once.
    await page.waitForFunction(() => !!(document.querySelector('xcredit-player') as any)?.shadowRoot?.querySelector('.done'), undefined, { timeout: 20_000 });
    await exit(page, returnURL);
    await expect.poll(() => lms.statements(again).filter((s) => s.context?.extensions?.[SESSION_ID] === again.sessionId && !lmsOnlyVerb(s)).map(verbOf), { timeout: 15_000 }).toEqual([
      'initialized',
      'terminated',
    ]);
  });

  it('§10 launchMode Browse: initialized and terminated, never completed, however much is watched', async () => {
    const returnURL = returnPage();
    const browse = lms.launch(au, { actor: actorFor('lms-learner-browse'), launchMode: 'Browse', returnURL });
    const page = await open(browse.url);
    await waitReady(page);
    await player(page, ({ el }) => el.play());
    await page.waitForFunction(() => !!(document.querySelector('xcredit-player') as any)?.shadowRoot?.querySelector('.done'), undefined, { timeout: 30_000 });
    await exit(page, returnURL);
    await expect.poll(() => fromAu(browse).map(verbOf), { timeout: 15_000 }).toEqual(['initialized', 'terminated']);
    expect(lms.satisfied(browse)).toBe(false);
  });

  it('§9.3.8: nothing after terminated — a reload of a session the page left starts nothing and sends nothing more', async () => {
    const l = lms.launch(au, { actor: actorFor('lms-learner-reload') });
    const page = await open(l.url);
    await waitReady(page);
    await expect.poll(() => fromAu(l).map(verbOf), { timeout: 15_000 }).toEqual(['initialized']);
    await page.reload();
    expect(await blockerText(page)).toMatch(/expired or is not valid/);
    await expect.poll(() => fromAu(l).map(verbOf), { timeout: 15_000 }).toEqual(['initialized', 'terminated']);
    // The kept auth-token: still one call to the fetch URL.
    expect(lms.log.filter((e) => e.session === l.sessionId && e.kind === 'fetch')).toHaveLength(1);
    await page.context().close();
    expect(fromAu(l).map(verbOf)).toEqual(['initialized', 'terminated']);
  });

  it('§8.2: a fetch URL already used answers an error; the AU shows it and sends nothing', async () => {
    const used = lms.launch(au, { actor: actorFor('lms-learner-used') });
    expect(await (await fetch(used.fetchUrl, { method: 'POST' })).json()).toHaveProperty('auth-token');
    const page = await open(used.url);
    expect(await blockerText(page)).toMatch(/expired or is not valid/);
    expect(await page.evaluate(() => (window as any).__errors.map((e: any) => e.code))).toEqual(['unauthorized']);
    expect(lms.log.filter((e) => e.session === used.sessionId).map((e) => (e.kind === 'fetch' ? e.answered : e.kind))).toEqual(['auth-token', 'error']);
    expect(fromAu(used)).toEqual([]);
    // §9.3.6: the LMS abandons the session the AU never started.
    expect(lms.abandonIfOpen(used)).toBe(true);
    await page.context().close();
  });

  it('a changed course token: the AU shows a clear error, xcredit refuses it, and nothing reaches the LMS', async () => {
    const l = lms.launch(au, { actor: actorFor('lms-learner-forged') });
    const url = new URL(l.url);
    const [prefix, payload, mac] = url.searchParams.get('xc')!.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), c: 'another-course' })).toString('base64url');
    url.searchParams.set('xc', `${prefix}.${forged}.${mac}`);
    const page = await open(url.href);
    expect(await blockerText(page)).toMatch(/could not confirm this course launch/);
    expect(await page.evaluate(() => (window as any).__errors.map((e: any) => [e.code, e.status]))).toEqual([['not-confirmed', 403]]);
    expect(fromAu(l)).toEqual([]);
    await page.context().close();
  });

  it('xcredit confirms a launch with the LMS: another actor, an LMS the package was not exported for, a course the LMS did not launch, or bad input are refused naming the field', async () => {
    const l = lms.launch(au, { actor: actorFor('lms-learner-direct') });
    const authToken = `Basic ${((await (await fetch(l.fetchUrl, { method: 'POST' })).json()) as { 'auth-token': string })['auth-token']}`;
    const xc = new URL(au.url).searchParams.get('xc')!;
    const body = { course: xc, endpoint: `${lms.url}/xapi/`, authToken, actor: l.actor, registration: l.registration, activityId: l.activityId };
    const post = (b: unknown) => fetch(`${world.server.url}/cmi5/foreign-launches`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) });
    const refused = async (b: unknown, status: number, pattern: RegExp) => {
      const res = await post(b);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(pattern);
    };

    await refused({ ...body, actor: actorFor('someone-else') }, 403, /^authToken: the LMS .* did not confirm/);
    await refused({ ...body, authToken: 'Basic bm90Omlzc3VlZA==' }, 403, /^authToken:/);
    await refused({ ...body, registration: 'not-a-uuid', actor: { name: 'x' } }, 400, /registration.*actor|actor.*registration/s);
    await refused({ ...body, course: `${xc}x` }, 403, /^course: /);

    const pinned = async (lmsOrigin: string) => {
      const res = await exportPackage(course.courseId, `?lms=${encodeURIComponent(lmsOrigin)}`);
      expect(res.status).toBe(200);
      return new URL(lms.importPackage(Buffer.from(await res.arrayBuffer())).url).searchParams.get('xc')!;
    };
    await refused({ ...body, course: await pinned('https://other-lms.example') }, 403, /^endpoint: .*exported for the LMS at https:\/\/other-lms\.example/);
    const badQuery = await exportPackage(course.courseId, '?lms=https://lms.example/path');
    expect(badQuery.status).toBe(400);
    expect(await badQuery.text()).toMatch(/lms/);
    expect((await fetch(`${world.server.url}/api/v1/courses/${course.courseId}/cmi5.zip`)).status).toBe(401);

    // The LMS launched this course's AU; a token of another course is not what it launched.
    const other = await makeCourse(4);
    const otherRes = await exportPackage(other.courseId);
    const otherXc = new URL(lms.importPackage(Buffer.from(await otherRes.arrayBuffer())).url).searchParams.get('xc')!;
    await refused({ ...body, course: otherXc }, 403, /^activityId: .*publisher id/);

    const ok = await post({ ...body, course: await pinned(lms.url) });
    expect(ok.status).toBe(201);
    const launch = (await ok.json()) as { launchToken: string; learnerId: string; courseId: string };
    expect(launch).toMatchObject({ learnerId: 'lms-learner-direct', courseId: course.courseId });
    const current = await fetch(`${world.server.url}/api/v1/launches/current`, { headers: { Authorization: `Bearer ${launch.launchToken}` } });
    expect(await current.json()).toMatchObject({ learnerId: 'lms-learner-direct', activityId: course.activityId });
  });
});
