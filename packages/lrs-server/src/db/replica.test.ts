import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../config.js';
import { startTestServer, watchCourse, type TestServer } from '../testing.js';
import { startReplica, type TestReplica } from '../testing-replica.js';

const postgresUrl = inject('postgresUrl');
const required = process.env.XCREDIT_REQUIRE_POSTGRES === '1';

if (!postgresUrl) {
  console.warn('\n[xcredit] SKIPPING the read-replica tests: they need PostgreSQL (XCREDIT_TEST_POSTGRES_URL); PGlite has no replicas.\n');
}

describe('DATABASE_READ_URL configuration', () => {
  it('is refused without DATABASE_URL, and when it is not a postgres:// URL', () => {
    expect(() => loadConfig({ DATABASE_READ_URL: 'postgres://u@replica:5432/x' })).toThrow(/DATABASE_READ_URL needs DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@db:5432/x', DATABASE_READ_URL: 'mysql://replica/x' })).toThrow(/DATABASE_READ_URL="mysql:\/\/replica\/x": must be a postgres:\/\/ URL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@db:5432/x', DATABASE_READ_WAIT_MS: '9000' })).toThrow(/DATABASE_READ_WAIT_MS="9000": must be at most 5000/);
    const c = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/x', DATABASE_READ_URL: 'postgres://u@replica:5432/x' });
    expect(c).toMatchObject({ databaseReadUrl: 'postgres://u@replica:5432/x', databaseReadWaitMs: 50 });
  });
});

describe.runIf(postgresUrl)('reads on a streaming replica', () => {
  let replica: TestReplica | undefined;
  let server: TestServer;
  let database: string;
  const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: server.admin.authorization, 'content-type': 'application/json', 'x-experience-api-version': '1.0.3', ...(init.headers as Record<string, string>) },
      body: init.json === undefined ? init.body : JSON.stringify(init.json),
    });
  const statement = () => ({ id: randomUUID(), actor: { mbox: 'mailto:ann@example.com' }, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, object: { id: 'https://example.com/a' } });
  /** What the server's replica connections last ran, seen from the replica itself. */
  const replicaQueries = async () =>
    (await replica!.sql<{ query: string }>(`select query from pg_stat_activity where application_name = 'xcredit-read' and datname = $1`, [database])).map((r) => r.query);
  const readyz = async () => (await (await fetch(`${server.url}/readyz`)).json()) as { status: string; replica?: { state: string; reason?: string } };
  const until = async (what: string, check: () => Promise<boolean>) => {
    for (let i = 0; i < 300; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting until ${what}`);
  };

  beforeAll(async () => {
    try {
      replica = await startReplica(postgresUrl!);
    } catch (err) {
      if (required) throw err;
      console.warn(`\n[xcredit] SKIPPING the read-replica tests: ${(err as Error).message}\n`);
      return;
    }
    server = await startTestServer({ engine: 'postgres', postgresUrl: postgresUrl!, readReplica: replica, manualClock: true });
    database = new URL(server.store.location).pathname.slice(1);
    // The new database reaches the replica by streaming; until it has, reads stay on the primary.
    await until('the replica serves reads', async () => (await readyz()).replica?.state === 'streaming');
    expect((await api('/api/v1/courses/ethics', { method: 'PUT', json: { title: 'Ethics', activityId: 'https://example.com/courses/ethics', credits: 2, kind: 'required', lengthSeconds: 60 } })).status).toBe(201);
  }, 240_000);
  afterAll(async () => {
    await server?.close();
    await replica?.remove();
  }, 120_000);

  it('serves statement queries, reports and credits from the replica once it has caught up', async (ctx) => {
    if (!replica) return ctx.skip();
    const s = statement();
    expect((await api('/xapi/statements', { method: 'POST', json: s })).status).toBe(200);
    const before = { ...server.reads.stats };
    const got = await api(`/xapi/statements?statementId=${s.id}`);
    expect(got.status).toBe(200);
    expect((await got.json()).id).toBe(s.id);
    expect(server.reads.stats.replica).toBe(before.replica + 1);
    // The replica's own view: its connection named xcredit-read ran the query.
    expect((await replicaQueries()).some((q) => /from "statements"/.test(q))).toBe(true);
    const report = await api('/api/v1/reports/summary?format=csv');
    expect(report.status).toBe(200);
    expect(server.reads.stats.replica).toBe(before.replica + 2);
    expect((await replicaQueries()).some((q) => /group by/i.test(q))).toBe(true);
    expect(await readyz()).toMatchObject({ status: 'ready', replica: { state: 'streaming' } });
  });

  it('keeps read-your-writes while the replica is paused: GET after PUT, since, credits after a batch', async (ctx) => {
    if (!replica) return ctx.skip();
    await replica.sql('select pg_wal_replay_pause()');
    try {
      const since = new Date(server.clock!().getTime() - 1).toISOString();
      const s = statement();
      expect((await api(`/xapi/statements?statementId=${s.id}`, { method: 'PUT', json: s })).status).toBe(204);
      // The replica does not have it: a read there would miss it.
      expect(await replica.sql(`select id from statements where id = $1`, [s.id], database)).toEqual([]);
      const before = { ...server.reads.stats };
      const one = await api(`/xapi/statements?statementId=${s.id}`);
      expect(one.status).toBe(200);
      expect((await one.json()).id).toBe(s.id);
      const page = await api(`/xapi/statements?since=${encodeURIComponent(since)}`);
      const through = page.headers.get('x-experience-api-consistent-through')!;
      expect(new Date(through).getTime()).toBeGreaterThanOrEqual(new Date(since).getTime());
      expect(((await page.json()).statements as { id: string }[]).map((x) => x.id)).toContain(s.id);
      // A learner's batch, then their credits: the batch's credits are there at once.
      await watchCourse(server, 'E-77', 'ethics', 60);
      const credits = await (await api('/api/v1/learners/E-77/credits')).json();
      expect(credits.courses[0]).toMatchObject({ courseId: 'ethics' });
      expect(credits.courses[0].earned).toBeGreaterThan(0);
      expect(server.reads.stats.replica).toBe(before.replica);
      expect(server.reads.stats.behind).toBeGreaterThanOrEqual(before.behind + 3);
    } finally {
      await replica.sql('select pg_wal_replay_resume()');
    }
    // Caught up again, reads go back to the replica.
    const replicaBefore = server.reads.stats.replica;
    await until('a read goes to the replica again', async () => {
      await api('/api/v1/learners/E-77/credits');
      return server.reads.stats.replica > replicaBefore;
    });
  });

  it('runs a read again on the primary when the replica drops it midway, and returns the primary\'s answer', async (ctx) => {
    if (!replica) return ctx.skip();
    const retried = server.reads.stats.retried;
    const seen: string[] = [];
    const answer = await server.reads.read((db) =>
      db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ standby: boolean; pid: number }>`select pg_is_in_recovery() as standby, pg_backend_pid() as pid`.execute(trx);
        seen.push(rows[0]!.standby ? 'replica' : 'primary');
        // The replica ends the read's connection (as a restart or a recovery conflict would) before its next query.
        if (rows[0]!.standby) await replica!.sql('select pg_terminate_backend($1)', [rows[0]!.pid]);
        return (await sql<{ n: number }>`select count(*)::int as n from statements`.execute(trx)).rows[0]!.n;
      }),
    );
    expect(seen).toEqual(['replica', 'primary']);
    expect(answer).toBeGreaterThan(0);
    expect(server.reads.stats.retried).toBe(retried + 1);
    // An error of the read itself is not the replica's: it reaches the caller, not the primary.
    await expect(server.reads.read(async (db) => sql`select no_such_column from statements`.execute(db))).rejects.toThrow(/no_such_column/);
    expect(server.reads.stats.retried).toBe(retried + 1);
    // The replica was marked down by the drop; /readyz finds it answering again.
    await until('the replica serves reads again', async () => (await readyz()).replica?.state === 'streaming');
  });

  it('reads the primary while the replica is down, says so on /readyz, and returns to it when it is back', async (ctx) => {
    if (!replica) return ctx.skip();
    await replica.stop();
    try {
      const s = statement();
      expect((await api('/xapi/statements', { method: 'POST', json: s })).status).toBe(200);
      const got = await api(`/xapi/statements?statementId=${s.id}`);
      expect(got.status).toBe(200);
      expect((await got.json()).id).toBe(s.id);
      expect((await api('/api/v1/reports/summary')).status).toBe(200);
      expect(server.reads.stats.down).toBeGreaterThanOrEqual(1);
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', replica: { state: 'down' } });
    } finally {
      await replica.start();
    }
    await until('the replica serves reads again', async () => (await readyz()).replica?.state === 'streaming');
    const before = server.reads.stats.replica;
    await until('a read goes to the replica again', async () => {
      expect((await api('/api/v1/reports/summary')).status).toBe(200);
      return server.reads.stats.replica > before;
    });
  });
});

describe.runIf(postgresUrl)('a DATABASE_READ_URL that is not a replica', () => {
  it('keeps reads on the primary and says why on /readyz', async () => {
    // The primary itself given as the replica: it is not in recovery, so it is never read as one.
    const primaryAsReplica = { urlOf: (database: string) => Object.assign(new URL(postgresUrl!), { pathname: `/${database}` }).toString() };
    const server = await startTestServer({ engine: 'postgres', postgresUrl: postgresUrl!, readReplica: primaryAsReplica });
    try {
      const auth = { authorization: server.admin.authorization, 'x-experience-api-version': '1.0.3' };
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', replica: { state: 'down', reason: expect.stringContaining('not a standby') } });
      const res = await fetch(`${server.url}/xapi/statements?limit=1`, { headers: auth });
      expect(res.status).toBe(200);
      expect(server.reads.stats).toMatchObject({ replica: 0 });
      expect(server.reads.stats.primary).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
    }
  }, 120_000);
});
