import { Verbs } from '@xcredit/sdk/xapi';
import type { StatementHook } from './hooks.js';
import { periodOf, refreshEngagement } from '../credits/engagement.js';
import { changesCredits } from '../credits/evidence.js';
import { lockLearner, type CreditEvents } from '../credits/ledger.js';
import { endLaunch } from './sessions.js';

/** Updates the learner's engagement and the ledger in the transaction that stored the batch. */
export const engagementHook =
  (events: CreditEvents): StatementHook =>
  async ({ trx, tenantId, learnerId, courseId, registration, verbs, stored }) => {
    await lockLearner(trx, tenantId, learnerId);
    if (verbs.includes(Verbs.terminated)) await endLaunch(trx, tenantId, registration, stored);
    if (changesCredits(verbs)) await refreshEngagement(trx, tenantId, learnerId, courseId, periodOf(stored), { actor: 'engine', events });
  };
