import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/** Credits imported from an earlier system: their own ledger source, each line once by its external id. */
export const historyImport: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `alter table ledger drop constraint ledger_source_check`,
      `alter table ledger add constraint ledger_source_check check (source in ('video', 'offline', 'make-up', 'growth', 'adjustment', 'import'))`,
      `alter table ledger add column external_id text`,
      `create unique index ledger_import_external on ledger (tenant_id, external_id) where source = 'import'`,
    ]);
  },
};
