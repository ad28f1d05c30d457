import { DEFAULT_POLICY, type CreditPolicy } from '@xcredit/sdk/engagement';
import type { policyInput } from '@xcredit/sdk/contracts';
import { sql, type RawBuilder } from 'kysely';
import type { z } from 'zod';

export type PolicyInput = z.infer<typeof policyInput>;

/** The effective policy of a course: the defaults, the tenant's overrides, then the course's. */
export function effectivePolicy(overrides: PolicyInput | Record<string, unknown> | null | undefined, tenantDefaults?: PolicyInput | Record<string, unknown>): CreditPolicy {
  if (tenantDefaults && Object.keys(tenantDefaults).length) {
    const t = tenantDefaults as PolicyInput;
    const c = (overrides ?? {}) as PolicyInput;
    return effectivePolicy({ ...t, ...c, weights: { ...t.weights, ...c.weights }, gates: { ...t.gates, ...c.gates } });
  }
  const o = (overrides ?? {}) as PolicyInput;
  return {
    ...DEFAULT_POLICY,
    ...stripUndefined({
      maxRate: o.maxRate,
      slackSeconds: o.slackSeconds,
      evidenceSeconds: o.evidenceSeconds,
      offlineGraceSeconds: o.offlineGraceSeconds,
      seekLock: o.seekLock,
      pauseWhenHidden: o.pauseWhenHidden,
      idleSeconds: o.idleSeconds,
      promptTimeoutSeconds: o.promptTimeoutSeconds,
      attentionChecks: o.attentionChecks,
      maxAttempts: o.maxAttempts,
      sessionMode: o.sessionMode,
    }),
    weights: { ...DEFAULT_POLICY.weights, ...stripUndefined(o.weights ?? {}) },
    gates: { ...DEFAULT_POLICY.gates, ...stripUndefined(o.gates ?? {}) },
  };
}

/**
 * One gate of a course's effective policy, in SQL over `courses as c` joined to `tenants as t`:
 * the course's override, else the tenant's, else the default, as `effectivePolicy` merges them.
 *
 * @example
 * sql`select c.id, ${effectiveGateSql('coverage')} as gate from courses c join tenants t on t.id = c.tenant_id`
 */
export function effectiveGateSql(gate: keyof CreditPolicy['gates']): RawBuilder<number> {
  return sql<number>`coalesce((c.policy -> 'gates' ->> ${gate})::float8, (t.policy -> 'gates' ->> ${gate})::float8, ${DEFAULT_POLICY.gates[gate]}::float8)`;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
