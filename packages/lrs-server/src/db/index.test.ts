import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { migrate, openStore, pgliteImage, type Store } from './index.js';

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

  it.runIf(postgresUrl)('prepares each parameterized query once per connection, and still runs several statements without parameters in one text', async () => {
    const store = await openStore({ databaseUrl: postgresUrl!, dataDir: 'unused', databasePoolSize: 2 });
    try {
      await store.db.connection().execute(async (conn) => {
        for (let i = 0; i < 3; i++) expect((await sql<{ n: number }>`select ${i}::int + 1 as n`.execute(conn)).rows[0]?.n).toBe(i + 1);
        const { rows } = await sql<{ n: string }>`select count(*) as n from pg_prepared_statements where statement like 'select $1::int + 1 as n%'`.execute(conn);
        expect(rows[0]?.n).toBe('1');
        await sql.raw('create temporary table prepared_probe (x int); insert into prepared_probe values (1); drop table prepared_probe').execute(conn);
      });
    } finally {
      await store.close();
    }
  });

  it('starts a throwaway PGlite from a migrated image: the same schema, nothing left to migrate, and each copy its own', async () => {
    const schema = (store: Store) =>
      sql<{ t: string }>`select table_name || '.' || column_name || ':' || data_type as t from information_schema.columns where table_schema = 'public' order by 1`.execute(store.db).then((r) => r.rows.map((x) => x.t));
    const fresh = await openStore({ dataDir: 'memory://' });
    const image = await pgliteImage();
    const a = await openStore({ dataDir: 'memory://', pgliteImage: image });
    const b = await openStore({ dataDir: 'memory://', pgliteImage: image });
    try {
      expect((await migrate(fresh.db)).length).toBeGreaterThan(10);
      expect(await migrate(a.db)).toEqual([]);
      expect(await schema(a)).toEqual(await schema(fresh));
      await sql`insert into tenants (id, name, home_page) values ('only-a', 'A', 'https://a.example')`.execute(a.db);
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from tenants where id = 'only-a'`.execute(b.db);
      expect(rows[0]?.n).toBe(0);
    } finally {
      await Promise.all([fresh.close(), a.close(), b.close()]);
    }
  });
});
