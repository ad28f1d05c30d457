import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/** A reminder that a learner's certification (a course with a validity) expires soon. */
export const expiringReminders: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `alter table reminders drop constraint reminders_kind_check`,
      `alter table reminders add constraint reminders_kind_check check (kind in ('deadline', 'at_risk', 'manual', 'digest', 'plan', 'expiring'))`,
    ]);
  },
};
