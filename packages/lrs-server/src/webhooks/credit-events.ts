import type { Clock } from '../clock.js';
import type { CreditSubscriber } from '../credits/ledger.js';
import { checkTargetMet } from './alerts.js';
import { emit } from './events.js';

/**
 * The credits engine's events as webhooks: credits earned, awards requested and decided, and a
 * learner's target met the first time an entry gets them there, dated by the server's clock.
 * The target is checked once per learner and period of a change, after its entries.
 */
export const creditWebhooks = (clock: Clock): CreditSubscriber => async (trx, events) => {
  const now = clock();
  const learners = new Map<string, { tenantId: string; learnerId: string; period: string }>();
  for (const event of events) {
    if (event.type !== 'entry.appended') {
      await emit(trx, event.tenantId, event.type, event.data, now);
      continue;
    }
    const e = event.entry;
    if (e.amountTenths > 0) {
      await emit(trx, e.tenantId, 'credit.earned', {
        learnerId: e.learnerId,
        period: e.period,
        source: e.source,
        credits: e.amountTenths / 10,
        courseId: e.courseId ?? null,
        awardId: e.awardId ?? null,
        reason: e.reason,
      }, now);
    }
    learners.set(`${e.tenantId}|${e.learnerId}|${e.period}`, { tenantId: e.tenantId, learnerId: e.learnerId, period: e.period });
  }
  for (const l of learners.values()) await checkTargetMet(trx, l.tenantId, l.learnerId, l.period, now);
};
