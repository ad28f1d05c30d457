import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { XcreditExt } from '@xcredit/sdk/xapi';
import { openPlayer, startTestServer, type Engine, type TestServer } from '../testing.js';
import { creditEvents } from '../app.js';
import { systemClock } from '../clock.js';
import { CREDIT_RULES, rulesReason, upgradeCreditRules } from './rules.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const LENGTH = 120;

describe.each(engines)('a change of the credit rules on %s', (engine) => {
  let server: TestServer;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const version = async () => (await server.store.db.selectFrom('credit_rules').select('version').where('tenant_id', '=', 'default').executeTakeFirst())?.version;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    await api('PUT', '/courses/rules', { title: 'Rules', activityId: 'https://example.com/courses/rules', credits: 4, kind: 'required', lengthSeconds: LENGTH });
  });
  afterAll(() => server?.close());

  it('is recorded when the server starts', async () => {
    expect(await version()).toBe(CREDIT_RULES.version);
  });

  it('changes credits earned under older rules only through adjustments that name the rule change, once', async () => {
    // An honest viewing (with heartbeats) and one without any evidence in between.
    const honest = await openPlayer(server, await api('POST', '/launches', { learnerId: 'kept', courseId: 'rules' }));
    await honest.play(0);
    await honest.watch(LENGTH);
    await honest.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
    const old = await openPlayer(server, await api('POST', '/launches', { learnerId: 'unevidenced', courseId: 'rules' }));
    await old.play(0);
    server.clock!.advance(LENGTH);
    await old.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
    // As the older rules left them: both credited in full.
    const { period } = await api('GET', '/learners/unevidenced/ledger');
    await server.store.db
      .insertInto('ledger')
      .values({ tenant_id: 'default', learner_id: 'unevidenced', period, source: 'video', amount_tenths: 40, course_id: 'rules', kind: 'required', category: null, reason: 'credited under rules 1', evidence: '{}', created_by: 'engine' })
      .execute();
    await server.store.db.updateTable('credit_rules').set({ version: CREDIT_RULES.version - 1 }).where('tenant_id', '=', 'default').execute();
    const keptBefore = await api('GET', '/learners/kept/ledger');
    expect(keptBefore.total).toBe(4);

    expect(await upgradeCreditRules(server.store.db, creditEvents(server.clock ?? systemClock))).toBe(1);
    const after = await api('GET', '/learners/unevidenced/ledger');
    expect(after.total).toBe(0);
    expect(after.entries.at(-1)).toMatchObject({ source: 'adjustment', amount: -4, reason: rulesReason(), createdBy: 'recompute' });
    expect(rulesReason()).toMatch(/^credit rules 3: playing still under way counts up to the last heartbeat/);
    expect(await api('GET', '/learners/kept/ledger')).toEqual(keptBefore);
    expect(await version()).toBe(CREDIT_RULES.version);
    // Once is enough: a second start changes nothing.
    expect(await upgradeCreditRules(server.store.db, creditEvents(server.clock ?? systemClock))).toBe(0);
    expect((await api('GET', '/learners/unevidenced/ledger')).entries).toHaveLength(after.entries.length);
  });
});
