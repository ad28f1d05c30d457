import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XcreditClient, XcreditError } from '@xcredit/sdk';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { postgresUrl, testEngines } from './support/engines.js';

describe.each(testEngines())('reflections through the SDK on %s', (engine) => {
  let server: TestServer;
  let sdk: XcreditClient;
  const write = async (launchToken: string, text: string) => {
    const res = await fetch(`${server.url}/api/v1/launches/current/reflection`, { method: 'POST', headers: { authorization: `Bearer ${launchToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
    return { status: res.status, body: await res.json() };
  };
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: unknown) => {
        if (!(e instanceof XcreditError)) throw e;
        return e;
      },
    );

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: postgresUrl() });
    sdk = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
    const course = await sdk.upsertCourse('ethics', {
      title: 'Research ethics',
      activityId: 'https://example.com/courses/ethics',
      credits: 2,
      kind: 'elective',
      lengthSeconds: 60,
      reflection: { minLength: 20, prompt: 'Which case stayed with you, and why?' },
    });
    expect(course.reflection).toEqual({ minLength: 20, prompt: 'Which case stayed with you, and why?' });
  });
  afterAll(() => server?.close());

  it('lists, reads, returns and approves a reflection, and refuses bad calls with the field or the reason', async () => {
    const launch = await sdk.createLaunch({ learnerId: 'lee', courseId: 'ethics' });
    expect((await write(launch.launchToken, 'Too short.')).status).toBe(400);
    expect(await sdk.reflections()).toEqual([]);
    expect((await write(launch.launchToken, 'The consent case: I had never asked who benefits.')).status).toBe(200);

    const [waiting, ...others] = await sdk.reflections({ status: 'submitted' });
    expect(others).toEqual([]);
    expect(waiting).toMatchObject({ learnerId: 'lee', courseId: 'ethics', courseTitle: 'Research ethics', status: 'submitted', minLength: 20 });
    expect(await sdk.reflections({ status: 'approved' })).toEqual([]);

    const noNote = await refusal(sdk.returnReflection('lee', 'ethics', ''));
    expect(noNote.status).toBe(400);
    expect(noNote.message).toContain('note');
    expect((await sdk.getReflection('lee', 'ethics')).status).toBe('submitted');
    expect(await sdk.returnReflection('lee', 'ethics', 'Say what you will do differently.')).toMatchObject({ status: 'returned', note: 'Say what you will do differently.' });
    const early = await refusal(sdk.approveReflection('lee', 'ethics'));
    expect([early.status, early.code]).toEqual([409, 'reflection_returned']);

    expect((await write(launch.launchToken, 'I will ask who benefits before I start a study.')).status).toBe(200);
    const approved = await sdk.approveReflection('lee', 'ethics');
    expect(approved.status).toBe('approved');
    expect((await sdk.approveReflection('lee', 'ethics')).history?.map((h) => h.action)).toEqual(['submitted', 'returned', 'submitted', 'approved']);
    expect((await sdk.reflections({ learnerId: 'lee' })).map((r) => r.status)).toEqual(['approved']);

    const unknown = await refusal(sdk.getReflection('nobody', 'ethics'));
    expect([unknown.status, unknown.code]).toEqual([404, 'learner_not_found']);
    const none = await refusal(sdk.approveReflection('lee', 'no-such-course'));
    expect([none.status, none.code]).toEqual([404, 'course_not_found']);
  });
});
