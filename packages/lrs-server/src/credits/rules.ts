import type { Db } from '../db/index.js';
import type { CreditEvents } from './ledger.js';
import { recompute } from './recompute.js';

/**
 * The version of the rules that turn statements into credits. When it grows, every tenant's
 * stored credits are recomputed once and each change lands in the ledger as an adjustment that
 * names the rule change, so no credit changes silently.
 */
export const CREDIT_RULES = { version: 3, change: 'playing still under way counts up to the last heartbeat; only the gates that apply are listed' } as const;

export const rulesReason = (rules: { version: number; change: string } = CREDIT_RULES) => `credit rules ${rules.version}: ${rules.change}`;

/** Brings every tenant whose credits were computed with older rules up to `rules`; returns the ledger entries appended. */
export async function upgradeCreditRules(db: Db, events: CreditEvents, rules: { version: number; change: string } = CREDIT_RULES): Promise<number> {
  const tenants = await db
    .selectFrom('tenants as t')
    .leftJoin('credit_rules as r', 'r.tenant_id', 't.id')
    .select(['t.id', 'r.version'])
    .where((eb) => eb.or([eb('r.version', 'is', null), eb('r.version', '<', rules.version)]))
    .execute();
  let entries = 0;
  for (const t of tenants) {
    entries += (await recompute(db, { events, tenantId: t.id, reason: rulesReason(rules) })).ledgerEntries;
    await db
      .insertInto('credit_rules')
      .values({ tenant_id: t.id, version: rules.version })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ version: rules.version, updated_at: new Date() }))
      .execute();
  }
  return entries;
}
