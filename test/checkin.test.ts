import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XcreditClient, XcreditError } from '@xcredit/sdk';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { postgresUrl, testEngines } from './support/engines.js';

describe.each(testEngines())('offline training sessions through the SDK on %s', (engine) => {
  let server: TestServer;
  let sdk: XcreditClient;
  const scan = async (token: string, code: string, action: 'in' | 'out' = 'in') => {
    const res = await fetch(`${server.url}/api/v1/launches/current/attendance`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ code, action }) });
    return { status: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: postgresUrl(), manualClock: true });
    sdk = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
    await sdk.upsertCourse('cpr', { title: 'CPR refresher', activityId: 'https://example.com/courses/cpr', credits: 1.5, kind: 'required', lengthSeconds: 3600 });
  });
  afterAll(() => server?.close());

  it('schedules, opens, shows the code, closes and credits a session; bad input is an XcreditError naming the field', async () => {
    const start = server.clock!();
    const end = new Date(start.getTime() + 60 * 60_000);
    const bad = await sdk.createTrainingSession({ courseId: 'cpr', startsAt: end.toISOString(), endsAt: start.toISOString(), location: 'Hall B', trainer: 'Dr. Okafor' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(XcreditError);
    expect((bad as XcreditError).status).toBe(400);
    expect((bad as XcreditError).message).toContain('endsAt');
    expect(await sdk.trainingSessions({ courseId: 'cpr' })).toEqual([]);

    const session = await sdk.createTrainingSession({ courseId: 'cpr', startsAt: start.toISOString(), endsAt: end.toISOString(), location: 'Hall B', trainer: 'Dr. Okafor', minShare: 0.75 });
    expect(session).toMatchObject({ courseId: 'cpr', status: 'scheduled', minShare: 0.75, graceMinutes: 5, credits: 1.5 });
    const notOpen = await sdk.checkinCode(session.sessionId).catch((e: unknown) => e);
    expect((notOpen as XcreditError).status).toBe(409);
    expect((await sdk.openTrainingSession(session.sessionId)).status).toBe('open');
    const code = await sdk.checkinCode(session.sessionId);
    expect(code.url).toBe(`${server.url}/checkin?code=${encodeURIComponent(code.code)}`);
    expect(code.svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(code.stepSeconds).toBe(30);

    const launch = await sdk.createLaunch({ learnerId: 'nia', courseId: 'cpr' });
    expect(launch.checkinUrl).toBe(`${server.url}/checkin#token=${encodeURIComponent(launch.launchToken)}`);
    expect((await scan(launch.launchToken, code.code)).status).toBe(201);
    server.clock!.advance(50 * 60);
    expect((await scan(launch.launchToken, (await sdk.checkinCode(session.sessionId)).code, 'out')).status).toBe(201);

    const closed = await sdk.closeTrainingSession(session.sessionId);
    expect(closed.attendance).toEqual([expect.objectContaining({ learnerId: 'nia', status: 'credited', credits: 1.5, attendedMinutes: 50, earlyMinutes: 10 })]);
    expect((await sdk.trainingSession(session.sessionId)).status).toBe('closed');
    expect((await sdk.trainingSessions({ status: 'closed' })).map((s) => s.sessionId)).toEqual([session.sessionId]);
    const ledger = await sdk.getLedger('nia', { period: String(start.getUTCFullYear()) });
    expect(ledger.total).toBe(1.5);
    expect(ledger.entries[0]!.reason).toContain('attended 50 of 60 minutes');
    expect(await sdk.sweepTrainingSessions()).toEqual({ closed: 0 });
    const missing = await sdk.trainingSession('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e);
    expect((missing as XcreditError).status).toBe(404);
  });
});
