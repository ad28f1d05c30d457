import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { XcreditClient, XcreditError } from '@xcredit/sdk';
import { startTestServer, type Engine, type TestServer } from '@xcredit/lrs-server/testing';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('XcreditClient against a real server on %s', (engine) => {
  let server: TestServer;
  let client: XcreditClient;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    client = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
  });
  afterAll(() => server?.close());

  it('upserts a course, launches a learner and reads their credits', async () => {
    const course = await client.upsertCourse('ethics', { title: 'Ethics', activityId: 'https://example.com/courses/ethics', credits: 4, kind: 'elective', lengthSeconds: 300 });
    expect(course).toMatchObject({ courseId: 'ethics', credits: 4, kind: 'elective' });
    const launch = await client.createLaunch({ learnerId: 'T-77', courseId: 'ethics' });
    expect(launch.playerUrl).toContain('/play#token=');
    const credits = await client.getLearnerCredits('T-77', { period: String(new Date().getUTCFullYear()) });
    expect(credits).toMatchObject({ learnerId: 'T-77', earned: 0, courses: [{ courseId: 'ethics', credits: 4, earned: 0 }] });
  });

  it('throws XcreditError with status, code and the field at fault', async () => {
    const err = await client.upsertCourse('bad', { title: '', activityId: 'x', credits: -1, kind: 'required', lengthSeconds: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(XcreditError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(err.issues.map((i: { path: string }) => i.path)).toEqual(['title', 'activityId', 'credits']);
    const missing = await client.createLaunch({ learnerId: 'T-77', courseId: 'nope' }).catch((e) => e);
    expect(missing).toMatchObject({ status: 404, code: 'course_not_found' });
    const wrongSecret = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: 'wrong' });
    await expect(wrongSecret.getLearnerCredits('T-77')).rejects.toMatchObject({ status: 401 });
  });

  it('reports an unreachable server as status 0', async () => {
    const offline = new XcreditClient({ baseUrl: 'http://127.0.0.1:9', key: 'k', secret: 's' });
    await expect(offline.getLearnerCredits('x')).rejects.toMatchObject({ status: 0, code: 'unreachable' });
  });
});
