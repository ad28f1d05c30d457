import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * A checkpoint per timeline (tenant × learner × course × period): the evidence the engine has
 * already read, and how far it read, so a batch reads only what arrived since. Indexes for the
 * reads after a checkpoint: a launch's heartbeats by id, and a launch's voided statements.
 */
export const timelineCheckpoints: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table timeline_checkpoints (
        tenant_id text not null,
        learner_id text not null,
        course_id text not null,
        period text not null,
        statement_seq bigint not null,
        heartbeat_id bigint not null,
        voided integer not null,
        statements jsonb not null,
        heartbeats jsonb not null,
        updated_at timestamptz not null default now(),
        primary key (tenant_id, learner_id, course_id, period)
      )`,
      `create index heartbeats_launch_id on heartbeats (tenant_id, registration, id)`,
      `create index statements_launch_voided on statements (tenant_id, launch_registration) where voided and launch_registration is not null`,
    ]);
  },
};
