import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/** Who launched last from each platform, so an admin sees what each learner-id rule would make of them. */
export const ltiLastLaunch: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [`alter table lti_platforms add column last_launch jsonb`]);
  },
};
