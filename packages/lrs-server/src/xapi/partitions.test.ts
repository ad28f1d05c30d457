import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync, createGunzip } from 'node:zlib';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { creditEvents } from '../app.js';
import { DEFAULT_TENANT, ensureTenant } from '../auth/clients.js';
import { prepareStoreCommand, UsageError, withAbsolutePaths } from '../commands.js';
import { recompute } from '../credits/recompute.js';
import { migrate, openStore, type Store } from '../db/index.js';
import { migrationProvider } from '../db/migrations/index.js';
import { adminCall, createTestDatabase, FIRE_COURSE, startServerWithCourses, watchCourse, type Engine, type TestServer } from '../testing.js';
import { ArchiveError, archiveStatements, parseMonth, restoreStatements } from './archive.js';
import { ensureMonth, ensureStatementPartitions, monthPartitions } from './partitions.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const at = (iso: string) => new Date(iso);

describe.each(engines)('statements partitioned by month on %s', (engine) => {
  let server: TestServer;
  let dir: string;
  const call = adminCall(() => server);
  const db = () => server.store.db;
  const xapi = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/xapi${path}`, {
      ...init,
      headers: { authorization: server.admin.authorization, 'x-experience-api-version': '2.0.0', 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
    });
  const statement = (id: string, verb = 'http://adlnet.gov/expapi/verbs/experienced') => ({
    id,
    actor: { mbox: 'mailto:ana@example.com' },
    verb: { id: verb },
    object: { id: 'https://example.com/activities/partitions' },
  });
  const post = async (s: object) => (await xapi('/statements', { method: 'POST', body: JSON.stringify(s) })).status;
  const get = async (id: string) => {
    const res = await xapi(`/statements?statementId=${id}`);
    return { status: res.status, body: res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined };
  };
  /** The partitions a statement id's rows are in. */
  const partitionsOf = async (id: string) => (await sql<{ part: string }>`select tableoid::regclass::text as part from statements where id = ${id}`.execute(db())).rows.map((r) => r.part);
  const credits = async (learner: string, period: string) => ((await call('GET', `/learners/${learner}/credits?period=${period}`)) as { earned: number }).earned;

  beforeAll(async () => {
    server = await startServerWithCourses({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true, courses: { fire: FIRE_COURSE } });
    dir = await mkdtemp(join(tmpdir(), 'xcredit-archive-'));
  });
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps an id once across months: a repeat stored in another month is the same statement (no-op) or a 409', async () => {
    const id = randomUUID();
    const thisMonth = server.clock!();
    expect(await post(statement(id))).toBe(200);
    expect(await partitionsOf(id)).toEqual([`statements_${thisMonth.getUTCFullYear()}_${String(thisMonth.getUTCMonth() + 1).padStart(2, '0')}`]);
    server.clock!.set(at('2030-05-10T10:00:00Z'));
    expect(await post(statement(id))).toBe(200);
    expect(await post(statement(id, 'http://adlnet.gov/expapi/verbs/failed'))).toBe(409);
    expect(await partitionsOf(id)).toHaveLength(1);
    const ids = await db().selectFrom('statement_ids').select('stored').where('id', '=', id).execute();
    expect(ids).toHaveLength(1);
    // A month with no partition yet: the default one holds it.
    const later = randomUUID();
    expect(await post(statement(later))).toBe(200);
    expect(await partitionsOf(later)).toEqual(['statements_default']);
    // A direct insert of a taken id is skipped as well, whatever month it names.
    await sql`insert into statements (tenant_id, id, stored, verb_id, actor_key, statement) values ('default', ${id}, ${at('2031-07-01T00:00:00Z')}, 'v', 'a', '{}')`.execute(db());
    expect(await partitionsOf(id)).toHaveLength(1);
  });

  it('makes a month when it is due, moving its rows out of the default partition', async () => {
    const id = randomUUID();
    expect(await post(statement(id))).toBe(200);
    expect(await partitionsOf(id)).toEqual(['statements_default']);
    expect(await ensureMonth(db(), at('2030-05-01T00:00:00Z'))).toBe(true);
    expect(await partitionsOf(id)).toEqual(['statements_2030_05']);
    expect((await sql<{ n: number }>`select count(*)::int as n from statements_default where stored >= '2030-05-01Z' and stored < '2030-06-01Z'`.execute(db())).rows[0]!.n).toBe(0);
    expect((await get(id)).status).toBe(200);
    expect(await ensureMonth(db(), at('2030-05-01T00:00:00Z'))).toBe(false);
    // This month is there now; the next is made ahead.
    expect(await ensureStatementPartitions(db(), server.clock!())).toEqual(['statements_2030_06']);
    // Writers keep writing while it happens.
    const more = Array.from({ length: 20 }, () => randomUUID());
    const [statuses] = await Promise.all([Promise.all(more.map((m) => post(statement(m)))), ensureMonth(db(), at('2030-07-01T00:00:00Z'))]);
    expect(statuses).toEqual(Array(20).fill(200));
  });

  it('refuses to change the tenant, id or stored time of a stored statement', async () => {
    const id = randomUUID();
    expect(await post(statement(id))).toBe(200);
    await expect(sql`update statements set stored = stored + interval '40 days' where id = ${id}`.execute(db())).rejects.toThrow(/keeps its tenant, id and stored time/);
    await sql`update statements set voided = voided where id = ${id}`.execute(db());
  });

  it('archives whole months before a date, keeps their ids and credits, and loads them back as they were', async () => {
    // A year of learning: credits from a watched course, and a plain statement.
    server.clock!.set(at('2029-03-10T09:00:00Z'));
    await watchCourse(server, 'ann', 'fire', 120);
    const kept = randomUUID();
    expect(await post(statement(kept))).toBe(200);
    const before = (await get(kept)).body!;
    const earned = await credits('ann', '2029');
    expect(earned).toBeGreaterThan(0);

    // Not the current period, and only whole months.
    server.clock!.set(at('2029-09-01T00:00:00Z'));
    await expect(archiveStatements(db(), { before: at('2029-06-01T00:00:00Z'), dir, now: server.clock!() })).rejects.toThrow(/past the start of the current period 2029/);
    expect(() => parseMonth('2029-06-15')).toThrow(ArchiveError);
    expect(() => parseMonth('2029-13')).toThrow(/first day of a month/);

    server.clock!.set(at('2031-02-01T00:00:00Z'));
    const printed: string[] = [];
    const done = await archiveStatements(db(), { before: at('2030-01-01T00:00:00Z'), dir, now: server.clock!(), print: (l) => printed.push(l) });
    const march = done.find((d) => d.month === '2029-03')!;
    expect(march.rows).toBe(3); // played and completed, and the plain one
    expect(done.every((d) => d.month < '2030-01')).toBe(true);
    expect(printed.join('\n')).toMatch(/^2029-03: \d+ statements → .*statements-2029-03\.jsonl\.gz/m);
    expect((await monthPartitions(db())).filter((p) => p.month < at('2030-01-01T00:00:00Z'))).toEqual([]);

    // The file holds every row as stored, the one we kept among them.
    const lines: Record<string, unknown>[] = [];
    for await (const line of createInterface({ input: createReadStream(march.file).pipe(createGunzip()) })) lines.push(JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(march.rows);
    expect(lines.find((l) => l.id === kept)).toMatchObject({ tenant_id: 'default', verb_id: 'http://adlnet.gov/expapi/verbs/experienced', statement: { id: kept } });

    // Gone from the LRS; its id stays taken.
    expect((await get(kept)).status).toBe(404);
    const again = await xapi('/statements', { method: 'POST', body: JSON.stringify(statement(kept)) });
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/archived; its id cannot be used again/);

    // Credits stay: reading the explanation, or a recompute, does not take them away.
    const explained = await call('GET', '/learners/ann/courses/fire/engagement?period=2029');
    expect(explained.flags.map((f: { code: string }) => f.code)).toContain('evidence_archived');
    const result = await recompute(db(), { events: creditEvents(server.clock!), tenantId: 'default' });
    expect(result.frozen).toBeGreaterThan(0);
    expect(result.ledgerEntries).toBe(0);
    expect(await credits('ann', '2029')).toBe(earned);

    // Loaded back: the same statement, byte for byte, and the period is live again.
    expect(await restoreStatements(db(), march.file)).toEqual({ month: '2029-03', rows: march.rows });
    expect((await get(kept)).body).toEqual(before);
    expect((await db().selectFrom('statement_archives').select('restored_at').where('month', '=', at('2029-03-01T00:00:00Z')).executeTakeFirstOrThrow()).restored_at).not.toBeNull();
    expect((await recompute(db(), { events: creditEvents(server.clock!), tenantId: 'default' })).ledgerEntries).toBe(0);
    expect(await credits('ann', '2029')).toBe(earned);

    // A month that is there already is not loaded twice; a file that is not the archive is refused.
    await expect(restoreStatements(db(), march.file)).rejects.toThrow(/has a partition in the database already/);
    const other = await mkdtemp(join(tmpdir(), 'xcredit-forged-'));
    await writeFile(join(other, 'statements-2029-03.jsonl.gz'), gzipSync(`${JSON.stringify(lines[0])}\n`));
    await expect(restoreStatements(db(), join(other, 'statements-2029-03.jsonl.gz'))).rejects.toThrow(/SHA-256 differs/);
    await expect(restoreStatements(db(), join(other, 'statements-03.jsonl.gz'))).rejects.toThrow(/named statements-YYYY-MM/);
    await expect(restoreStatements(db(), join(other, 'statements-2028-03.jsonl.gz'))).rejects.toThrow(/no such file/);
    await rm(other, { recursive: true, force: true });
  });

  it('finishes an archive run that was cut short after taking a month out', async () => {
    const rows = Number((await sql<{ n: string }>`select count(*) as n from statements_2030_05`.execute(db())).rows[0]!.n);
    expect(rows).toBeGreaterThan(0);
    await sql`alter table statements detach partition statements_2030_05`.execute(db());
    expect((await monthPartitions(db())).find((p) => p.name === 'statements_2030_05')).toMatchObject({ attached: false });
    const done = await archiveStatements(db(), { before: at('2030-06-01T00:00:00Z'), dir, now: server.clock!() });
    expect(done.find((d) => d.month === '2030-05')).toMatchObject({ rows });
    expect((await monthPartitions(db())).find((p) => p.name === 'statements_2030_05')).toBeUndefined();
    expect((await readdir(dir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});

describe.each(engines)('moving an existing statements table into partitions on %s', (engine) => {
  let store: Store;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (engine === 'postgres') {
      const database = await createTestDatabase(inject('postgresUrl')!);
      drop = database.drop;
      store = await openStore({ dataDir: 'memory://', databaseUrl: database.url });
    } else {
      store = await openStore({ dataDir: 'memory://' });
    }
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  it('copies every row into its month with its seq, claims its id, and goes on numbering after it', async () => {
    const migrator = new Migrator({ db: store.db, provider: migrationProvider, migrationTableName: 'xcredit_migrations', migrationLockTableName: 'xcredit_migrations_lock', allowUnorderedMigrations: true });
    const { error } = await migrator.migrateTo('0085_cmi5_foreign_launches');
    expect(error).toBeUndefined();
    await ensureTenant(store.db, DEFAULT_TENANT);
    const old = [at('2024-02-03T04:05:06.789Z'), at('2024-02-28T23:59:59.999Z'), at('2025-11-30T12:00:00Z')].map((stored) => ({ id: randomUUID(), stored }));
    for (const o of old) {
      await sql`insert into statements (tenant_id, id, stored, verb_id, actor_key, statement) values ('default', ${o.id}, ${o.stored}, 'v', 'a', ${JSON.stringify({ id: o.id })})`.execute(store.db);
    }
    const seqs = (await sql<{ id: string; seq: string }>`select id, seq from statements order by seq`.execute(store.db)).rows;
    await migrate(store.db);
    const after = (await sql<{ id: string; seq: string; part: string }>`select id, seq, tableoid::regclass::text as part from statements order by seq`.execute(store.db)).rows;
    expect(after.map((r) => [r.id, r.seq])).toEqual(seqs.map((r) => [r.id, r.seq]));
    expect(after.map((r) => r.part)).toEqual(['statements_2024_02', 'statements_2024_02', 'statements_2025_11']);
    expect(await store.db.selectFrom('statement_ids').select(['id']).orderBy('stored').execute()).toEqual(old.map((o) => ({ id: o.id })));
    const fresh = randomUUID();
    await sql`insert into statements (tenant_id, id, stored, verb_id, actor_key, statement) values ('default', ${fresh}, now(), 'v', 'a', '{}')`.execute(store.db);
    const next = (await sql<{ seq: string }>`select seq from statements where id = ${fresh}`.execute(store.db)).rows[0]!.seq;
    expect(BigInt(next)).toBeGreaterThan(BigInt(seqs[seqs.length - 1]!.seq));
  });
});

describe('archive commands', () => {
  it('says what is wrong with a command line before opening the database', () => {
    expect(() => prepareStoreCommand('archive-statements', [])).toThrow(UsageError);
    expect(() => prepareStoreCommand('archive-statements', ['--before', '2025-02-03', '--to', 'x'])).toThrow(/--before "2025-02-03" must be the first day of a month/);
    expect(() => prepareStoreCommand('restore-statements', [])).toThrow(/needs --from/);
    expect(() => prepareStoreCommand('archive-statements', ['--before', '2025-02', '--to', 'x', '--tenant', 't'])).toThrow(/Unknown option/);
  });

  it('hands a running server absolute paths', () => {
    expect(withAbsolutePaths(['--before', '2025-01', '--to', 'archive'])).toEqual(['--before', '2025-01', '--to', join(process.cwd(), 'archive')]);
    expect(withAbsolutePaths(['--from=a/statements-2024-01.jsonl.gz'])).toEqual([`--from=${join(process.cwd(), 'a/statements-2024-01.jsonl.gz')}`]);
  });
});
