import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * Reports, the admin dashboard and certificates: tenant settings (the opt-in leaderboard),
 * dashboard sessions, issued certificates, and indexes the tenant-wide reports read by.
 */
export const reports: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `alter table tenants add column settings jsonb not null default '{}'`,
      `create table admin_sessions (
        token_hash text primary key, tenant_id text not null references tenants(id), client_key text not null,
        csrf_token text not null, created_at timestamptz not null default now(), expires_at timestamptz not null)`,
      `create table certificates (
        tenant_id text not null references tenants(id), id text not null, learner_id text not null, course_id text,
        period text not null, kind text not null check (kind in ('course', 'target')),
        learner_name text not null, title text not null, credits_tenths integer not null,
        issued_at timestamptz not null default now(), issued_by text not null,
        primary key (id),
        foreign key (tenant_id, learner_id) references learners (tenant_id, id))`,
      `create index certificates_learner on certificates (tenant_id, learner_id, period)`,
      `create index ledger_period on ledger (tenant_id, period, learner_id) include (kind, amount_tenths)`,
      `create index engagement_period on engagement (tenant_id, period, course_id)`,
      `create index learners_manager on learners (tenant_id, manager_id) where manager_id is not null`,
    ]);
  },
};
