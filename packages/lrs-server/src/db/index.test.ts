import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { openStore } from './index.js';

const postgresUrl = inject('postgresUrl');

describe('openStore', () => {
  it.runIf(postgresUrl)('reads int8 exactly (a string) and timestamps as Date on PostgreSQL, without changing the process-wide pg parsers', async () => {
    const before = pg.types.getTypeParser(pg.types.builtins.INT8);
    const store = await openStore({ databaseUrl: postgresUrl!, dataDir: 'unused' });
    try {
      const { rows } = await sql<{ big: unknown; ts: unknown }>`select 9007199254740993::int8 as big, now() as ts`.execute(store.db);
      expect(rows[0]?.big).toBe('9007199254740993');
      expect(rows[0]?.ts).toBeInstanceOf(Date);
    } finally {
      await store.close();
    }
    expect(pg.types.getTypeParser(pg.types.builtins.INT8)).toBe(before);
  });
});
