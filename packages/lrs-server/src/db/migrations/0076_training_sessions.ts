import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * Offline training: sessions of a course (when, where, who trains, the share a learner must
 * attend), each learner's attendance in one, and every accepted check-in and check-out scan.
 */
export const trainingSessions: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table training_sessions (
        tenant_id text not null references tenants(id), id uuid not null, course_id text not null,
        starts_at timestamptz not null, ends_at timestamptz not null, location text not null, trainer text not null,
        min_share real not null check (min_share > 0 and min_share <= 1),
        grace_minutes integer not null check (grace_minutes >= 0),
        status text not null default 'scheduled' check (status in ('scheduled', 'open', 'closed')),
        opened_at timestamptz, closed_at timestamptz, closed_by text,
        created_by text not null, created_at timestamptz not null default now(),
        primary key (tenant_id, id),
        foreign key (tenant_id, course_id) references courses (tenant_id, id),
        check (ends_at > starts_at))`,
      `create index training_sessions_course on training_sessions (tenant_id, course_id, starts_at)`,
      `create index training_sessions_open on training_sessions (status, ends_at) where status <> 'closed'`,
      `create table attendance (
        tenant_id text not null, session_id uuid not null, learner_id text not null,
        checked_in_at timestamptz not null, checked_out_at timestamptz,
        attended_minutes integer, late_minutes integer, early_minutes integer,
        credited_tenths integer, award_id uuid, outcome text,
        primary key (tenant_id, session_id, learner_id),
        foreign key (tenant_id, session_id) references training_sessions (tenant_id, id),
        foreign key (tenant_id, learner_id) references learners (tenant_id, id))`,
      `create table attendance_scans (
        tenant_id text not null, id bigint generated always as identity, session_id uuid not null, learner_id text not null,
        action text not null check (action in ('in', 'out')), code_step bigint not null, registration uuid not null,
        at timestamptz not null,
        primary key (tenant_id, id),
        foreign key (tenant_id, session_id) references training_sessions (tenant_id, id))`,
      `create index attendance_scans_session on attendance_scans (tenant_id, session_id, learner_id)`,
    ]);
  },
};
