import type { CreditSubscriber } from '../credits/ledger.js';
import { checkTargetMet } from './alerts.js';
import { emit } from './events.js';

/**
 * The credits engine's events as webhooks: credits earned, awards requested and decided, and a
 * learner's target met the first time an entry gets them there.
 */
export const creditWebhooks: CreditSubscriber = async (trx, event) => {
  if (event.type !== 'entry.appended') return emit(trx, event.tenantId, event.type, event.data);
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
    });
  }
  await checkTargetMet(trx, e.tenantId, e.learnerId, e.period);
};
