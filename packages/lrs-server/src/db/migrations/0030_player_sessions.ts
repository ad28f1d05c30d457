import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * Player sessions the server issues per launch, the heartbeats players send (evidence of playing),
 * and the version of the credit rules each tenant's stored credits were computed with.
 */
export const playerSessions: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table player_sessions (
        tenant_id text not null, session_id text not null, registration uuid not null, created_at timestamptz not null default now(),
        primary key (tenant_id, session_id),
        foreign key (tenant_id, registration) references launches (tenant_id, registration))`,
      `create index player_sessions_launch on player_sessions (tenant_id, registration)`,
      `create table heartbeats (
        tenant_id text not null, id bigserial not null, registration uuid not null, session_id text not null,
        received_at timestamptz not null, sent_at timestamptz, media_time double precision not null, playing boolean not null,
        primary key (tenant_id, id),
        foreign key (tenant_id, session_id) references player_sessions (tenant_id, session_id))`,
      `create index heartbeats_launch on heartbeats (tenant_id, registration, received_at)`,
      `create index heartbeats_session on heartbeats (tenant_id, session_id, received_at, id)`,
      `create table credit_rules (tenant_id text primary key references tenants(id), version integer not null, updated_at timestamptz not null default now())`,
    ]);
  },
};
