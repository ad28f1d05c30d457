import { sql, type Kysely, type Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * Statements partitioned by month of `stored` (see xapi/partitions.ts), so old months can be
 * archived and dropped whole. A unique index of a partitioned table must hold the partition key,
 * so the ids move to `statement_ids`, filled by a trigger that skips a row whose id is taken.
 * The rows are copied into the new table with their `seq`, which keeps its sequence.
 */
export const statementPartitions: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table statement_ids (tenant_id text not null, id uuid not null, stored timestamptz not null, primary key (tenant_id, id))`,
      `create table statement_archives (
        month timestamptz primary key, rows bigint not null, file text not null, sha256 text not null,
        archived_at timestamptz not null default now(), restored_at timestamptz)`,
      `alter table statements rename to statements_unpartitioned`,
      `alter sequence statements_seq_seq owned by none`,
      `create table statements (
        tenant_id text not null references tenants(id), id uuid not null, seq bigint not null default nextval('statements_seq_seq'),
        stored timestamptz not null, verb_id text not null, actor_key text not null, activity_id text, registration uuid,
        launch_registration uuid, client_key text, voided boolean not null default false, statement jsonb not null,
        object_agent_key text, object_statement_id uuid, related_agents text[], related_activities text[]
      ) partition by range (stored)`,
      `alter sequence statements_seq_seq owned by statements.seq`,
      `create table statements_default partition of statements default`,
    ]);
    const held = await sql<{ month: Date }>`select distinct date_trunc('month', stored, 'UTC') as month from statements_unpartitioned`.execute(db);
    const months = new Map<number, Date>();
    for (const { month } of held.rows) months.set(new Date(month).getTime(), new Date(month));
    // This month and the next; the server makes later ones as time goes by.
    for (const shift of [0, 1]) months.set(monthStart(new Date(), shift).getTime(), monthStart(new Date(), shift));
    await runAll(db, [...months.values()].sort((a, b) => a.getTime() - b.getTime()).map(createMonth));
    await runAll(db, [
      `insert into statements (tenant_id, id, seq, stored, verb_id, actor_key, activity_id, registration, launch_registration, client_key, voided, statement, object_agent_key, object_statement_id, related_agents, related_activities)
        select tenant_id, id, seq, stored, verb_id, actor_key, activity_id, registration, launch_registration, client_key, voided, statement, object_agent_key, object_statement_id, related_agents, related_activities
        from statements_unpartitioned`,
      `insert into statement_ids (tenant_id, id, stored) select tenant_id, id, stored from statements_unpartitioned`,
      `drop table statements_unpartitioned`,
      `alter table statements add primary key (tenant_id, id, stored)`,
      `create index statements_tenant_seq on statements (tenant_id, seq)`,
      `create index statements_launch on statements (tenant_id, launch_registration, seq) where launch_registration is not null`,
      `create index statements_actor on statements (tenant_id, actor_key, seq)`,
      `create index statements_activity on statements (tenant_id, activity_id, seq)`,
      `create index statements_object_agent on statements (tenant_id, object_agent_key, seq) where object_agent_key is not null`,
      `create index statements_object_statement on statements (tenant_id, object_statement_id) where object_statement_id is not null`,
      `create index statements_related_agents on statements using gin (related_agents)`,
      `create index statements_related_activities on statements using gin (related_activities)`,
      `create index statements_tenant_stored on statements (tenant_id, stored)`,
      `create index statements_launch_voided on statements (tenant_id, launch_registration) where voided and launch_registration is not null`,
      // An id is claimed once, whichever partition its statement lands in; a row whose id is taken
      // is skipped (the writer then compares it with the stored one: same, or a 409).
      `create function statements_claim_id() returns trigger language plpgsql as $$
        begin
          insert into statement_ids (tenant_id, id, stored) values (new.tenant_id, new.id, new.stored) on conflict do nothing;
          if found then return new; end if;
          return null;
        end $$`,
      `create trigger statements_claim_id before insert on statements for each row execute function statements_claim_id()`,
      // Only the voided flag of a stored statement changes: its keys are what statement_ids holds.
      `create function statements_keys_fixed() returns trigger language plpgsql as $$
        begin
          raise exception 'a stored statement keeps its tenant, id and stored time (statement %)', old.id using errcode = 'check_violation';
        end $$`,
      `create trigger statements_keys_fixed before update on statements for each row
        when (old.tenant_id is distinct from new.tenant_id or old.id is distinct from new.id or old.stored is distinct from new.stored)
        execute function statements_keys_fixed()`,
    ]);
  },
};

const monthStart = (instant: Date, shift: number) => new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth() + shift, 1));

/** As xapi/partitions.ts names and bounds a month (copied: a migration never changes). */
function createMonth(month: Date): string {
  const name = `statements_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
  return `create table ${name} partition of statements for values from ('${month.toISOString()}') to ('${monthStart(month, 1).toISOString()}')`;
}
