import { sql, type Kysely } from 'kysely';

/** Runs statements one per query: PGlite's extended protocol takes a single statement at a time. */
export async function runAll(db: Kysely<any>, statements: string[]): Promise<void> {
  for (const text of statements) await sql.raw(text).execute(db);
}
