import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTenant } from '../auth/clients.js';
import { startTestServer, type Engine, type TestServer } from '../testing.js';
import { policyInput } from '@xcredit/sdk/contracts';
import { effectiveGateSql, effectivePolicy } from './policy.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe('a course policy', () => {
  it('refuses a gate outside 0–1, naming it', () => {
    const parsed = policyInput.safeParse({ gates: { coverage: 1.5 } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['gates', 'coverage']);
  });
});

describe.each(engines)('the effective gates in TypeScript and in SQL agree on %s', (engine) => {
  let server: TestServer;
  let run = 0;
  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
  });
  afterAll(() => server?.close());

  const unit = fc.double({ min: 0, max: 1, noNaN: true });
  const gates = fc.record({ coverage: unit, mastery: unit, minStudyMinutes: fc.integer({ min: 0, max: 600 }) }, { requiredKeys: [] });
  const policy = fc.option(fc.record({ gates, maxRate: fc.constantFrom(1, 2) }, { requiredKeys: [] }), { nil: undefined });

  it('for generated tenant and course overrides', async () => {
    await fc.assert(
      fc.asyncProperty(policy, fc.array(policy, { minLength: 1, maxLength: 4 }), async (tenantPolicy, coursePolicies) => {
        const db = server.store.db;
        const tenantId = `gates-${++run}`;
        await ensureTenant(db, { id: tenantId, name: tenantId, homePage: `https://example.com/${tenantId}` });
        await db.updateTable('tenants').set({ policy: JSON.stringify(tenantPolicy ?? {}) }).where('id', '=', tenantId).execute();
        await db
          .insertInto('courses')
          .values(coursePolicies.map((p, i) => ({ tenant_id: tenantId, id: `c${i}`, title: 'Course', activity_id: `https://example.com/${tenantId}/c${i}`, credits: 1, kind: 'elective' as const, length_seconds: 60, policy: JSON.stringify(p ?? {}) })))
          .execute();
        const { rows } = await sql<{ coverage: number; mastery: number; minStudyMinutes: number }>`
          select ${effectiveGateSql('coverage')} as coverage, ${effectiveGateSql('mastery')} as mastery, ${effectiveGateSql('minStudyMinutes')} as "minStudyMinutes"
          from courses c join tenants t on t.id = c.tenant_id where c.tenant_id = ${tenantId} order by c.id`.execute(db);
        expect(rows).toEqual(coursePolicies.map((p) => effectivePolicy(p, tenantPolicy).gates));
      }),
      { numRuns: 30 },
    );
  });
});
