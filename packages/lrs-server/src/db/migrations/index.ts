import type { Migration, MigrationProvider } from 'kysely';
import { foundation } from './0001_foundation.js';

/**
 * Every migration, in order of its name. Never edit one that has shipped: add a file
 * `NNNN_name.ts` and one line here.
 */
const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
