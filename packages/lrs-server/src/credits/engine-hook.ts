import { Verbs } from '@xcredit/sdk/xapi';
import type { StatementHook } from './hooks.js';
import { refreshEngagement } from './engagement.js';
import { periodAt } from '../period.js';
import { lockLearner } from './ledger.js';
import { endLaunch } from './sessions.js';

const COUNTED = new Set<string>([Verbs.played, Verbs.paused, Verbs.seeked, Verbs.completed, Verbs.terminated, Verbs.answered]);

/** Updates the learner's engagement and the ledger in the transaction that stored the batch. */
export const engagementHook: StatementHook = async ({ trx, tenantId, learnerId, courseId, registration, verbs, stored }) => {
  await lockLearner(trx, tenantId, learnerId);
  if (verbs.includes(Verbs.terminated)) await endLaunch(trx, tenantId, registration, stored);
  if (verbs.some((v) => COUNTED.has(v))) await refreshEngagement(trx, tenantId, learnerId, courseId, periodAt(stored).name, { actor: 'engine' });
};
