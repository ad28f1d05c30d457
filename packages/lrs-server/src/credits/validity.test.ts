import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTenant } from '../auth/clients.js';
import { parsePeriod, periodProgress } from '../period.js';
import { adminCall, adminFetch, FIRE_COURSE, startServerWithCourses, startTestServer, watchCourse, type Engine, type TestServer } from '../testing.js';
import { learnerStanding, standingsCte } from './targets.js';
import { addMonths, heldFromLedger, heldSql, type HeldEntry, type HeldRow } from './validity.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const at = (iso: string) => new Date(iso);

describe('the validity rule', () => {
  it('adds months in UTC, keeping the day or clamping it to the month’s last', () => {
    expect(addMonths(at('2025-03-10T08:30:00Z'), 24).toISOString()).toBe('2027-03-10T08:30:00.000Z');
    expect(addMonths(at('2025-01-31T10:00:00Z'), 1).toISOString()).toBe('2025-02-28T10:00:00.000Z');
    expect(addMonths(at('2024-02-29T00:00:00Z'), 12).toISOString()).toBe('2025-02-28T00:00:00.000Z');
    expect(addMonths(at('2025-08-31T23:59:59.999Z'), 6).toISOString()).toBe('2026-02-28T23:59:59.999Z');
  });

  it('holds a course from the year earned until its months are over, carrying it into each later year it overlaps', () => {
    const entries: HeldEntry[] = [{ period: '2025', createdAt: at('2025-03-10T00:00:00Z'), amountTenths: 40 }];
    expect(heldFromLedger(entries, 24, '2025')).toMatchObject({ earnedIn: '2025', validUntil: at('2027-03-10T00:00:00Z'), tenths: 40, carried: false });
    expect(heldFromLedger(entries, 24, '2026')).toMatchObject({ earnedIn: '2025', carried: true });
    // Valid until 10 March 2027: it overlaps 2027, and not 2028.
    expect(heldFromLedger(entries, 24, '2027')).toMatchObject({ carried: true });
    expect(heldFromLedger(entries, 24, '2028')).toBeUndefined();
    // Not yet earned as seen from an earlier year.
    expect(heldFromLedger(entries, 24, '2024')).toBeUndefined();
    // Twelve months from 10 March 2025 end in 2026: expired before 2027.
    expect(heldFromLedger(entries, 12, '2027')).toBeUndefined();
  });

  it('takes the latest year with credits; a balance brought back to zero holds nothing', () => {
    const entries: HeldEntry[] = [
      { period: '2024', createdAt: at('2024-06-01T00:00:00Z'), amountTenths: 30 },
      { period: '2025', createdAt: at('2025-05-01T00:00:00Z'), amountTenths: 30 },
      { period: '2025', createdAt: at('2025-07-01T00:00:00Z'), amountTenths: -30 },
      { period: '2026', createdAt: at('2026-02-01T00:00:00Z'), amountTenths: 20 },
    ];
    expect(heldFromLedger(entries, 36, '2025')).toMatchObject({ earnedIn: '2024', carried: true, tenths: 30 });
    expect(heldFromLedger(entries, 36, '2027')).toMatchObject({ earnedIn: '2026', carried: true, tenths: 20, validUntil: at('2029-02-01T00:00:00Z') });
  });

  it('counts an entry appended after its year as of that year’s last instant', () => {
    const late = heldFromLedger([{ period: '2025', createdAt: at('2026-02-01T00:00:00Z'), amountTenths: 10 }], 1, '2026');
    expect(late).toMatchObject({ earnedAt: at('2025-12-31T23:59:59.999Z'), validUntil: at('2026-01-31T23:59:59.999Z'), carried: true });
  });
});

