import type { CreditEvents } from '../credits/ledger.js';
import type { Db } from '../db/index.js';
import type { LtijsProvider } from './ltijs.js';

/** What every LTI handler works with: the store, the public URL, ltijs and the outbox's wake-up. */
export interface LtiContext {
  db: Db;
  config: { readonly publicUrl: string };
  provider: LtijsProvider;
  /** Where a launch's credit changes are announced. */
  events: CreditEvents;
  /** Wakes the outbox worker (a grade may be owed). */
  kick(): void;
}
