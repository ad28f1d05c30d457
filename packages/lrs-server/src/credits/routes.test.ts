import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { errorBodySchema, launchSchema, parsePlayerLaunch, playerLaunchSchema } from '@xcredit/sdk/contracts';
import { Verbs, VideoExt } from '@xcredit/sdk/xapi';
import { adminFetch, FIRE_COURSE, startServerWithCourses, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('credits API on %s', (engine) => {
  let server: TestServer;
  const api = adminFetch(() => server);
  const course = FIRE_COURSE;

  beforeAll(async () => {
    server = await startServerWithCourses({ engine, postgresUrl: inject('postgresUrl') ?? undefined, courses: { fire: course } });
  });
  afterAll(() => server?.close());

  it('reports credits for a learner, 404 for an unknown one and 400 for a bad period', async () => {
    await api('/launches', { method: 'POST', json: { learnerId: 'E-2002', courseId: 'fire' } });
    const year = String(new Date().getUTCFullYear());
    const res = await api(`/learners/E-2002/credits?period=${year}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ learnerId: 'E-2002', period: year, earned: 0, courses: [{ courseId: 'fire', credits: 3, earned: 0, coverage: 0, attention: 0, mastery: 1 }] });
    expect((await api('/learners/ghost/credits')).status).toBe(404);
    const bad = await api('/learners/E-2002/credits?period=last-year');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain('period');
  });

  it('counts only what receipt times vouch for: a forged full viewing posted at once earns nothing', async () => {
    const launch = await (await api('/launches', { method: 'POST', json: { learnerId: 'E-3003', courseId: 'fire' } })).json();
    const issued = await fetch(`${server.url}/api/v1/launches/current/sessions`, { method: 'POST', headers: { authorization: `Bearer ${launch.launchToken}` } });
    const sid = (await issued.json()).sessionId;
    const st = (verb: string, time: number) => ({
      actor: launch.actor,
      verb: { id: verb },
      object: { id: launch.activityId },
      context: { registration: launch.registration, extensions: { [VideoExt.sessionId]: sid, [VideoExt.length]: 120 } },
      result: { extensions: { [VideoExt.time]: time, [VideoExt.progress]: 1, [VideoExt.playedSegments]: '0[.]120' } },
    });
    const post = await fetch(`${server.url}/xapi/statements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${launch.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
      body: JSON.stringify([st(Verbs.initialized, 0), st(Verbs.played, 0), st(Verbs.completed, 120), st(Verbs.terminated, 120)]),
    });
    expect(post.status).toBe(200);
    const credits = await (await api('/learners/E-3003/credits')).json();
    expect(credits.courses[0].earned).toBe(0);
    expect(credits.courses[0].coverage).toBeLessThanOrEqual(0.03);
  });

  it('lets the player read its launch and its own credits with the token, and nothing else', async () => {
    const launch = await (await api('/launches', { method: 'POST', json: { learnerId: 'E-4004', courseId: 'fire' } })).json();
    const bearer = { authorization: `Bearer ${launch.launchToken}` };
    const current = await (await fetch(`${server.url}/api/v1/launches/current`, { headers: bearer })).json();
    expect(current).toMatchObject({ learnerId: 'E-4004', courseId: 'fire', registration: launch.registration, activityId: course.activityId, course: { lengthSeconds: 120 } });
    expect(current.policy.maxRate).toBe(2);
    // Both checks of the launch contract accept what the server answers.
    expect(launchSchema.safeParse(launch).success).toBe(true);
    expect(playerLaunchSchema.safeParse(current).success).toBe(true);
    expect(parsePlayerLaunch(current).course.lengthSeconds).toBe(120);
    const mine = await (await fetch(`${server.url}/api/v1/launches/current/credits`, { headers: bearer })).json();
    expect(mine).toMatchObject({ courseId: 'fire', learnerId: 'E-4004', earned: 0 });
    expect((await fetch(`${server.url}/api/v1/learners/E-4004/credits`, { headers: bearer })).status).toBe(403);
    const forged = await fetch(`${server.url}/api/v1/launches/current`, { headers: { authorization: 'Bearer forged' } });
    expect(forged.status).toBe(401);
    expect(errorBodySchema.safeParse(await forged.json()).success).toBe(true);
  });
});
