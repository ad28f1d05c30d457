import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('offline training sessions and check-in on %s', (engine) => {
  let server: TestServer;
  const request = async (method: string, path: string, body: unknown, authorization: string) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const call = (method: string, path: string, body?: unknown) => request(method, path, body, server.admin.authorization);
  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const minutes = (n: number) => server.clock!.advance(n * 60);
  const launchOf = async (learnerId: string, courseId = 'first-aid') => (await ok('POST', '/launches', { learnerId, courseId, ttlSeconds: 12 * 3600 })).launchToken as string;
  const scan = (token: string, code: string, action?: 'in' | 'out') => request('POST', '/launches/current/attendance', action ? { code, action } : { code }, `Bearer ${token}`);
  const code = async (sessionId: string) => (await ok('GET', `/training-sessions/${sessionId}/code`)).code as string;
  const ledger = async (learnerId: string) => (await ok('GET', `/learners/${learnerId}/ledger`)).total as number;
  /** A 90-minute session starting now on the server's clock, opened. */
  const openSession = async (extra: Record<string, unknown> = {}) => {
    const start = server.clock!();
    const s = await ok('POST', '/training-sessions', {
      courseId: 'first-aid',
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 90 * 60_000).toISOString(),
      location: 'Room 3.14',
      trainer: 'Li Wei',
      ...extra,
    });
    await ok('POST', `/training-sessions/${s.sessionId}/open`);
    return s.sessionId as string;
  };

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    await ok('PUT', '/courses/first-aid', { title: 'First aid workshop', activityId: 'https://example.com/courses/first-aid', credits: 2.5, kind: 'required', lengthSeconds: 5400, category: 'safety' });
    await ok('PUT', '/courses/fire-video', { title: 'Fire safety', activityId: 'https://example.com/courses/fire', credits: 1, kind: 'required', lengthSeconds: 60, videoUrl: 'https://cdn.example.com/fire.mp4' });
  });
  afterAll(() => server?.close());

  it('schedules a session of an offline course and refuses bad input, naming the field, writing nothing', async () => {
    const start = server.clock!();
    const good = { courseId: 'first-aid', startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3600_000).toISOString(), location: 'Room 1', trainer: 'Li Wei' };
    const made = await call('POST', '/training-sessions', good);
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ courseId: 'first-aid', courseTitle: 'First aid workshop', credits: 2.5, status: 'scheduled', minShare: 0.8, graceMinutes: 5, checkedIn: 0 });
    const before = (await ok('GET', '/training-sessions')).sessions.length;
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...good, endsAt: good.startsAt }, 400, 'endsAt'],
      [{ ...good, startsAt: 'tomorrow' }, 400, 'startsAt'],
      [{ ...good, minShare: 1.5 }, 400, 'minShare'],
      [{ ...good, minShare: 0 }, 400, 'minShare'],
      [{ ...good, graceMinutes: -1 }, 400, 'graceMinutes'],
      [{ ...good, location: ' ' }, 400, 'location'],
      [{ ...good, trainer: undefined }, 400, 'trainer'],
      [{ ...good, room: 'x' }, 400, 'room'],
      [{ ...good, courseId: 'nope' }, 404, 'courseId'],
      [{ ...good, courseId: 'fire-video' }, 400, 'courseId'],
    ];
    for (const [body, status, field] of cases) {
      const r = await call('POST', '/training-sessions', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.error.message).toContain(field);
    }
    expect((await ok('GET', '/training-sessions')).sessions.length).toBe(before);
    expect((await call('GET', '/training-sessions?status=maybe')).status).toBe(400);
    expect((await call('GET', '/training-sessions/not-a-session')).status).toBe(404);
    // No code before the trainer opens the session.
    const shut = await call('GET', `/training-sessions/${made.body.sessionId}/code`);
    expect(shut.status).toBe(409);
    expect(shut.body.error.message).toContain('open it');
  });

  it('checks learners in and out with their own launch, idempotently, and credits those who stayed on close', async () => {
    const sessionId = await openSession();
    const [ana, ben, cai] = [await launchOf('ana'), await launchOf('ben'), await launchOf('cai')];
    minutes(2);
    const first = await scan(ana, await code(sessionId));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ sessionId, courseTitle: 'First aid workshop', action: 'in', created: true, checkedOutAt: null });
    const again = await scan(ana, await code(sessionId));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, checkedInAt: first.body.checkedInAt });
    minutes(13);
    expect((await scan(ben, await code(sessionId))).status).toBe(201); // 15 min late
    expect((await scan(cai, await code(sessionId))).status).toBe(201);
    // cai leaves after 30 minutes; a check-out before a check-in is refused.
    minutes(30);
    expect((await scan(cai, await code(sessionId), 'out')).status).toBe(201);
    const dee = await launchOf('dee');
    const early = await scan(dee, await code(sessionId), 'out');
    expect(early.status).toBe(409);
    expect(early.body.error.message).toContain('action');
    minutes(44);
    expect((await scan(ana, await code(sessionId), 'out')).status).toBe(201);
    expect((await scan(ben, await code(sessionId), 'out')).status).toBe(201);
    const repeated = await scan(ben, await code(sessionId), 'out');
    expect(repeated.status).toBe(200);
    expect(repeated.body.created).toBe(false);

    const open = await ok('GET', `/training-sessions/${sessionId}`);
    expect(open.status).toBe('open');
    const byLearner = Object.fromEntries(open.attendance.map((a: { learnerId: string }) => [a.learnerId, a]));
    // ben left 1 minute early: within the grace, so not shown as early.
    expect(byLearner.ben).toMatchObject({ lateMinutes: 15, earlyMinutes: 0, status: 'present', credits: null });
    expect(byLearner.cai).toMatchObject({ earlyMinutes: 45, status: 'present' });

    const closed = await ok('POST', `/training-sessions/${sessionId}/close`);
    expect(closed.status).toBe('closed');
    const result = Object.fromEntries(closed.attendance.map((a: { learnerId: string }) => [a.learnerId, a]));
    expect(result.ana).toMatchObject({ status: 'credited', credits: 2.5, attendedMinutes: 90, lateMinutes: 0, earlyMinutes: 0 });
    // Every accepted scan is kept, the repeated one too, with its code's step.
    expect(result.ana.scans.map((x: { action: string }) => x.action)).toEqual(['in', 'in', 'out']);
    expect(result.ana.scans[0]).toMatchObject({ at: first.body.checkedInAt, codeStep: Math.floor(Date.parse(first.body.checkedInAt) / 30_000) });
    expect(result.ben).toMatchObject({ status: 'credited', credits: 2.5, attendedMinutes: 75, lateMinutes: 15 });
    expect(result.ben.explanation).toBe('attended 75 of 90 minutes (83 %, 80 % needed); arrived 15 min late');
    expect(result.cai).toMatchObject({ status: 'not_credited', credits: 0, attendedMinutes: 30, lateMinutes: 15, earlyMinutes: 45 });
    expect(result.cai.explanation).toContain('below the share needed, no credits');
    expect(await ledger('ana')).toBe(2.5);
    expect(await ledger('cai')).toBe(0);
    const benLedger = await ok('GET', '/learners/ben/ledger');
    expect(benLedger.entries).toHaveLength(1);
    expect(benLedger.entries[0]).toMatchObject({ source: 'offline', amount: 2.5, kind: 'required', category: 'safety' });
    expect(benLedger.entries[0].reason).toBe('"First aid workshop" (attended 75 of 90 minutes (83 %, 80 % needed); arrived 15 min late)');
    expect(benLedger.entries[0].evidence).toMatchObject({ sessionId, attendedMinutes: 75, lateMinutes: 15 });

    // Closing again, or the sweep, credits nothing twice; a closed session takes no scans.
    expect((await call('POST', `/training-sessions/${sessionId}/close`)).status).toBe(200);
    await ok('POST', '/training-sessions/sweep');
    expect(await ledger('ana')).toBe(2.5);
    expect((await ok('GET', '/learners/ana/ledger')).entries).toHaveLength(1);
    expect((await call('GET', `/training-sessions/${sessionId}/code`)).status).toBe(409);
    expect((await call('POST', `/training-sessions/${sessionId}/open`)).status).toBe(409);
  });

  it('refuses expired, forged and malformed codes, and codes of another course, recording nothing', async () => {
    const sessionId = await openSession();
    const eve = await launchOf('eve');
    const old = await code(sessionId);
    minutes(1);
    const expired = await scan(eve, old);
    expect(expired.status).toBe(403);
    expect(expired.body.error.message).toContain('expired');
    const fresh = await code(sessionId);
    const [id, step, sig] = fresh.split('.');
    const forged = await scan(eve, `${id}.${Number(step) - 1}.${sig}`);
    expect(forged.status).toBe(403);
    expect(forged.body.error.message).toMatch(/^code: was not issued/);
    const malformed = await scan(eve, 'https://example.com/not-a-code');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/^code:/);
    const noCode = await request('POST', '/launches/current/attendance', { action: 'in' }, `Bearer ${eve}`);
    expect(noCode.status).toBe(400);
    expect(JSON.stringify(noCode.body.error)).toContain('code');
    const badAction = await scan(eve, fresh, 'sideways' as 'in');
    expect(badAction.status).toBe(400);
    expect(badAction.body.error.message).toContain('action');
    const otherCourse = await launchOf('eve', 'fire-video');
    const wrong = await scan(otherCourse, fresh);
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.message).toContain('fire-video');
    // A client cannot scan: it needs a learner's launch.
    expect((await call('POST', '/launches/current/attendance', { code: fresh })).status).toBe(403);
    expect((await ok('GET', `/training-sessions/${sessionId}`)).attendance).toEqual([]);
    // The previous step's code is still good.
    minutes(0.5);
    expect((await scan(await launchOf('eve'), fresh)).status).toBe(201);
    await ok('POST', `/training-sessions/${sessionId}/close`);
  });

  it('credits nothing without a check-out, and closes ended sessions in the sweep', async () => {
    const sessionId = await openSession({ minShare: 0.5, graceMinutes: 10 });
    const fay = await launchOf('fay');
    const gus = await launchOf('gus');
    expect((await scan(fay, await code(sessionId))).status).toBe(201);
    expect((await scan(gus, await code(sessionId))).status).toBe(201);
    minutes(50);
    expect((await scan(gus, await code(sessionId), 'out')).status).toBe(201);
    minutes(40 + 5);
    // Within the grace after the end the sweep leaves it open: someone may still check out.
    await ok('POST', '/training-sessions/sweep');
    expect((await ok('GET', `/training-sessions/${sessionId}`)).status).toBe('open');
    minutes(10);
    expect((await ok('POST', '/training-sessions/sweep')).closed).toBeGreaterThanOrEqual(1);
    const s = await ok('GET', `/training-sessions/${sessionId}`);
    expect(s).toMatchObject({ status: 'closed' });
    const byLearner = Object.fromEntries(s.attendance.map((a: { learnerId: string }) => [a.learnerId, a]));
    expect(byLearner.fay).toMatchObject({ status: 'not_credited', credits: 0, attendedMinutes: null });
    expect(byLearner.fay.explanation).toBe('no check-out scan, so the time attended is unknown: no credits');
    expect(byLearner.gus).toMatchObject({ status: 'credited', credits: 2.5, attendedMinutes: 50, earlyMinutes: 40 });
    expect(await ledger('fay')).toBe(0);
    expect(await ledger('gus')).toBe(2.5);
    const listed = (await ok('GET', '/training-sessions?status=closed&courseId=first-aid')).sessions;
    expect(listed.map((x: { sessionId: string }) => x.sessionId)).toContain(sessionId);
    expect(listed.find((x: { sessionId: string }) => x.sessionId === sessionId).checkedIn).toBe(2);
  });

  it('credits nothing into a closed period, and says so', async () => {
    const back = server.clock!();
    try {
      server.clock!.set(new Date('2025-05-04T09:00:00Z'));
      const sessionId = await openSession();
      const hal = await launchOf('hal');
      expect((await scan(hal, await code(sessionId))).status).toBe(201);
      minutes(90);
      expect((await scan(hal, await code(sessionId), 'out')).status).toBe(201);
      await ok('POST', '/periods/2025/close');
      const closed = await ok('POST', `/training-sessions/${sessionId}/close`);
      expect(closed.period).toBe('2025');
      expect(closed.attendance[0]).toMatchObject({ learnerId: 'hal', status: 'not_credited', credits: 0, attendedMinutes: 90 });
      expect(closed.attendance[0].explanation).toBe('attended 90 of 90 minutes (100 %, 80 % needed); period 2025 is closed, so no credits');
      expect((await ok('GET', '/learners/hal/ledger?period=2025')).total).toBe(0);
    } finally {
      server.clock!.set(back);
    }
  });
});
