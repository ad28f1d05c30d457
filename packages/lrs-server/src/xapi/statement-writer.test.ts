import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Principal } from '../auth/principal.js';
import { HttpError } from '../http-error.js';
import { startTestServer, type Engine, type TestServer } from '../testing.js';
import { StatementWriter } from './statement-writer.js';
import { prepareWrite } from './prepare.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('statement writer on %s', (engine) => {
  let server: TestServer;
  let principal: Principal;

  const statement = (id = randomUUID(), verb = 'http://adlnet.gov/expapi/verbs/experienced') => ({
    id,
    actor: { mbox: 'mailto:ana@example.com' },
    verb: { id: verb },
    object: { id: 'https://example.com/activities/writer', definition: { name: { 'en-US': 'Writer' } } },
  });
  const write = (statements: object[]) => prepareWrite(principal, statements, { version: '2.0.0', stored: new Date() });
  const stored = async (id: string) => {
    const res = await fetch(`${server.url}/xapi/statements?statementId=${id}`, { headers: { authorization: server.admin.authorization, 'x-experience-api-version': '2.0.0' } });
    return res.status === 200 ? ((await res.json()) as { verb: { id: string } }) : undefined;
  };
  /** Settles every promise, as `{ ok }` or `{ status }` of the HttpError it failed with. */
  const outcomes = (promises: Promise<void>[]) =>
    Promise.all(promises.map((p) => p.then(() => ({ ok: true }), (e: unknown) => ({ status: e instanceof HttpError ? e.status : String(e) }))));

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    const client = await server.store.db
      .selectFrom('clients')
      .innerJoin('tenants', 'tenants.id', 'clients.tenant_id')
      .select(['clients.key', 'tenants.id', 'tenants.home_page'])
      .where('clients.key', '=', server.admin.key)
      .executeTakeFirstOrThrow();
    principal = { kind: 'client', tenant: { id: client.id, homePage: client.home_page }, key: client.key, scopes: new Set(['all']) };
  });
  afterAll(() => server?.close());

  it('writes requests that arrive while it is busy in one shared transaction', async () => {
    const writer = new StatementWriter(server.store.db, server.store.engine, 1);
    const writes = await Promise.all(Array.from({ length: 5 }, () => write([statement(), statement()])));
    expect(await outcomes(writes.map((w) => writer.write(w)))).toEqual(Array(5).fill({ ok: true }));
    // The first went alone; the four queued behind it shared the next transaction.
    expect(writer.stats).toEqual({ transactions: 2, shared: 1, retried: 0 });
    for (const w of writes) for (const s of w.statements) expect(await stored(s.id)).toMatchObject({ verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' } });
  });

  it('keeps one request’s conflict to itself: the others are stored, it gets 409 and nothing of it is stored', async () => {
    const taken = randomUUID();
    const writer = new StatementWriter(server.store.db, server.store.engine, 1);
    const before = await write([statement(taken)]);
    const fine = await write([statement(), statement()]);
    const clash = await write([statement(), statement(taken, 'http://adlnet.gov/expapi/verbs/failed')]);
    const alsoFine = await write([statement()]);
    const results = await outcomes([before, fine, clash, alsoFine].map((w) => writer.write(w)));
    expect(results).toEqual([{ ok: true }, { ok: true }, { status: 409 }, { ok: true }]);
    expect(writer.stats).toEqual({ transactions: 3, shared: 0, retried: 3 });
    for (const w of [fine, alsoFine]) for (const s of w.statements) expect(await stored(s.id)).toBeDefined();
    expect(await stored(clash.statements[0]!.id)).toBeUndefined();
    expect((await stored(taken))?.verb.id).toBe('http://adlnet.gov/expapi/verbs/experienced');
  });

  it('never puts two requests naming the same statement id in one transaction', async () => {
    const writer = new StatementWriter(server.store.db, server.store.engine, 1);
    const same = randomUUID();
    const differ = randomUUID();
    const writes = [
      await write([statement()]),
      await write([statement(same), statement(differ)]),
      await write([statement(same)]),
      await write([statement(differ, 'http://adlnet.gov/expapi/verbs/failed')]),
    ];
    const results = await outcomes(writes.map((w) => writer.write(w)));
    // The same statement twice is fine; the same id with other content is a conflict.
    expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }, { status: 409 }]);
    // The second and third went in separate transactions; the third and fourth shared one, which the conflict undid.
    expect(writer.stats).toEqual({ transactions: 3, shared: 0, retried: 2 });
    expect((await stored(differ))?.verb.id).toBe('http://adlnet.gov/expapi/verbs/experienced');
  });

  it('writes a request with code of its own alone, and rolls it back when that code fails', async () => {
    const writer = new StatementWriter(server.store.db, server.store.engine, 1);
    const failing = await write([statement()]);
    failing.after = async () => {
      throw new HttpError(422, 'refused', 'the hook refused');
    };
    const other = await write([statement()]);
    const third = await write([statement()]);
    expect(await outcomes([writer.write(third), writer.write(failing), writer.write(other)])).toEqual([{ ok: true }, { status: 422 }, { ok: true }]);
    expect(writer.stats).toEqual({ transactions: 2, shared: 0, retried: 0 });
    expect(await stored(failing.statements[0]!.id)).toBeUndefined();
    expect(await stored(other.statements[0]!.id)).toBeDefined();
  });

  it('holds writes with code of their own to its transaction limit too', async () => {
    const writer = new StatementWriter(server.store.db, server.store.engine, 1);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const first = await write([statement()]);
    first.after = async () => {
      order.push('first');
      await gate;
    };
    const second = await write([statement()]);
    second.after = async () => {
      order.push('second');
    };
    const done = outcomes([writer.write(first), writer.write(second)]);
    await expect.poll(() => order, { timeout: 20_000, interval: 10 }).toEqual(['first']);
    // The first holds the only transaction; the second waits for it instead of opening another.
    expect(writer.waiting).toBe(1);
    release();
    expect(await done).toEqual([{ ok: true }, { ok: true }]);
    expect(order).toEqual(['first', 'second']);
    expect(writer.stats).toEqual({ transactions: 2, shared: 0, retried: 0 });
  });

  it('keeps X-Experience-API-Consistent-Through before the oldest write still under way', async () => {
    const writer = new StatementWriter(server.store.db, server.store.engine);
    const now = new Date('2026-03-01T12:00:00.000Z');
    expect(writer.consistentThrough(now)).toEqual(now);
    const older = writer.begin(new Date('2026-03-01T11:59:58.000Z'));
    const newer = writer.begin(new Date('2026-03-01T11:59:59.000Z'));
    const twin = writer.begin(new Date('2026-03-01T11:59:58.000Z'));
    expect(writer.consistentThrough(now).toISOString()).toBe('2026-03-01T11:59:57.999Z');
    older();
    older(); // a second call changes nothing
    expect(writer.consistentThrough(now).toISOString()).toBe('2026-03-01T11:59:57.999Z');
    twin();
    expect(writer.consistentThrough(now).toISOString()).toBe('2026-03-01T11:59:58.999Z');
    newer();
    expect(writer.consistentThrough(now)).toEqual(now);
  });

  it('holds Consistent-Through before the writes under way in another process on the same database (PostgreSQL)', async () => {
    const here = new StatementWriter(server.store.db, server.store.engine);
    const there = new StatementWriter(server.store.db, server.store.engine);
    const now = new Date('2026-03-01T12:00:00.000Z');
    const done = there.begin(new Date('2026-03-01T11:59:50.000Z'));
    await there.publishHorizon(now, 30_000);
    // PGlite is one process by construction: only its own writes count there.
    expect((await here.consistentThroughAll(now)).toISOString()).toBe(engine === 'postgres' ? '2026-03-01T11:59:49.999Z' : now.toISOString());
    expect((await there.consistentThroughAll(now)).toISOString()).toBe('2026-03-01T11:59:49.999Z');
    done();
    await there.publishHorizon(now, 30_000);
    expect(await here.consistentThroughAll(now)).toEqual(now);
    // A process that stopped publishing (it crashed) holds the others back only until its lease ends.
    const stuck = there.begin(new Date('2026-03-01T11:59:40.000Z'));
    await there.publishHorizon(now, 0);
    expect(await here.consistentThroughAll(now)).toEqual(now);
    stuck();
    await there.withdrawHorizon();
  });
});
