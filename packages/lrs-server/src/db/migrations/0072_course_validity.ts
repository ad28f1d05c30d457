import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/** A course whose credits stay valid for a number of months (a certification), beyond the year they were earned in. */
export const courseValidity: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [`alter table courses add column validity_months integer check (validity_months between 1 and 120)`]);
  },
};
