import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { questionActivityId, VIDEO_PROFILE, Verbs } from '@xcredit/sdk/xapi';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const CMI5_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/cmi5';

type Obj = Record<string, any>;

describe.each(engines)('what a launch token reaches on %s', (engine) => {
  let server: TestServer;
  let course: string;
  let launch: { launchToken: string; registration: string; actor: Obj };
  let bearer: string;
  const other = { objectType: 'Agent', account: { homePage: 'https://xcredit.dev/tenants/default', name: 'someone-else' } };

  const xapi = (path: string, init: { method?: string; body?: unknown; auth?: string; version?: string } = {}) =>
    fetch(`${server.url}/xapi${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: init.auth ?? bearer, 'X-Experience-API-Version': init.version ?? '1.0.3', 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  const stored = async (registration = launch.registration): Promise<Obj[]> =>
    ((await (await xapi(`/statements?registration=${registration}`, { auth: server.admin.authorization })).json()) as { statements: Obj[] }).statements;
  const putCourse = async (id: string, body: Obj) => {
    const res = await fetch(`${server.url}/api/v1/courses/${id}`, {
      method: 'PUT',
      headers: { authorization: server.admin.authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ credits: 1, kind: 'elective', lengthSeconds: 60, ...body }),
    });
    expect(res.ok).toBe(true);
  };
  const played = (extra: Obj = {}): Obj => ({
    actor: launch.actor,
    verb: { id: Verbs.played, display: { 'en-US': 'played' } },
    object: { objectType: 'Activity', id: course },
    ...extra,
    context: { registration: launch.registration, contextActivities: { category: [{ id: VIDEO_PROFILE }] }, ...(extra.context ?? {}) },
  });

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    course = `https://example.com/courses/${randomUUID()}`;
    const question = { id: 'q1', at: 5, type: 'true-false', prompt: { en: 'True?' }, correct: ['true'] };
    await putCourse('scoped', { title: 'Scoped', activityId: course, questions: [question] });
    // Courses whose activity ids merely start with the first one's.
    await putCourse('scoped-copy', { title: 'Copy', activityId: `${course}-copy` });
    await putCourse('scoped-nested', { title: 'Nested', activityId: `${course}/nested` });
    const res = await fetch(`${server.url}/api/v1/launches`, {
      method: 'POST',
      headers: { authorization: server.admin.authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ learnerId: 'scoped-learner', courseId: 'scoped' }),
    });
    expect(res.status).toBe(201);
    launch = (await res.json()) as typeof launch;
    bearer = `Bearer ${launch.launchToken}`;
  });
  afterAll(() => server?.close());

  describe('writing statements', () => {
    it.each<[string, () => Obj, RegExp, string?]>([
      ['a course whose activity id only starts with its own', () => played({ object: { objectType: 'Activity', id: `${course}-copy` } }), /statement\.object\.id: .* is not an activity of this launch's course/],
      ['another course nested under its activity id', () => played({ object: { objectType: 'Activity', id: `${course}/nested` } }), /statement\.object\.id/],
      ['a question the course does not declare', () => played({ object: { objectType: 'Activity', id: questionActivityId(course, 'q2') } }), /statement\.object\.id/],
      ['another learner as actor', () => played({ actor: other }), /statement\.actor/],
      ['a group actor carrying its learner and another member', () => played({ actor: { ...launch.actor, objectType: 'Group', member: [other] } }), /statement\.actor: a launch token names no group/],
      ['another learner as context instructor', () => played({ context: { instructor: other } }), /statement\.context\.instructor: a launch token names only its learner/],
      ['a team', () => played({ context: { team: { objectType: 'Group', member: [other] } } }), /statement\.context\.team/],
      ['another learner as object', () => played({ object: other }), /statement\.object: a launch token names only its learner/],
      ['a sub-statement about another learner', () => played({ object: { objectType: 'SubStatement', actor: other, verb: { id: Verbs.played }, object: { id: course } } }), /statement\.object\.actor/],
      ['a sub-statement about itself', () => played({ object: { objectType: 'SubStatement', actor: launch.actor, verb: { id: Verbs.played }, object: { id: course } } }), /statement\.object: a launch token writes only about activities of its course, not a SubStatement/],
      ['a statement reference', () => played({ object: { objectType: 'StatementRef', id: randomUUID() } }), /not a StatementRef/],
      ['another course as grouping', () => played({ context: { contextActivities: { grouping: [{ id: `${course}-copy` }] } } }), /statement\.context\.contextActivities\.grouping\[0\]\.id/],
      ['another course as parent', () => played({ context: { contextActivities: { parent: { id: `${course}/nested` } } } }), /contextActivities\.parent\[0\]\.id/],
      ['another course as category', () => played({ context: { contextActivities: { category: [{ id: VIDEO_PROFILE }, { id: `${course}-copy` }] } } }), /contextActivities\.category\[1\]\.id/],
      ['an authority of its choosing', () => played({ authority: other }), /statement\.authority/],
      ['an attachment', () => played({ attachments: [{ usageType: 'https://example.com/usage', display: { en: 'a' }, contentType: 'text/html', length: 10, sha2: 'a'.repeat(64), fileUrl: 'https://example.com/a.html' }] }), /statement\.attachments/],
      ['another registration', () => played({ context: { registration: randomUUID() } }), /registration/],
      ['another learner as a 2.0.0 context agent', () => played({ context: { contextAgents: [{ objectType: 'contextAgent', agent: other }] } }), /statement\.context\.contextAgents\[0\]\.agent/, '2.0.0'],
      ['a 2.0.0 context group', () => played({ context: { contextGroups: [{ objectType: 'contextGroup', group: { objectType: 'Group', member: [other] } }] } }), /statement\.context\.contextGroups\[0\]\.group/, '2.0.0'],
    ])('refuses %s with 403 naming it, and stores nothing', async (_name, make, reason, version) => {
      const res = await xapi('/statements', { method: 'POST', body: make(), ...(version ? { version } : {}) });
      const body = (await res.json()) as { error: { message: string } };
      expect(res.status).toBe(403);
      expect(body.error.message).toMatch(reason);
      expect(await stored()).toEqual([]);
    });

    it('refuses a whole batch, and a PUT, when one statement reaches too far', async () => {
      const batch = await xapi('/statements', { method: 'POST', body: [played(), played({ context: { instructor: other } })] });
      expect(batch.status).toBe(403);
      expect(((await batch.json()) as { error: { message: string } }).error.message).toMatch(/statements\[1\]\.context\.instructor/);
      const put = await xapi(`/statements?statementId=${randomUUID()}`, { method: 'PUT', body: played({ object: { objectType: 'Activity', id: `${course}-copy` } }) });
      expect(put.status).toBe(403);
      expect(await stored()).toEqual([]);
      // Nobody else sees the refused statements in a related-agents query either.
      const related = await xapi(`/statements?${new URLSearchParams({ agent: JSON.stringify(other), related_agents: 'true' })}`, { auth: server.admin.authorization });
      expect(((await related.json()) as { statements: Obj[] }).statements).toEqual([]);
    });

    it('stores what the player and the cmi5 flow send: the course, its declared questions, its profiles', async () => {
      const answered = {
        actor: launch.actor,
        verb: { id: Verbs.answered },
        object: { objectType: 'Activity', id: questionActivityId(course, 'q1'), definition: { type: 'http://adlnet.gov/expapi/activities/cmi.interaction', interactionType: 'true-false', correctResponsesPattern: ['true'] } },
        result: { response: 'true' },
        context: { registration: launch.registration, contextActivities: { parent: [{ objectType: 'Activity', id: course }] } },
      };
      const initialized = played({
        verb: { id: Verbs.initialized },
        context: { contextActivities: { grouping: [{ objectType: 'Activity', id: course }], category: [{ id: VIDEO_PROFILE }, { id: CMI5_CATEGORY }] } },
      });
      const res = await xapi('/statements', { method: 'POST', body: [initialized, played(), answered, played({ context: { instructor: launch.actor } })] });
      expect(res.status).toBe(200);
      expect(await stored()).toHaveLength(4);
    });

    it('leaves ordinary clients as they were: they name any agent and activity', async () => {
      const registration = randomUUID();
      const res = await xapi('/statements', {
        method: 'POST',
        auth: server.admin.authorization,
        body: played({ actor: other, object: { id: `${course}-copy` }, context: { registration, instructor: launch.actor, contextActivities: { grouping: [{ id: `${course}-copy` }] } } }),
      });
      expect(res.status).toBe(200);
      expect(await stored(registration)).toHaveLength(1);
    });
  });

  describe('documents and reading', () => {
    const state = (q: Obj, method = 'GET', body?: unknown) =>
      xapi(`/activities/state?${new URLSearchParams(Object.fromEntries(Object.entries({ agent: launch.actor, stateId: 's', ...q }).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])))}`, { method, body });

    it('keeps State for its course and its declared questions, with its registration or none', async () => {
      expect((await state({ activityId: course }, 'PUT', { at: 1 })).status).toBe(204);
      expect((await state({ activityId: course, registration: launch.registration }, 'PUT', { at: 2 })).status).toBe(204);
      expect((await state({ activityId: questionActivityId(course, 'q1') }, 'POST', { seen: true })).status).toBe(204);
      expect((await state({ activityId: course })).status).toBe(200);
    });

    it.each<[string, () => Obj, string, RegExp]>([
      ['a course whose activity id only starts with its own', () => ({ activityId: `${course}-copy` }), 'PUT', /activityId: .* is not an activity of this launch's course/],
      ['another course nested under its activity id', () => ({ activityId: `${course}/nested` }), 'GET', /activityId/],
      ['a question the course does not declare', () => ({ activityId: questionActivityId(course, 'q2') }), 'POST', /activityId/],
      ['another learner', () => ({ activityId: course, agent: other }), 'GET', /agent/],
      ['another registration', () => ({ activityId: course, registration: randomUUID() }), 'PUT', /registration/],
      ['LMS.LaunchData, which the LMS writes', () => ({ activityId: course, registration: launch.registration, stateId: 'LMS.LaunchData' }), 'PUT', /LMS\.LaunchData is written by the LMS/],
      ['LMS.LaunchData by merge', () => ({ activityId: course, registration: launch.registration, stateId: 'LMS.LaunchData' }), 'POST', /LMS\.LaunchData/],
      ['LMS.LaunchData by delete', () => ({ activityId: course, registration: launch.registration, stateId: 'LMS.LaunchData' }), 'DELETE', /LMS\.LaunchData/],
    ])('refuses State of %s (403)', async (_name, q, method, reason) => {
      const res = await state(q(), method, method === 'GET' || method === 'DELETE' ? undefined : { x: 1 });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(reason);
    });

    it('reads LMS.LaunchData but cannot reach statements, activities, agents or profiles (403)', async () => {
      expect((await state({ activityId: course, registration: launch.registration, stateId: 'LMS.LaunchData' })).status).toBe(404);
      const agent = encodeURIComponent(JSON.stringify(launch.actor));
      for (const path of [
        `/statements?registration=${launch.registration}`,
        `/statements?agent=${agent}&related_agents=true`,
        `/statements?statementId=${randomUUID()}`,
        `/activities?activityId=${encodeURIComponent(course)}`,
        `/agents?agent=${agent}`,
        `/activities/profile?activityId=${encodeURIComponent(course)}`,
        `/agents/profile?agent=${agent}`,
      ]) {
        const res = await xapi(path);
        expect(res.status, path).toBe(403);
        expect(((await res.json()) as { error: { message: string } }).error.message, path).toMatch(/launch token/);
      }
      const profile = await xapi(`/activities/profile?activityId=${encodeURIComponent(course)}&profileId=p`, { method: 'PUT', body: { x: 1 } });
      expect(profile.status).toBe(403);
    });
  });
});
