import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Verbs, VideoExt, XcreditExt } from '@xcredit/sdk/xapi';
import { openPlayer, startTestServer, type Engine, type TestServer } from '../testing.js';
import { creditEvents } from '../app.js';
import { systemClock } from '../clock.js';
import { getCourse } from '../catalog/courses.js';
import { engagementHook } from '../launches/engine-hook.js';
import { periodAt } from '../period.js';
import { assessLearnerCourse, engagementRow, fullTimelineQuery } from './engagement.js';
import { readTimeline, timelineReadQuery } from './timeline.js';

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Join Filter'?: number;
  Plans?: PlanNode[];
}
import { recompute } from './recompute.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const LENGTH = 600;

describe.each(engines)('timeline checkpoints on %s', (engine) => {
  let server: TestServer;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const db = () => server.store.db;
  const period = () => periodAt(server.clock!()).name;
  /** The stored engagement, and what a full read of the timeline (no checkpoint) judges now. */
  const compare = async (learnerId: string) => {
    const stored = await db().selectFrom('engagement').selectAll().where('learner_id', '=', learnerId).where('course_id', '=', 'c').executeTakeFirstOrThrow();
    const full = engagementRow(await assessLearnerCourse(db(), 'default', learnerId, await getCourse(db(), 'default', 'c'), period()));
    const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    return { stored: { ...pick(stored), gates: json(stored.gates), flags: json(stored.flags) }, full: { ...pick(full), gates: json(full.gates), flags: json(full.flags) } };
  };
  const pick = (r: Omit<ReturnType<typeof engagementRow>, 'gates' | 'flags'>) => ({ coverage: r.coverage, attention: r.attention, mastery: r.mastery, earned: r.earned_tenths, verified: r.verified_seconds, claimed: r.claimed_seconds, sessions: r.sessions });

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    await api('PUT', '/courses/c', { title: 'Course', activityId: 'https://example.com/courses/c', credits: 2, kind: 'required', lengthSeconds: LENGTH, policy: { maxRate: 1.5, slackSeconds: 2 } });
  }, 180_000);
  afterAll(() => server?.close());

  it('reads only what arrived since its checkpoint, and judges every batch as a full read would (late offline evidence, a takeover)', async () => {
    const p = await openPlayer(server, await api('POST', '/launches', { learnerId: 'cp-ann', courseId: 'c' }));
    let media = 0;
    for (let round = 0; round < 6; round++) {
      await p.play(media);
      if (round === 3) {
        // Offline for a minute: heartbeats and the pause arrive late, placed back at their own time.
        p.goOffline();
        await p.watch(60);
        media += 60;
        await p.pause(media, { [XcreditExt.focusedSeconds]: 60 });
        server.clock!.advance(30);
        await p.goOnline();
      } else {
        await p.watch(45);
        media += 45;
        await p.pause(media, { [XcreditExt.focusedSeconds]: 45 });
      }
      const { stored, full } = await compare('cp-ann');
      expect(stored).toEqual(full);
    }
    // What a next batch would read: nothing new past the checkpoint but the heartbeats since.
    await p.wait(30);
    const read = await readTimeline(db(), { tenantId: 'default', learnerId: 'cp-ann', courseId: 'c', period: period() });
    expect(read.read).toMatchObject({ statements: 0, full: false });
    expect(read.read.heartbeats).toBeGreaterThanOrEqual(1);
    expect(read.read.heartbeats).toBeLessThanOrEqual(2);
    expect(read.facts.statements.length).toBeGreaterThan(10);

    // A newer launch takes over: the old launch's time after the takeover stops counting, read fresh.
    const q = await openPlayer(server, await api('POST', '/launches', { learnerId: 'cp-ann', courseId: 'c' }));
    await p.play(media);
    await q.play(0);
    await q.watch(30);
    await p.pause(media + 30);
    await q.pause(30);
    const { stored, full } = await compare('cp-ann');
    expect(stored).toEqual(full);
    expect(stored.sessions).toBe(2);
  });

  it("reads one learner's rows, however many other learners have and whatever the planner's statistics say", async () => {
    const p = await openPlayer(server, await api('POST', '/launches', { learnerId: 'cp-crowd', courseId: 'c' }));
    await p.play(0);
    await p.watch(30);
    await p.pause(30);
    // 300 other learners with the same history, written in bulk and not analyzed: the planner
    // still believes the tables are as small as before, as after a busy minute in production.
    const crowd = sql`select 'crowd-' || g as id from generate_series(1, 300) g`;
    await sql`insert into learners (tenant_id, id) select 'default', c.id from (${crowd}) c`.execute(db());
    await sql`insert into launches (tenant_id, registration, token_hash, learner_id, course_id, expires_at) select 'default', gen_random_uuid(), md5(random()::text || c.id), c.id, 'c', now() from (${crowd}) c`.execute(db());
    const crowdOf = sql`cross join launches c where a.learner_id = 'cp-crowd' and c.learner_id like 'crowd-%'`;
    await sql`insert into statements (tenant_id, id, stored, verb_id, actor_key, activity_id, registration, launch_registration, statement)
      select s.tenant_id, gen_random_uuid(), s.stored, s.verb_id, s.actor_key, s.activity_id, s.registration, c.registration, s.statement
      from launches a join statements s on s.tenant_id = a.tenant_id and s.launch_registration = a.registration ${crowdOf}`.execute(db());
    await sql`insert into heartbeats (tenant_id, registration, session_id, received_at, sent_at, media_time, playing)
      select h.tenant_id, c.registration, h.session_id, h.received_at, h.sent_at, h.media_time, h.playing
      from launches a join heartbeats h on h.tenant_id = a.tenant_id and h.registration = a.registration ${crowdOf}`.execute(db());
    const own = Number((await sql<{ n: string }>`select (select count(*) from statements s join launches l on l.tenant_id = s.tenant_id and l.registration = s.launch_registration where l.learner_id = 'cp-crowd') + (select count(*) from heartbeats h join launches l on l.tenant_id = h.tenant_id and l.registration = h.registration where l.learner_id = 'cp-crowd') as n`.execute(db())).rows[0]!.n);
    expect(own).toBeGreaterThan(3);
    const key = { tenantId: 'default', learnerId: 'cp-crowd', courseId: 'c', period: period() };
    const course = await getCourse(db(), 'default', 'c');
    for (const query of [timelineReadQuery(db(), key, undefined, false), timelineReadQuery(db(), key, undefined, true), fullTimelineQuery(db(), 'default', 'cp-crowd', course, period())]) {
      // Rows of statements and heartbeats the plan touched: read, or read and thrown away.
      const { rows } = await sql<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>`explain (analyze, format json) ${query}`.execute(db());
      let touched = 0;
      const walk = (node: PlanNode) => {
        if (node['Relation Name'] === 'statements' || node['Relation Name'] === 'heartbeats') touched += (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops'];
        if (node['Rows Removed by Join Filter']) touched += node['Rows Removed by Join Filter'];
        node.Plans?.forEach(walk);
      };
      const plan = rows[0]!['QUERY PLAN'];
      walk((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan);
      expect(touched).toBeLessThanOrEqual(2 * own);
    }
  });

  it('reads the whole timeline again when another client voids a statement already read', async () => {
    const p = await openPlayer(server, await api('POST', '/launches', { learnerId: 'cp-void', courseId: 'c' }));
    await p.play(0);
    await p.watch(90);
    const pause = p.statement(Verbs.paused, { [VideoExt.time]: 90, [XcreditExt.focusedSeconds]: 90 });
    await p.send(pause);
    expect((await compare('cp-void')).stored.verified).toBe(90);
    // The LRS's own client (not the launch) voids the pause: no batch of the launch runs meanwhile.
    const res = await fetch(`${server.url}/xapi/statements`, {
      method: 'POST',
      headers: { authorization: server.admin.authorization, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
      body: JSON.stringify({ actor: { mbox: 'mailto:admin@example.com' }, verb: { id: Verbs.voided }, object: { objectType: 'StatementRef', id: (pause as { id: string }).id } }),
    });
    expect(res.status).toBe(200);
    const read = await readTimeline(db(), { tenantId: 'default', learnerId: 'cp-void', courseId: 'c', period: period() });
    expect(read.read.full).toBe(true);
    expect(read.facts.statements.map((f) => f.verb_id)).not.toContain(Verbs.paused);
    await p.play(90);
    await p.watch(15);
    await p.pause(105);
    const { stored, full } = await compare('cp-void');
    expect(stored).toEqual(full);
  });

  it('is forgotten by recompute, and rebuilt whole by the next batch with the same result', async () => {
    const p = await openPlayer(server, await api('POST', '/launches', { learnerId: 'cp-re', courseId: 'c' }));
    await p.play(0);
    await p.watch(60);
    await p.pause(60);
    const key = (learnerId: string) => db().selectFrom('timeline_checkpoints').select(['statement_seq', 'heartbeat_id']).where('learner_id', '=', learnerId).executeTakeFirst();
    expect(await key('cp-re')).toBeDefined();
    expect((await recompute(db(), { events: creditEvents(server.clock ?? systemClock) })).ledgerEntries).toBe(0);
    expect(await key('cp-re')).toBeUndefined();
    await p.play(60);
    await p.watch(30);
    await p.pause(90);
    expect(await key('cp-re')).toBeDefined();
    const { stored, full } = await compare('cp-re');
    expect(stored).toEqual(full);
  });

  // Two real concurrent transactions: PGlite runs one connection, so this case exists on PostgreSQL only.
  if (engine === 'postgres') it('counts a batch that commits after a later one (its statements numbered before the checkpoint)', async () => {
    const launch = await api('POST', '/launches', { learnerId: 'cp-race', courseId: 'c' });
    const p = await openPlayer(server, launch);
    await p.play(0);
    await p.watch(60);
    await p.pause(60);
    const events = creditEvents(server.clock!);
    const hook = engagementHook(events);
    const insert = async (trx: typeof server.store.db, verb: string, time: number, stored: Date) => {
      const statement = { id: randomUUID(), actor: launch.actor, verb: { id: verb }, object: { id: launch.activityId }, timestamp: stored.toISOString(), stored: stored.toISOString(), context: { registration: launch.registration, extensions: { [VideoExt.sessionId]: p.sessionId } }, result: { extensions: { [VideoExt.time]: time } } };
      await trx
        .insertInto('statements')
        .values({ tenant_id: 'default', id: statement.id, stored, verb_id: verb, actor_key: `account::${launch.learnerId}`, activity_id: launch.activityId, registration: launch.registration, launch_registration: launch.registration, client_key: null, statement: JSON.stringify(statement) as never })
        .execute();
    };
    const batch = { tenantId: 'default', learnerId: 'cp-race', courseId: 'c', registration: launch.registration };
    // Batch A stores its statements first (lower seq) but runs its hook after batch B committed.
    let releaseA!: () => void;
    let aInserted!: () => void;
    const aReady = new Promise<void>((r) => (aInserted = r));
    const aMayGo = new Promise<void>((r) => (releaseA = r));
    server.clock!.advance(20);
    const storedA = server.clock!();
    const a = db().transaction().execute(async (trx) => {
      await insert(trx, Verbs.played, 60, storedA);
      aInserted();
      await aMayGo;
      await insert(trx, Verbs.paused, 80, storedA);
      await hook({ trx, ...batch, verbs: [Verbs.played, Verbs.paused], stored: storedA });
    });
    await aReady;
    server.clock!.advance(20);
    const storedB = server.clock!();
    await db().transaction().execute(async (trx) => {
      await insert(trx, Verbs.played, 80, storedB);
      await insert(trx, Verbs.paused, 100, storedB);
      await hook({ trx, ...batch, verbs: [Verbs.played, Verbs.paused], stored: storedB });
    });
    releaseA();
    await a;
    const { stored, full } = await compare('cp-race');
    expect(stored).toEqual(full);
    expect(stored.claimed).toBe(100);
  });
});
