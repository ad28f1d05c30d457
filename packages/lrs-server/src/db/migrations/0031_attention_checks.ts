import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * Attention checks the server issues: each player session's play clock (from its heartbeats)
 * and its planned checks, issued when the clock reaches them and answered with their nonce.
 */
export const attentionChecks: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table attention_sessions (
        tenant_id text not null, registration uuid not null, session_id text not null,
        played_seconds double precision not null default 0, last_beat_at timestamptz, last_playing boolean not null default false,
        primary key (tenant_id, registration, session_id),
        foreign key (tenant_id, registration) references launches (tenant_id, registration))`,
      `create table attention_checks (
        tenant_id text not null, nonce text not null, registration uuid not null, session_id text not null,
        due_seconds double precision not null, issued_at timestamptz, expires_at timestamptz, answered_at timestamptz,
        primary key (tenant_id, nonce),
        foreign key (tenant_id, registration, session_id) references attention_sessions (tenant_id, registration, session_id))`,
      `create index attention_checks_launch on attention_checks (tenant_id, registration, session_id, due_seconds)`,
    ]);
  },
};
