import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VIDEO_ACTIVITY_TYPE, Verbs, VideoExt } from '@xcredit/sdk/xapi';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const LEARNERS = 16;

describe.each(engines)('many learners posting about one video at once on %s', (engine) => {
  let server: TestServer;
  let launches: { launchToken: string; registration: string; actor: object; activityId: string }[];
  const admin = () => ({ authorization: server.admin.authorization, 'content-type': 'application/json' });

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    const course = await fetch(`${server.url}/api/v1/courses/shared-video`, {
      method: 'PUT',
      headers: admin(),
      body: JSON.stringify({ title: 'Shared', activityId: 'https://example.com/courses/shared-video', credits: 1, kind: 'elective', lengthSeconds: 600 }),
    });
    expect(course.ok).toBe(true);
    launches = [];
    for (let i = 0; i < LEARNERS; i++) {
      const res = await fetch(`${server.url}/api/v1/launches`, { method: 'POST', headers: admin(), body: JSON.stringify({ learnerId: `crowd-${i}`, courseId: 'shared-video' }) });
      expect(res.status).toBe(201);
      launches.push(await res.json());
    }
  });
  afterAll(() => server?.close());

  it('stores every batch: no deadlock, no failure, nothing lost', async () => {
    // Every batch carries the same activity definition, so all writers touch the same activity at the same moment.
    const batch = (l: (typeof launches)[number], round: number) =>
      [Verbs.played, Verbs.paused, Verbs.played, Verbs.paused].map((verb, i) => ({
        id: randomUUID(),
        actor: l.actor,
        verb: { id: verb },
        object: { id: l.activityId, definition: { type: VIDEO_ACTIVITY_TYPE, name: { 'en-US': 'Shared video' } } },
        context: { registration: l.registration, contextActivities: { category: [{ id: 'https://w3id.org/xapi/video' }] } },
        result: { extensions: { [VideoExt.time]: round * 10 + i } },
      }));
    const post = (l: (typeof launches)[number], round: number) =>
      fetch(`${server.url}/xapi/statements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${l.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
        body: JSON.stringify(batch(l, round)),
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const results = await Promise.all(launches.flatMap((l) => [0, 1, 2].map((round) => post(l, round))));
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const stored = await server.store.db
      .selectFrom('statements')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('activity_id', '=', 'https://example.com/courses/shared-video')
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(LEARNERS * 3 * 4);
    const activity = await fetch(`${server.url}/xapi/activities?activityId=${encodeURIComponent('https://example.com/courses/shared-video')}`, {
      headers: { authorization: server.admin.authorization, 'x-experience-api-version': '2.0.0' },
    });
    expect((await activity.json()).definition).toEqual({ type: VIDEO_ACTIVITY_TYPE, name: { 'en-US': 'Shared video' } });
  });

  it('accepts the same statement sent twice at the same moment (a retried outbox) exactly once', async () => {
    const l = launches[0]!;
    const statement = { id: randomUUID(), actor: l.actor, verb: { id: Verbs.played }, object: { id: l.activityId }, context: { registration: l.registration }, result: { extensions: { [VideoExt.time]: 1 } } };
    const send = () =>
      fetch(`${server.url}/xapi/statements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${l.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
        body: JSON.stringify([statement]),
      });
    const results = await Promise.all(Array.from({ length: 6 }, send));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    const rows = await server.store.db.selectFrom('statements').select('id').where('id', '=', statement.id).execute();
    expect(rows).toHaveLength(1);
  });
});
