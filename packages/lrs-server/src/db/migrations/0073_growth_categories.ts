import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * Growth credits by category: the tenant's list with an optional yearly cap per learner, the part
 * of an award actually credited (a cap may cut it), and evidence files kept in the database.
 */
export const growthCategories: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table growth_categories (
        tenant_id text not null references tenants(id), id text not null, name text not null,
        yearly_cap_tenths integer check (yearly_cap_tenths >= 0), updated_at timestamptz not null default now(),
        primary key (tenant_id, id))`,
      `alter table awards add column credited_tenths integer`,
      `alter table awards add column cap_note text`,
      `create table award_files (
        tenant_id text not null, id uuid not null, award_id uuid not null, file_name text not null, content_type text not null,
        size integer not null, data bytea not null, uploaded_by text not null, created_at timestamptz not null default now(),
        primary key (tenant_id, id),
        foreign key (tenant_id, award_id) references awards (tenant_id, id))`,
      `create index award_files_award on award_files (tenant_id, award_id)`,
    ]);
  },
};
