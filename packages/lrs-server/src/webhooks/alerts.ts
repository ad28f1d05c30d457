import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { learnerStanding } from '../credits/targets.js';
import { periodAt } from '../period.js';
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
 * learner and period. The server runs it every hour.
 */
export async function sweepAtRisk(db: Q, now: Date): Promise<number> {
  const period = periodAt(now).name;
  const tenants = await db.selectFrom('targets').select('tenant_id').distinct().where('period', '=', period).execute();
  let sent = 0;
  for (const { tenant_id: tenantId } of tenants) {
    const learners = await db
      .selectFrom('learners as l')
      .select('l.id')
      .where('l.tenant_id', '=', tenantId)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('learner_alerts as a').select('a.kind').whereRef('a.tenant_id', '=', 'l.tenant_id').whereRef('a.learner_id', '=', 'l.id').where('a.period', '=', period).where('a.kind', 'in', ['at_risk', 'target_met']))),
      )
      .execute();
    for (const { id: learnerId } of learners) {
      const s = await learnerStanding(db, tenantId, learnerId, period, now);
      if (s.status !== 'at_risk') continue;
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
