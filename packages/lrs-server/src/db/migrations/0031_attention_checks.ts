import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * Attention checks the server issues: each learner's play clock on a course (from the heartbeats
 * of all their sessions) with the moment the next check falls due, and every check issued, answered
 * with its nonce.
 */
export const attentionChecks: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table attention_timelines (
        tenant_id text not null, learner_id text not null, course_id text not null,
        played_seconds double precision not null default 0, last_beat_at timestamptz, last_playing boolean not null default false,
        issued integer not null default 0, next_due_seconds double precision not null,
        primary key (tenant_id, learner_id, course_id),
        foreign key (tenant_id, learner_id) references learners (tenant_id, id),
        foreign key (tenant_id, course_id) references courses (tenant_id, id))`,
      `create table attention_checks (
        tenant_id text not null, nonce text not null, registration uuid not null, session_id text not null,
        issued_at timestamptz not null, expires_at timestamptz not null, answered_at timestamptz,
        primary key (tenant_id, nonce),
        foreign key (tenant_id, registration) references launches (tenant_id, registration))`,
      `create index attention_checks_launch on attention_checks (tenant_id, registration, issued_at)`,
    ]);
  },
};
