import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatPlayedSegments } from '@xcredit/sdk/engagement';
import { questionActivityId, Verbs, VideoExt, XcreditExt } from '@xcredit/sdk/xapi';
import { openPlayer, startTestServer, type Engine, type TestServer } from '../testing.js';
import { creditEvents } from '../app.js';
import { systemClock } from '../clock.js';
import { CreditEvents } from './ledger.js';
import { recompute } from './recompute.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const LENGTH = 120;

/** A small deterministic PRNG, so a failing history can be replayed from its seed. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

describe.each(engines)('incremental credits equal a full recompute on %s', (engine) => {
  let server: TestServer;
  const admin = () => ({ authorization: server.admin.authorization, 'content-type': 'application/json' });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: admin(), body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    for (const id of ['a', 'b']) {
      await api('PUT', `/courses/${id}`, {
        title: `Course ${id}`,
        activityId: `https://example.com/courses/${id}`,
        credits: 4,
        kind: id === 'a' ? 'required' : 'elective',
        lengthSeconds: LENGTH,
        policy: { maxRate: 1.5, slackSeconds: 2 },
        questions: id === 'b' ? [{ id: 'q', at: 10, type: 'true-false', prompt: { en: 'True?' }, correct: ['true'] }] : [],
      });
    }
  });
  afterAll(() => server?.close());

  it.each([1, 2, 3, 4])('for a randomized history (seed %i)', async (seed) => {
    const r = prng(seed);
    const learners = Array.from({ length: 4 }, (_, i) => `s${seed}-l${i}`);
    for (let step = 0; step < 14; step++) {
      const learnerId = r.pick(learners);
      const courseId = r.pick(['a', 'b']);
      const l = await api('POST', '/launches', { learnerId, courseId });
      const issue = async () =>
        (await (await fetch(`${server.url}/api/v1/launches/current/sessions`, { method: 'POST', headers: { authorization: `Bearer ${l.launchToken}` } })).json()).sessionId as string;
      const sessions = [await issue(), await issue()];
      const pending: object[] = [];
      const send = async () => {
        if (!pending.length) return;
        const res = await fetch(`${server.url}/xapi/statements`, {
          method: 'POST',
          headers: { authorization: `Bearer ${l.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
          body: JSON.stringify(pending.splice(0)),
        });
        expect(res.status).toBe(200);
      };
      const st = (verb: string, result: Record<string, unknown>, object = l.activityId, extra: Record<string, unknown> = {}) => ({
        actor: l.actor,
        verb: { id: verb },
        object: { id: object },
        timestamp: new Date(server.clock!().getTime() - (r.next() < 0.2 ? r.int(6, 120) : 0) * 1000).toISOString(),
        context: { registration: l.registration, extensions: { [VideoExt.sessionId]: r.pick(sessions) } },
        result: { extensions: result, ...extra },
      });
      let time = r.int(0, LENGTH - 10);
      for (let k = r.int(1, 10); k > 0; k--) {
        const kind = r.pick(['play', 'pause', 'seek', 'complete', 'answer', 'wait', 'send', 'beat', 'beat'] as const);
        if (kind === 'play') pending.push(st(Verbs.played, { [VideoExt.time]: time }));
        if (kind === 'pause' || kind === 'complete') {
          const to = Math.min(LENGTH, time + r.int(1, 60));
          const hidden = r.next() < 0.3 ? { [XcreditExt.unattendedSegments]: formatPlayedSegments([[time, Math.min(to, time + r.int(1, 20))]]) } : {};
          pending.push(st(kind === 'pause' ? Verbs.paused : Verbs.completed, { [VideoExt.time]: to, [XcreditExt.focusedSeconds]: r.int(0, to - time), [VideoExt.progress]: r.next(), ...hidden }));
          time = to;
        }
        if (kind === 'seek') {
          const to = r.int(0, LENGTH);
          pending.push(st(Verbs.seeked, { [VideoExt.timeFrom]: time, [VideoExt.timeTo]: to }));
          time = to;
        }
        if (kind === 'answer' && courseId === 'b') {
          pending.push(st(Verbs.answered, {}, questionActivityId(l.activityId, 'q'), { response: r.pick(['true', 'false']), success: r.next() < 0.5 }));
        }
        if (kind === 'wait') server.clock!.advance(r.int(1, 90));
        if (kind === 'beat') {
          // Now and then one that was queued offline: made up to two minutes before it arrives.
          const sentAt = new Date(server.clock!().getTime() - (r.next() < 0.3 ? r.int(6, 120) : 0) * 1000).toISOString();
          const res = await fetch(`${server.url}/api/v1/launches/current/heartbeat`, {
            method: 'POST',
            headers: { authorization: `Bearer ${l.launchToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ sessionId: r.pick(sessions), time, playing: r.next() < 0.8, sentAt }),
          });
          expect(res.status).toBe(200);
        }
        if (kind === 'send') await send();
        server.clock!.advance(r.int(0, 20));
      }
      await send();
    }

    const snapshot = async () => {
      const rows = await server.store.db.selectFrom('engagement').selectAll().where('learner_id', 'in', learners).orderBy(['learner_id', 'course_id']).execute();
      return rows.map((e) => ({ learner: e.learner_id, course: e.course_id, coverage: e.coverage, attention: e.attention, mastery: e.mastery, earned: e.earned_tenths, flags: e.flags }));
    };
    const incremental = await snapshot();
    expect(incremental.length).toBeGreaterThan(0);
    // The batches read from their timelines' checkpoints: one per learner, course and period judged.
    const checkpoints = await server.store.db.selectFrom('timeline_checkpoints').select(['learner_id', 'course_id']).where('learner_id', 'in', learners).execute();
    expect(checkpoints.length).toBe(incremental.length);
    const result = await recompute(server.store.db, { events: creditEvents(server.clock ?? systemClock) });
    expect(await snapshot()).toEqual(incremental);
    expect(result.ledgerEntries).toBe(0);

    // Every learner's total is the sum of their ledger, and each course's share matches its engagement.
    for (const learnerId of learners) {
      const credits = await api('GET', `/learners/${learnerId}/credits`).catch(() => null);
      if (!credits) continue;
      const ledger = await api('GET', `/learners/${learnerId}/ledger`);
      expect(credits.earned).toBe(ledger.total);
      for (const c of credits.courses) {
        const row = incremental.find((e) => e.learner === learnerId && e.course === c.courseId);
        expect(c.earned).toBe((row?.earned ?? 0) / 10);
      }
    }
  });

  it('corrects a ledger that disagrees with the statements by appending, never rewriting', async () => {
    const p = await openPlayer(server, await api('POST', '/launches', { learnerId: 'fix-me', courseId: 'a' }));
    await p.play(0);
    await p.watch(LENGTH);
    await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
    const before = await api('GET', '/learners/fix-me/ledger');
    expect(before.total).toBe(4);
    // A stray entry the statements cannot explain.
    await server.store.db
      .insertInto('ledger')
      .values({ tenant_id: 'default', learner_id: 'fix-me', period: before.period, source: 'adjustment', amount_tenths: 7, course_id: 'a', kind: 'required', category: null, reason: 'manual slip', evidence: '{}', created_by: 'test' })
      .execute();
    const result = await recompute(server.store.db, { events: creditEvents(server.clock ?? systemClock), tenantId: 'default' });
    expect(result.ledgerEntries).toBe(1);
    const after = await api('GET', '/learners/fix-me/ledger');
    expect(after.total).toBe(4);
    expect(after.entries).toHaveLength(before.entries.length + 2);
    await expect(server.store.db.deleteFrom('ledger').where('learner_id', '=', 'fix-me').execute()).rejects.toThrow(/append-only/);
  });

  it('hands a subscriber the corrections of one write together, in one call', async () => {
    let period = '';
    for (const learnerId of ['many-1', 'many-2']) {
      const p = await openPlayer(server, await api('POST', '/launches', { learnerId, courseId: 'a' }));
      await p.play(0);
      await p.watch(LENGTH);
      await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
      period = (await api('GET', `/learners/${learnerId}/ledger`)).period;
      await server.store.db
        .insertInto('ledger')
        .values({ tenant_id: 'default', learner_id: learnerId, period, source: 'adjustment', amount_tenths: -40, course_id: 'a', kind: 'required', category: null, reason: 'manual slip', evidence: '{}', created_by: 'test' })
        .execute();
    }
    const calls: string[][] = [];
    const recording = new CreditEvents().add(async (_trx, events) => {
      calls.push(events.map((e) => (e.type === 'entry.appended' ? `${e.entry.learnerId} ${e.entry.courseId} ${e.entry.amountTenths}` : e.type)));
    });
    expect((await recompute(server.store.db, { events: recording, tenantId: 'default' })).ledgerEntries).toBe(2);
    expect(calls).toEqual([['many-1 a 40', 'many-2 a 40']]);
  });

  it('announces its corrections like any ledger change (credits earned, a target met), or changes nothing when a subscriber fails', async () => {
    await api('PUT', '/learners/late', { department: 'recount' });
    const p = await openPlayer(server, await api('POST', '/launches', { learnerId: 'late', courseId: 'a' }));
    await p.play(0);
    await p.watch(LENGTH);
    await p.complete(LENGTH, { [XcreditExt.focusedSeconds]: LENGTH });
    const { period, total } = await api('GET', '/learners/late/ledger');
    expect(total).toBe(4);
    await api('PUT', `/targets/${period}/department/recount`, { total: 4 });
    await api('POST', '/webhooks', { url: 'http://127.0.0.1:9/hooks', events: ['credit.earned', 'learner.target_met'] });
    // Credits lost by a slip the statements cannot explain: recompute gives them back.
    await server.store.db
      .insertInto('ledger')
      .values({ tenant_id: 'default', learner_id: 'late', period, source: 'adjustment', amount_tenths: -40, course_id: 'a', kind: 'required', category: null, reason: 'manual slip', evidence: '{}', created_by: 'test' })
      .execute();
    const announced = async () =>
      (await server.store.db.selectFrom('webhook_deliveries').select(['event', 'body']).where('body', 'like', '%"learnerId":"late"%').execute()).map((d) => ({ event: d.event, data: JSON.parse(d.body).data }));

    const failing = new CreditEvents().add(async () => {
      throw new Error('subscriber down');
    });
    await expect(recompute(server.store.db, { events: failing, tenantId: 'default' })).rejects.toThrow('subscriber down');
    expect((await api('GET', '/learners/late/ledger')).total).toBe(0);
    expect(await announced()).toEqual([]);

    expect((await recompute(server.store.db, { events: creditEvents(server.clock ?? systemClock), tenantId: 'default' })).ledgerEntries).toBe(1);
    expect((await api('GET', '/learners/late/ledger')).total).toBe(4);
    expect(await announced()).toEqual([
      { event: 'credit.earned', data: expect.objectContaining({ learnerId: 'late', period, source: 'adjustment', credits: 4, courseId: 'a' }) },
      { event: 'learner.target_met', data: expect.objectContaining({ learnerId: 'late', period, earned: 4 }) },
    ]);
  });
});
