import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/** One certificate per achievement, even when two requests to issue it race. */
export const certificatesOnce: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [`create unique index certificates_once on certificates (tenant_id, learner_id, period, kind, coalesce(course_id, ''))`]);
  },
};
