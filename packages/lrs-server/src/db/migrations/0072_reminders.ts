import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * Reminders by email: each learner's address, language and opt-out, a manager's address when the
 * manager is not a learner, the tenant's mail server (password encrypted with XCREDIT_SECRET_KEY),
 * and every send, once per idempotency key (learner × kind × period × window).
 */
export const reminders: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `alter table learners add column email text`,
      `alter table learners add column language text check (language in ('en', 'zh'))`,
      `alter table learners add column manager_email text`,
      `alter table learners add column reminders_opt_out boolean not null default false`,
      `create table mail_settings (
        tenant_id text not null primary key references tenants(id),
        enabled boolean not null default false, host text not null, port integer not null check (port between 1 and 65535),
        secure boolean not null default false, username text, password jsonb, from_address text not null,
        language text not null default 'en' check (language in ('en', 'zh')),
        deadline_days integer not null default 30 check (deadline_days between 1 and 365),
        updated_at timestamptz not null default now())`,
      `create table reminders (
        tenant_id text not null, id uuid not null, idempotency_key text not null,
        kind text not null check (kind in ('deadline', 'at_risk', 'manual', 'digest')),
        learner_id text, manager_id text, recipient text not null, language text not null, period text not null, time_window text not null,
        subject text not null, body text not null, status text not null check (status in ('queued', 'delivered', 'failed')),
        attempts integer not null default 0, last_error text, message_id text, requested_by text not null,
        created_at timestamptz not null default now(), sent_at timestamptz,
        primary key (tenant_id, id))`,
      `create unique index reminders_once on reminders (tenant_id, idempotency_key)`,
      `create index reminders_learner on reminders (tenant_id, learner_id, created_at)`,
    ]);
  },
};
