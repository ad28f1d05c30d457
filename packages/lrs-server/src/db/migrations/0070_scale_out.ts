import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * What server processes on one database share instead of keeping it in memory: each process's
 * statement write horizon (for `X-Experience-API-Consistent-Through`) and the periodic jobs'
 * claims (each run by one process).
 */
export const scaleOut: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table xapi_write_horizons (
        process_id text primary key,
        horizon timestamptz not null,
        expires_at timestamptz not null
      )`,
      `create table schedules (
        name text primary key,
        next_run_at timestamptz not null,
        locked_until timestamptz,
        locked_by text,
        last_run_at timestamptz,
        runs bigint not null default 0
      )`,
    ]);
  },
};
