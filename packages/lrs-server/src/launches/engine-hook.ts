import { Verbs } from '@xcredit/sdk/xapi';
import type { StatementHook } from './hooks.js';
import { foldTimeline, refreshEngagement } from '../credits/engagement.js';
import { periodAt } from '../period.js';
import { changesCredits, COUNTED_VERBS } from '../credits/evidence.js';
import { lockLearner, type CreditEvents } from '../credits/ledger.js';
import { endLaunch } from './sessions.js';

/** Updates the learner's engagement and the ledger in the transaction that stored the batch. */
export const engagementHook =
  (events: CreditEvents): StatementHook =>
  async ({ trx, tenantId, learnerId, courseId, registration, verbs, stored }) => {
    await lockLearner(trx, tenantId, learnerId);
    if (verbs.includes(Verbs.terminated)) await endLaunch(trx, tenantId, registration, stored);
    const period = periodAt(stored).name;
    const own = { registration, stored };
    if (changesCredits(verbs)) await refreshEngagement(trx, tenantId, learnerId, courseId, period, { actor: 'engine', events, own, at: stored });
    else if (verbs.some((v) => COUNTED_VERBS.includes(v))) await foldTimeline(trx, { tenantId, learnerId, courseId, period }, own);
  };