describe.each(engines)('the validity rule in TypeScript and its SQL twin agree on %s', (engine) => {
  let server: TestServer;
  let run = 0;
  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
  });
  afterAll(() => server?.close());

  const periods = ['2023', '2024', '2025', '2026', '2027'];
  // Month ends, leap days and year edges are where month arithmetic and the year clamp differ.
  const instant = fc.oneof(
    fc.date({ min: at('2023-01-01T00:00:00Z'), max: at('2028-06-30T00:00:00Z'), noInvalidDate: true }),
    fc.constantFrom('2024-01-31T12:00:00Z', '2024-02-29T00:00:00Z', '2025-08-31T23:59:59.999Z', '2025-12-31T23:59:59.999Z', '2026-01-01T00:00:00Z', '2023-10-31T05:00:00Z').map(at),
  );
  const entry = fc.record({ course: fc.nat(2), period: fc.constantFrom(...periods), createdAt: instant, amountTenths: fc.oneof(fc.constantFrom(10, 30, -30, 0), fc.integer({ min: -50, max: 80 })) });
  const course = fc.record({ months: fc.option(fc.oneof(fc.constantFrom(1, 12, 24, 120), fc.integer({ min: 1, max: 120 }))), kind: fc.constantFrom('required' as const, 'elective' as const) });
  const learner = fc.record({ entries: fc.array(entry, { maxLength: 8 }), department: fc.constantFrom('ops', null) });
  const target = fc.record({ total: fc.constantFrom(0, 10, 50, 100), required: fc.constantFrom(0, 10, 30, 60) });

  it('for generated courses, ledgers and years', async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(course, course, course), fc.array(learner, { minLength: 1, maxLength: 4 }), fc.constantFrom(...periods, '2028'), target, async (courses, learners, period, t) => {
        const db = server.store.db;
        const tenantId = `validity-${++run}`;
        await ensureTenant(db, { id: tenantId, name: tenantId, homePage: `https://example.com/${tenantId}` });
        await db
          .insertInto('courses')
          .values(courses.map((c, i) => ({ tenant_id: tenantId, id: `c${i}`, title: `Course ${i}`, activity_id: `https://example.com/c${i}`, credits: 3, kind: c.kind, length_seconds: 60, policy: '{}', validity_months: c.months })))
          .execute();
        await db.insertInto('learners').values(learners.map((l, i) => ({ tenant_id: tenantId, id: `l${i}`, department: l.department }))).execute();
        const rows = learners.flatMap((l, i) => l.entries.map((e) => ({ ...e, learner: `l${i}` })));
        if (rows.length) {
          await db
            .insertInto('ledger')
            .values(rows.map((e) => ({ tenant_id: tenantId, learner_id: e.learner, period: e.period, source: 'adjustment' as const, amount_tenths: e.amountTenths, course_id: `c${e.course}`, kind: courses[e.course]!.kind, category: null, reason: 'generated', evidence: '{}', created_by: 'test', created_at: e.createdAt })))
            .execute();
        }
        if (period !== '2028') {
          await db.insertInto('targets').values({ tenant_id: tenantId, period, group_type: 'all', group_value: '', total_tenths: t.total, required_tenths: t.required }).execute();
        }

        const { rows: twin } = await sql<HeldRow>`${heldSql(tenantId, period)}`.execute(db);
        const expected = learners.flatMap((l, i) =>
          courses.flatMap((c, ci) => {
            if (c.months === null) return [];
            const held = heldFromLedger(
              l.entries.filter((e) => e.course === ci),
              c.months,
              period,
            );
            return held ? [{ learner: `l${i}`, course: `c${ci}`, earnedIn: held.earnedIn, earnedAt: held.earnedAt.toISOString(), validUntil: held.validUntil.toISOString(), tenths: held.tenths, carried: held.carried }] : [];
          }),
        );
        const got = twin
          .map((r) => ({ learner: r.learner_id, course: r.course_id, earnedIn: r.earned_in, earnedAt: new Date(r.earned_at).toISOString(), validUntil: new Date(r.valid_until).toISOString(), tenths: Number(r.tenths), carried: r.carried }))
          .sort((a, b) => (a.learner + a.course < b.learner + b.course ? -1 : 1));
        expect(got).toEqual(expected);

        // The standing rule with what is carried: SQL (reports, reminders) and TypeScript (a learner's credits) agree.
        const now = at(`${period}-07-01T00:00:00Z`);
        const { rows: standings } = await sql<{ id: string; status: string; carried: number }>`${standingsCte(tenantId, period, periodProgress(parsePeriod(period), now).elapsed)}
          select id, status, carried from classified order by id`.execute(db);
        const ts = await Promise.all(learners.map((_, i) => learnerStanding(db, tenantId, `l${i}`, period, now)));
        expect(standings.map((r) => ({ id: r.id, status: r.status, carried: Number(r.carried) / 10 }))).toEqual(ts.map((s, i) => ({ id: `l${i}`, status: s.status, carried: s.carried })));
      }),
      { numRuns: 40 },
    );
  });
});

