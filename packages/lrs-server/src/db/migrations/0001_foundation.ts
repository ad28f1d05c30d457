import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/** Tenants, clients, learners, courses, launches and statements. */
export const foundation: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table tenants ( id text primary key, name text not null, home_page text not null, created_at timestamptz not null default now() )`,
      `create table clients ( key text primary key, tenant_id text not null references tenants(id), name text not null, secret_hash text not null, scopes jsonb not null, created_at timestamptz not null default now() )`,
      `create index clients_tenant on clients (tenant_id)`,
      `create table learners ( tenant_id text not null references tenants(id), id text not null, created_at timestamptz not null default now(), primary key (tenant_id, id) )`,
      `create table courses ( tenant_id text not null references tenants(id), id text not null, title text not null, activity_id text not null, credits double precision not null check (credits >= 0), kind text not null check (kind in ('required', 'elective')), length_seconds double precision not null check (length_seconds > 0), video_url text, policy jsonb not null default '{}', created_at timestamptz not null default now(), updated_at timestamptz not null default now(), primary key (tenant_id, id), unique (tenant_id, activity_id) )`,
      `create table launches ( tenant_id text not null, registration uuid not null, token_hash text not null unique, learner_id text not null, course_id text not null, created_at timestamptz not null default now(), expires_at timestamptz not null, primary key (tenant_id, registration), foreign key (tenant_id, learner_id) references learners (tenant_id, id), foreign key (tenant_id, course_id) references courses (tenant_id, id) )`,
      `create index launches_learner_course on launches (tenant_id, learner_id, course_id)`,
      `create table statements ( tenant_id text not null references tenants(id), id uuid not null, seq bigserial not null, stored timestamptz not null, verb_id text not null, actor_key text not null, activity_id text, registration uuid, launch_registration uuid, client_key text, voided boolean not null default false, statement jsonb not null, primary key (tenant_id, id) )`,
      `create index statements_tenant_seq on statements (tenant_id, seq)`,
      `create index statements_launch on statements (tenant_id, launch_registration, seq) where launch_registration is not null`,
      `create index statements_actor on statements (tenant_id, actor_key, seq)`,
      `create index statements_activity on statements (tenant_id, activity_id, seq)`,
    ]);
  },
};
