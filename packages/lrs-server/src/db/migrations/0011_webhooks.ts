import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/** Webhook subscriptions, their delivery log, and which learner alerts were already sent. */
export const webhooks: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table webhooks (
        tenant_id text not null references tenants(id), id uuid not null, url text not null, secret text not null,
        events jsonb not null, active boolean not null default true, created_at timestamptz not null default now(),
        primary key (tenant_id, id))`,
      `create table webhook_deliveries (
        tenant_id text not null, id uuid not null, webhook_id uuid not null, event_id uuid not null, event text not null,
        body text not null, status text not null check (status in ('pending', 'delivered', 'failed')),
        attempts integer not null default 0, last_status integer, last_error text,
        created_at timestamptz not null default now(), delivered_at timestamptz,
        primary key (tenant_id, id))`,
      `create index webhook_deliveries_hook on webhook_deliveries (tenant_id, webhook_id, created_at)`,
      `create table learner_alerts (
        tenant_id text not null, learner_id text not null, period text not null, kind text not null, sent_at timestamptz not null default now(),
        primary key (tenant_id, learner_id, period, kind))`,
    ]);
  },
};
