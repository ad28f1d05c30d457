import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/** LTI 1.3: ltijs's records, registered platforms, resource links, logins, grade targets, rosters; the outbox. */
export const lti: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      // ltijs's own collections (platforms, keys, tokens, nonces, states), one JSON document a row.
      `create table lti_documents ( id bigserial primary key, tenant_id text not null, collection text not null, doc jsonb not null, created_at timestamptz not null default now() )`,
      `create index lti_documents_lookup on lti_documents (collection, created_at)`,
      `create index lti_documents_doc on lti_documents using gin (doc jsonb_path_ops)`,
      `create table lti_platforms ( tenant_id text not null references tenants(id), id text not null, issuer text not null, client_id text not null, name text not null, deployment_ids jsonb not null default '[]', learner_id_claim text not null check (learner_id_claim in ('sub', 'email', 'lis.person_sourcedid')), status text not null check (status in ('active', 'pending')), source text not null check (source in ('admin', 'dynamic')), created_at timestamptz not null default now(), primary key (tenant_id, id), unique (issuer, client_id) )`,
      `create table lti_links ( tenant_id text not null references tenants(id), platform_id text not null, resource_link_id text not null, course_id text not null, context_id text, line_item_url text, created_at timestamptz not null default now(), primary key (tenant_id, platform_id, resource_link_id) )`,
      `create table lti_logins ( tenant_id text not null, state text not null, params jsonb not null, created_at timestamptz not null default now(), primary key (tenant_id, state) )`,
      `create table lti_grade_targets ( tenant_id text not null references tenants(id), platform_id text not null, resource_link_id text not null, lti_user_id text not null, learner_id text not null, course_id text not null, context_id text, line_item_url text, line_items_url text, last_score jsonb, synced_seq bigint not null default 0, updated_at timestamptz not null default now(), primary key (tenant_id, platform_id, resource_link_id, lti_user_id) )`,
      `create index lti_grade_targets_learner on lti_grade_targets (tenant_id, learner_id, course_id)`,
      `create table lti_roster ( tenant_id text not null references tenants(id), platform_id text not null, context_id text not null, lti_user_id text not null, learner_id text, name text, email text, roles jsonb not null default '[]', status text not null default 'Active', synced_at timestamptz not null default now(), primary key (tenant_id, platform_id, context_id, lti_user_id) )`,
      `create table outbox ( id bigserial primary key, tenant_id text not null, kind text not null, dedupe_key text, payload jsonb not null, attempts integer not null default 0, next_attempt_at timestamptz not null default now(), locked_until timestamptz, enqueued_at timestamptz not null default now(), last_error text, done_at timestamptz, created_at timestamptz not null default now() )`,
      `create unique index outbox_pending_key on outbox (tenant_id, kind, dedupe_key) where done_at is null and dedupe_key is not null`,
      `create index outbox_due on outbox (next_attempt_at) where done_at is null`,
    ]);
  },
};
