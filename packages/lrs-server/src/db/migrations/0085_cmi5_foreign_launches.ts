import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * Launches made for an AU that another LMS launched (cmi5 under any LMS): which LMS, under which
 * of its registrations and activity ids, for which of its actors; one row per xcredit launch.
 */
export const cmi5ForeignLaunches: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table cmi5_foreign_launches (
        tenant_id text not null, registration uuid not null, lms_endpoint text not null, lms_registration text not null,
        lms_activity_id text not null, lms_actor text not null, created_at timestamptz not null default now(),
        primary key (tenant_id, registration),
        foreign key (tenant_id, registration) references launches (tenant_id, registration))`,
      `create index cmi5_foreign_launches_lms on cmi5_foreign_launches (tenant_id, lms_endpoint, lms_registration)`,
    ]);
  },
};
