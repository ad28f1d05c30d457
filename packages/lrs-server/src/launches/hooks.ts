import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** A batch of statements a launch token stored, seen from inside the transaction that stored it. */
export interface StatementsStored {
  trx: Kysely<Database>;
  tenantId: string;
  learnerId: string;
  courseId: string;
  registration: string;
  /** Verb ids of the newly stored statements, in order. */
  verbs: string[];
  /** Receipt time of the batch. */
  stored: Date;
}

export type StatementHook = (event: StatementsStored) => Promise<void>;

/**
 * What must happen in the same transaction as a launch's statements: the credit engine updates
 * engagement and the ledger; LTI enqueues grade passback. A hook that throws rolls the batch back.
 */
export class StatementHooks {
  readonly #hooks: StatementHook[] = [];

  add(hook: StatementHook): this {
    this.#hooks.push(hook);
    return this;
  }

  async run(event: StatementsStored): Promise<void> {
    for (const hook of this.#hooks) await hook(event);
  }
}
