import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTenant } from '../auth/clients.js';
import { parsePeriod, periodProgress } from '../period.js';
import { startTestServer, type Engine, type TestServer } from '../testing.js';
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
