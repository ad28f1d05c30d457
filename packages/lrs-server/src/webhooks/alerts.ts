import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { learnerStanding, standing, standingsCte, type Target } from '../credits/targets.js';
import { periodAt, periodProgress } from '../period.js';
import { emit } from './events.js';

type Q = Kysely<Database>;

/** Sends an alert once per learner, period and kind; true when it was sent now. */
async function once(db: Q, tenantId: string, learnerId: string, period: string, kind: string): Promise<boolean> {
  const inserted = await db
    .insertInto('learner_alerts')
    .values({ tenant_id: tenantId, learner_id: learnerId, period, kind })
    .onConflict((oc) => oc.columns(['tenant_id', 'learner_id', 'period', 'kind']).doNothing())
    .returning('kind')
    .execute();
  return inserted.length > 0;
}

/** After a learner's ledger changed: tell subscribers the first time they meet their target. */
export async function checkTargetMet(db: Q, tenantId: string, learnerId: string, period: string, now: Date): Promise<void> {
  const s = await learnerStanding(db, tenantId, learnerId, period, now);
  if (!s.target) return;
  const target = s.target;
  if (s.status === 'met' && (await once(db, tenantId, learnerId, period, 'target_met'))) {
    await emit(db, tenantId, 'learner.target_met', { learnerId, period, earned: s.earned, target: { total: target.total, required: target.required } }, now);
  }
}

/**
 * Looks for learners projected to miss their target this period and tells subscribers, once per
 * learner and period. The server runs it every hour; one query per tenant finds them.
 */
export async function sweepAtRisk(db: Q, now: Date): Promise<number> {
  const current = periodAt(now);
  const period = current.name;
  const { elapsed } = periodProgress(current, now);
  const tenants = await db.selectFrom('targets').select('tenant_id').distinct().where('period', '=', period).execute();
  let sent = 0;
  for (const { tenant_id: tenantId } of tenants) {
    const { rows } = await sql<{ id: string; req: number; ele: number; carried: number; target_total: number; target_required: number; target_group: Target['groupType'] }>`${standingsCte(tenantId, period, elapsed)}
      select c.id, c.req, c.ele, c.carried, c.target_total, c.target_required, c.target_group from classified c
      where c.status = 'at_risk'
        and not exists (select 1 from learner_alerts a where a.tenant_id = ${tenantId} and a.learner_id = c.id and a.period = ${period} and a.kind in ('at_risk', 'target_met'))
      order by c.id`.execute(db);
    for (const r of rows) {
      const learnerId = r.id;
      const target = { period, groupType: r.target_group, groupValue: '', total: r.target_total / 10, required: r.target_required / 10 };
      const s = standing(target, { required: r.req / 10, elective: r.ele / 10, carried: r.carried / 10 }, period, now);
      await db.transaction().execute(async (trx) => {
        if (await once(trx, tenantId, learnerId, period, 'at_risk')) {
          await emit(trx, tenantId, 'learner.at_risk', { learnerId, period, earned: s.earned, projected: s.projected, remaining: s.remaining, requiredRemaining: s.requiredRemaining, daysLeft: s.daysLeft }, now);
          sent++;
        }
      });
    }
  }
  return sent;
}
