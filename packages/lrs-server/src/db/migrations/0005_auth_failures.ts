import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * Failed sign-ins, one counter per client key (hashed) and per source address, so every server
 * process on the database shares one lockout; rows older than the window are swept.
 */
export const authFailures: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table auth_failures ( subject text primary key, window_start timestamptz not null, failures integer not null check (failures > 0) )`,
      `create index auth_failures_window on auth_failures (window_start)`,
    ]);
  },
};
