import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * What the full xAPI surface needs beside statements: the keys the agent, related_agents and
 * related_activities filters match, the statement a StatementRef points at, attachment
 * contents, activity definitions, and State / Activity Profile / Agent Profile documents.
 */
export const xapiResources: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `alter table statements add column object_agent_key text`,
      `alter table statements add column object_statement_id uuid`,
      `alter table statements add column related_agents text[]`,
      `alter table statements add column related_activities text[]`,
      `create index statements_object_agent on statements (tenant_id, object_agent_key, seq) where object_agent_key is not null`,
      `create index statements_object_statement on statements (tenant_id, object_statement_id) where object_statement_id is not null`,
      `create index statements_related_agents on statements using gin (related_agents)`,
      `create index statements_related_activities on statements using gin (related_activities)`,
      `create index statements_tenant_stored on statements (tenant_id, stored)`,
      // Append-only: one row per distinct definition seen, so a popular activity is never a hot row.
      `create table xapi_activity_definitions ( tenant_id text not null references tenants(id), activity_id text not null, hash text not null, seq bigserial not null, definition jsonb not null, primary key (tenant_id, activity_id, hash) )`,
      `create table xapi_attachments ( tenant_id text not null references tenants(id), sha2 text not null, content_type text not null, content bytea not null, primary key (tenant_id, sha2) )`,
      `create table xapi_documents ( tenant_id text not null references tenants(id), kind text not null check (kind in ('state', 'activity_profile', 'agent_profile')), activity_id text not null default '', agent_key text not null default '', registration text not null default '', document_id text not null, content_type text not null, content bytea not null, etag text not null, updated timestamptz not null, primary key (tenant_id, kind, activity_id, agent_key, registration, document_id) )`,
    ]);
  },
};
