import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTenant } from '../auth/clients.js';
import { startTestServer, type Engine, type TestServer } from '../testing.js';
import { learnerStanding, periodProgress, standing, standingsCte } from './targets.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const PERIOD = '2026';

describe('the standing rule', () => {
  it('is met, on track or at risk by the straight-line projection to the year end', () => {
    const target = { period: PERIOD, groupType: 'all' as const, groupValue: '', total: 20, required: 10 };
    const midYear = new Date(Date.UTC(2026, 6, 2, 12));
    expect(standing(target, { required: 12, elective: 8 }, PERIOD, midYear)).toMatchObject({ status: 'met', remaining: 0, requiredRemaining: 0 });
    expect(standing(target, { required: 6, elective: 4.5 }, PERIOD, midYear)).toMatchObject({ status: 'on_track', earned: 10.5, projected: 21, remaining: 9.5, requiredRemaining: 4, daysLeft: 183 });
    expect(standing(target, { required: 2, elective: 9 }, PERIOD, midYear)).toMatchObject({ status: 'at_risk', remaining: 9, requiredRemaining: 8 });
    // Before the year starts nothing is projected: only what is earned counts.
    expect(standing(target, { required: 1, elective: 0 }, PERIOD, new Date(Date.UTC(2025, 11, 31)))).toMatchObject({ status: 'at_risk', projected: 1, elapsed: 0, daysLeft: 366 });
    expect(standing(null, { required: 1, elective: 2 }, PERIOD, midYear)).toMatchObject({ status: 'no_target', earned: 3, remaining: 0 });
  });

  it('refuses a period that is not a year, naming it', () => {
    expect(() => standing(null, { required: 0, elective: 0 }, '26', new Date())).toThrow('period "26" must be a year from 1000 to 9998');
  });
});

describe.each(engines)('the standing rule in TypeScript and its SQL twin agree on %s', (engine) => {
  let server: TestServer;
  let run = 0;
  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
  });
  afterAll(() => server?.close());

  const group = fc.constantFrom('ops', 'sales', null);
  // Round amounts and quarter-year dates make projections land exactly on targets, where the rule's edges are.
  const tenths = fc.oneof(fc.constantFrom(0, 5, 10, 25, 50, 100), fc.integer({ min: 0, max: 400 }));
  const learner = fc.record({ department: group, role: fc.constantFrom('eng', 'lead', null), required: fc.array(tenths, { maxLength: 3 }), elective: fc.array(tenths, { maxLength: 3 }) });
  const target = fc
    .oneof(fc.constantFrom(0, 10, 20, 50, 100, 200, 400), fc.integer({ min: 0, max: 800 }))
    .chain((total) => fc.record({ total: fc.constant(total), required: fc.oneof(fc.constantFrom(0, Math.floor(total / 2), total), fc.integer({ min: 0, max: total })) }));
  const targets = fc.record({ all: fc.option(target), ops: fc.option(target), eng: fc.option(target) });
  // From before the year to after it, with its first and last instants.
  const now = fc.oneof(
    fc.date({ min: new Date(Date.UTC(2025, 11, 1)), max: new Date(Date.UTC(2027, 1, 1)), noInvalidDate: true }),
    fc.constantFrom(0, 0.25, 0.5, 0.75, 1).map((share) => new Date(Date.UTC(2026, 0, 1) + share * 365 * 86_400_000)),
    fc.constant(new Date(Date.UTC(2027, 0, 1) - 1)),
  );

  it('for generated learners, ledgers, targets and dates', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(learner, { minLength: 1, maxLength: 6 }), targets, now, async (learners, t, at) => {
        const db = server.store.db;
        const tenantId = `parity-${++run}`;
        await ensureTenant(db, { id: tenantId, name: tenantId, homePage: `https://example.com/${tenantId}` });
        await db.insertInto('learners').values(learners.map((l, i) => ({ tenant_id: tenantId, id: `l${i}`, department: l.department, role: l.role }))).execute();
        const entries = learners.flatMap((l, i) => [...l.required.map((a) => ['required', a] as const), ...l.elective.map((a) => ['elective', a] as const)].map(([kind, amount]) => ({ i, kind, amount })));
        if (entries.length) {
          await db
            .insertInto('ledger')
            .values(entries.map((e) => ({ tenant_id: tenantId, learner_id: `l${e.i}`, period: PERIOD, source: 'adjustment' as const, amount_tenths: e.amount, kind: e.kind, category: null, reason: 'generated', evidence: '{}', created_by: 'test' })))
            .execute();
        }
        const rows = [
          t.all && { group_type: 'all' as const, group_value: '', ...t.all },
          t.ops && { group_type: 'department' as const, group_value: 'ops', ...t.ops },
          t.eng && { group_type: 'role' as const, group_value: 'eng', ...t.eng },
        ].filter((r) => r !== null);
        if (rows.length) {
          await db
            .insertInto('targets')
            .values(rows.map((r) => ({ tenant_id: tenantId, period: PERIOD, group_type: r.group_type, group_value: r.group_value, total_tenths: r.total, required_tenths: r.required })))
            .execute();
        }

        const { rows: twin } = await sql<{ id: string; status: string; projected: number; earned: number; target_group: string | null }>`${standingsCte(tenantId, PERIOD, periodProgress(PERIOD, at).elapsed)}
          select id, status, projected, earned, target_group from classified order by id`.execute(db);
        const ts = await Promise.all(learners.map((_, i) => learnerStanding(db, tenantId, `l${i}`, PERIOD, at)));
        expect(twin.map((r) => ({ id: r.id, status: r.status, projected: r.projected / 10, earned: r.earned / 10, target: r.target_group }))).toEqual(
          ts.map((s, i) => ({ id: `l${i}`, status: s.status, projected: s.projected, earned: s.earned, target: s.target?.groupType ?? null })),
        );
      }),
      { numRuns: 40 },
    );
  });
});
