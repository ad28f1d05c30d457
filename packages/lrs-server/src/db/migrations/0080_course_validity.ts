import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/** Per-course validity: how many months a course's credits stay valid (null: the credit year). */
export const courseValidity: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `alter table courses add column validity_months integer check (validity_months between 1 and 120)`,
      // The validity rule reads a learner's ledger by course across periods.
      `create index ledger_course_periods on ledger (tenant_id, course_id, learner_id, period) where course_id is not null`,
    ]);
  },
};