describe.each(engines)('a course valid for two years, through the API, on %s', (engine) => {
  let server: TestServer;
  const api = adminFetch(() => server);
  const call = adminCall(() => server);
  const CERT = { title: 'First aid certification', activityId: 'https://example.com/courses/first-aid', credits: 4, kind: 'required', lengthSeconds: 120, validity: { months: 24 } };
  const EXCEL = { title: 'Spreadsheets', activityId: 'https://example.com/courses/excel', credits: 7, kind: 'elective', lengthSeconds: 120 };
  const credits = (learnerId: string, period: string) => call('GET', `/learners/${learnerId}/credits?period=${period}`);
  const cert = (c: { courses: { courseId: string }[] }) => c.courses.find((x) => x.courseId === 'cert') as { earned: number; validity: Record<string, unknown> | null } | undefined;

  beforeAll(async () => {
    server = await startServerWithCourses({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true, courses: { cert: CERT, fire: FIRE_COURSE, excel: EXCEL } });
    for (const id of ['ana', 'ben', 'cai']) await call('PUT', `/learners/${id}`, { department: 'ops' });
    await call('PUT', '/targets/2026', { total: 10, required: 7 });
    // Ana and Cai certify in March 2025; in 2026 Ana and Ben take the yearly fire course and an elective.
    server.clock!.set(new Date('2025-03-10T09:00:00Z'));
    await watchCourse(server, 'ana', 'cert', 120);
    await watchCourse(server, 'cai', 'cert', 120);
    server.clock!.set(new Date('2026-05-04T09:00:00Z'));
    await watchCourse(server, 'ana', 'fire', 120);
    await watchCourse(server, 'ben', 'fire', 120);
    await watchCourse(server, 'ana', 'excel', 120);
    await watchCourse(server, 'ben', 'excel', 120);
    server.clock!.set(new Date('2026-07-02T12:00:00Z'));
  });
  afterAll(() => server?.close());

  it.each([
    ['0 months', { months: 0 }],
    ['121 months', { months: 121 }],
    ['a string', { months: '24' }],
    ['a fraction', { months: 1.5 }],
    ['no months', {}],
  ])('refuses a validity of %s with a 400 naming validity.months, and writes nothing', async (_name, validity) => {
    const res = await api('/courses/other', { method: 'PUT', json: { ...CERT, activityId: 'https://example.com/other', validity } });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain('validity.months');
    expect((await api('/courses/other')).status).toBe(404);
    // An existing course keeps its validity.
    const bad = await api('/courses/cert', { method: 'PUT', json: { ...CERT, validity } });
    expect(bad.status).toBe(400);
    expect((await call('GET', '/courses/cert')).validity).toEqual({ months: 24 });
  });

  it('shows a course’s validity, and none for a course of the credit year', async () => {
    expect(await call('GET', '/courses/cert')).toMatchObject({ validity: { months: 24 } });
    expect((await call('GET', '/courses/fire')).validity).toBeNull();
  });

  it('counts the credits once, in the year earned, with the date they expire', async () => {
    const y2025 = await credits('ana', '2025');
    expect(y2025.earned).toBe(4);
    expect(cert(y2025)).toMatchObject({ earned: 4, validity: { months: 24, earnedIn: '2025', carried: false, validUntil: expect.stringMatching(/^2027-03-10T09:0/) } });
    expect(String(cert(y2025)!.validity!.earnedAt)).toMatch(/^2025-03-10T09:0/);
    const y2026 = await credits('ana', '2026');
    expect(y2026.earned).toBe(10);
    expect(cert(y2026)).toMatchObject({ earned: 0, validity: { earnedIn: '2025', carried: true } });
  });

  it('satisfies the required part of every later year it is valid in, never the total', async () => {
    // Ana: 3 required credits this year + 4 carried meet the 7 required; 10 new credits meet the total.
    expect(await credits('ana', '2026')).toMatchObject({ status: 'met', earned: 10, required: 3, carried: 4, requiredRemaining: 0, remaining: 0 });
    // Ben has no certification: the same credits leave 4 required to go.
    expect(await credits('ben', '2026')).toMatchObject({ status: 'at_risk', earned: 10, carried: 0, requiredRemaining: 4, remaining: 0 });
    // Cai holds the certification but earned nothing this year: the total is all to do.
    expect(await credits('cai', '2026')).toMatchObject({ status: 'at_risk', earned: 0, carried: 4, requiredRemaining: 3, remaining: 10 });
  });

  it('expires: valid until 10 March 2027, carried into 2027, gone in 2028', async () => {
    expect(await credits('ana', '2027')).toMatchObject({ carried: 4 });
    const y2028 = await credits('ana', '2028');
    expect(y2028.carried).toBe(0);
    expect(cert(y2028)).toBeUndefined();
  });

  it('reports carried credits and the standing they give', async () => {
    const atRisk = await call('GET', '/reports/at-risk?period=2026');
    expect(atRisk.columns).toContain('carried');
    expect(atRisk.rows.map((r: { learnerId: string; carried: number; requiredRemaining: number }) => [r.learnerId, r.carried, r.requiredRemaining])).toEqual([
      ['cai', 4, 3],
      ['ben', 0, 4],
    ]);
    const summary = await call('GET', '/reports/summary?period=2026');
    expect(summary.total).toMatchObject({ learners: 3, met: 1, atRisk: 2 });
  });

  it('keeps what a closed year earned: a later change to the course leaves the certification and its expiry as they were', async () => {
    expect((await api('/periods/2025/close', { method: 'POST' })).status).toBe(200);
    await call('PUT', '/courses/cert', { ...CERT, credits: 6 });
    const y2026 = await credits('cai', '2026');
    expect(y2026).toMatchObject({ carried: 4, requiredRemaining: 3 });
    expect(cert(y2026)!.validity).toMatchObject({ earnedIn: '2025', validUntil: expect.stringMatching(/^2027-03-10/) });
    expect((await credits('cai', '2025')).earned).toBe(4);
    // A shorter validity set later applies to what was earned: 12 months from March 2025 end before 2027.
    await call('PUT', '/courses/cert', { ...CERT, credits: 6, validity: { months: 12 } });
    expect((await credits('cai', '2027')).carried).toBe(0);
    expect((await credits('cai', '2026')).carried).toBe(4);
    await call('PUT', '/courses/cert', { ...CERT, credits: 6, validity: undefined });
    expect((await credits('cai', '2026')).carried).toBe(0);
  });
});
