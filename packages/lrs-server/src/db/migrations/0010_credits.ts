import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * The credit engine: tenant policy defaults, course catalog fields, launch sessions, the
 * engagement cache, the append-only ledger, awards, periods and targets.
 * Credit amounts are stored in tenths (integers) so sums are exact.
 */
export const credits: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `alter table tenants add column policy jsonb not null default '{}'`,
      `alter table courses add column category text`,
      `alter table courses add column questions jsonb not null default '[]'`,
      `alter table courses add column captions_url text`,
      `alter table courses add column make_up_for text`,
      `alter table learners add column display_name text`,
      `alter table learners add column department text`,
      `alter table learners add column role text`,
      `alter table learners add column manager_id text`,
      `alter table launches add column last_heartbeat_at timestamptz`,
      `alter table launches add column ended_at timestamptz`,
      `alter table launches add column superseded_at timestamptz`,
      `create table engagement (
        tenant_id text not null, learner_id text not null, course_id text not null, period text not null,
        coverage double precision not null, attention double precision not null, mastery double precision not null,
        engagement double precision not null, earned_tenths integer not null,
        verified_seconds double precision not null, claimed_seconds double precision not null, sessions integer not null,
        gates jsonb not null, flags jsonb not null, updated_at timestamptz not null default now(),
        primary key (tenant_id, learner_id, course_id, period),
        foreign key (tenant_id, learner_id) references learners (tenant_id, id),
        foreign key (tenant_id, course_id) references courses (tenant_id, id))`,
      `create table ledger (
        tenant_id text not null, id bigserial not null, learner_id text not null, period text not null,
        source text not null check (source in ('video', 'offline', 'make-up', 'growth', 'adjustment')),
        amount_tenths integer not null, course_id text, requirement_id text, award_id uuid,
        category text, kind text not null check (kind in ('required', 'elective')),
        reason text not null, evidence jsonb not null default '{}',
        created_by text not null, approved_by text, created_at timestamptz not null default now(),
        primary key (tenant_id, id),
        foreign key (tenant_id, learner_id) references learners (tenant_id, id))`,
      `create index ledger_learner on ledger (tenant_id, learner_id, period)`,
      `create function ledger_append_only() returns trigger language plpgsql as $$
        begin raise exception 'the ledger is append-only: add a correcting entry instead'; end $$`,
      `create trigger ledger_no_update before update or delete on ledger for each row execute function ledger_append_only()`,
      `create table awards (
        tenant_id text not null, id uuid not null, learner_id text not null, period text not null,
        source text not null check (source in ('offline', 'growth')),
        title text not null, amount_tenths integer not null check (amount_tenths > 0),
        category text, kind text not null check (kind in ('required', 'elective')),
        requirement_id text, external_id text, evidence jsonb not null default '{}',
        status text not null check (status in ('pending', 'approved', 'rejected')),
        decision_reason text, requested_by text not null, decided_by text, decided_at timestamptz,
        created_at timestamptz not null default now(),
        primary key (tenant_id, id),
        foreign key (tenant_id, learner_id) references learners (tenant_id, id))`,
      `create unique index awards_external on awards (tenant_id, external_id) where external_id is not null`,
      `create table award_events (
        tenant_id text not null, id bigserial not null, award_id uuid not null, action text not null,
        actor text not null, reason text, at timestamptz not null default now(),
        primary key (tenant_id, id))`,
      `create table periods (tenant_id text not null, period text not null, closed_at timestamptz, closed_by text, primary key (tenant_id, period))`,
      `create table targets (
        tenant_id text not null, period text not null, group_type text not null check (group_type in ('all', 'department', 'role')),
        group_value text not null, total_tenths integer not null check (total_tenths >= 0), required_tenths integer not null check (required_tenths >= 0),
        updated_at timestamptz not null default now(),
        primary key (tenant_id, period, group_type, group_value))`,
    ]);
  },
};
